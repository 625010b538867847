// The Worker: OAuth in front, MCP over streamable HTTP behind it, no state between requests.
// 2026-07-28 clients and 2025-era clients (answered statelessly) share /mcp. /sse answers
// the same way, so configs that still name /sse keep working; a client that can speak only
// the old HTTP+SSE transport needs the stateful variant (`cfmcp init --stateful`).
import { createMcpHandler } from "agents/mcp/server";
import { oauthWorker } from "./oauth";
import { createServer } from "./server";

// The Durable Object that lets one token refresh of a sign-in through at a time.
export { RefreshGate } from "./refresh-gate";

function mcpHandler(route: string) {
  return createMcpHandler(createServer, {
    route,
    // The Worker checks Host and Origin before (./guards.ts) and the OAuth provider answers
    // CORS for the origins it lets through.
    allowedOriginHostnames: "*",
    corsOptions: false,
    onerror: (error) => console.error("MCP request failed:", error),
  });
}

export default oauthWorker({
  "/mcp": { fetch: mcpHandler("/mcp") },
  "/sse": { fetch: mcpHandler("/sse") },
});
