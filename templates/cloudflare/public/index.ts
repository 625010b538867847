// The Worker: a public MCP server. There is no sign-in: anyone who knows the URL can call the
// tools in ./tools.ts, so give it only tools that are safe for anyone (`cfmcp init --auth ...`
// makes a server with sign-in). MCP over streamable HTTP on /mcp, statelessly: 2026-07-28
// clients and 2025-era clients share it, and /sse answers the same way. Requests no real client
// sends are refused first (./guards.ts): a Host this server does not answer for, a browser
// Origin it does not trust, a body too large or one that stops arriving.
import { createMcpHandler } from "agents/mcp/server";
import { admitted, boundedMessage, releaseBody } from "./guards";
import { serverFor } from "./server";
import { ANYONE } from "./upstream";

const MCP_PATHS = ["/mcp", "/sse"];

function mcpHandler(route: string) {
  return createMcpHandler(() => serverFor(ANYONE), {
    route,
    allowedOriginHostnames: "*", // checked before, by refusedOrigin
    onerror: (error) => console.error("MCP request failed:", error),
  });
}

const handlers: Record<string, ReturnType<typeof mcpHandler>> = {
  "/mcp": mcpHandler("/mcp"),
  "/sse": mcpHandler("/sse"),
};

async function answer(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
  const entry = await admitted(request, env, MCP_PATHS);
  if (entry instanceof Response) return entry;
  const { request: bounded, url } = entry;
  const handler = handlers[url.pathname];
  if (handler) {
    const message = await boundedMessage(bounded);
    return message instanceof Response ? message : handler(message, env, ctx);
  }
  if (url.pathname === "/" && request.method === "GET") {
    const mcp = new URL("/mcp", url);
    return new Response(`A public MCP server: connect an MCP client to ${mcp}\n`);
  }
  return new Response("Not found\n", { status: 404 });
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    try {
      return await answer(request, env, ctx);
    } finally {
      releaseBody(request);
    }
  },
} satisfies ExportedHandler<Env>;
