// The Worker: OAuth in front, MCP over streamable HTTP behind it, no state between requests.
// 2026-07-28 clients and 2025-era clients (answered statelessly) share /mcp. /sse answers
// the same way, so configs that still name /sse keep working; a client that can speak only
// the old HTTP+SSE transport needs the stateful variant (`cfmcp init --stateful`).
import { createMcpHandler } from "agents/mcp/server";
import { oauthWorker } from "./oauth";
import { createServer } from "./server";

export default oauthWorker({
  "/mcp": { fetch: createMcpHandler(createServer, { route: "/mcp" }) },
  "/sse": { fetch: createMcpHandler(createServer, { route: "/sse" }) },
});
