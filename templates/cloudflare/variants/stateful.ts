// The Worker: OAuth in front, MCP behind it, and a session (a Durable Object) per 2025-era
// client. Those clients keep a session on /mcp (streamable HTTP) and on /sse (HTTP+SSE), with
// server-to-client requests, notifications and state that lives as long as the session.
// 2026-07-28 clients have no sessions in their protocol: /mcp answers them per request, with
// the same tools, resources and prompts (./server.ts).
import { McpServer as SessionServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { isLegacyRequest, type McpServer } from "@modelcontextprotocol/server";
import { McpAgent } from "agents/mcp";
import { createMcpHandler } from "agents/mcp/server";
import type { UserProps } from "./upstream";
import { SERVER_NAME, SERVER_VERSION } from "./config";
import { oauthWorker } from "./oauth";
import { createServer, offerAll } from "./server";

// The Durable Object that lets one token refresh of a sign-in through at a time.
export { RefreshGate } from "./refresh-gate";

/** What a session keeps: the user, and the OAuth client that started it. */
type SessionProps = UserProps & { clientId: string };

const OWNER = "owner"; // in each session's storage: who started it

function ownerOf(props: SessionProps): string {
  return JSON.stringify([props.userId, props.clientId]);
}

/**
 * The v1 session server as the v2 McpServer the tools, resources and prompts are written for.
 * Of what they use, only registerPrompt differs: v1 takes the arguments' shape, v2 a z.object.
 */
function asModern(session: SessionServer): McpServer {
  const server = session as unknown as McpServer;
  const registerPrompt = session.registerPrompt.bind(session) as (...args: unknown[]) => unknown;
  const v2Style = (name: string, config: { argsSchema?: { shape: unknown } }, cb: unknown) =>
    registerPrompt(name, { ...config, argsSchema: config.argsSchema?.shape }, cb);
  server.registerPrompt = v2Style as unknown as McpServer["registerPrompt"];
  return server;
}

/** One MCP session, usable only with tokens of the user and client that started it. */
export class MyMCP extends McpAgent<Env, unknown, SessionProps> {
  // McpAgent serves the MCP SDK v1 server. The tools, resources and prompts use only the
  // surface v1 shares with v2 (names, descriptions, z.object schemas, arguments in, content
  // out); a handler that reads its last argument gets v1's `extra` here, v2's context there.
  server = new SessionServer({ name: SERVER_NAME, version: SERVER_VERSION });

  async init() {
    offerAll(asModern(this.server), () => this.props!);
  }

  /** A new session belongs to whoever started it, for good. */
  async onStart(props?: SessionProps) {
    if (props && !(await this.ctx.storage.get(OWNER))) {
      await this.ctx.storage.put(OWNER, ownerOf(props));
    }
    await super.onStart(props);
  }

  /**
   * Called by the Worker before any request that names this session. True when the request's
   * token belongs to the user and client that started it; the session then takes the token's
   * props, so tools see the provider's token as refreshed. Not `async`: McpAgent starts a
   * session before running an async method, and naming an unknown session must start nothing.
   */
  claim(props: SessionProps): Promise<boolean> {
    return this.ctx.storage.get<string>(OWNER).then(async (owner) => {
      if (owner !== ownerOf(props)) return false;
      if (JSON.stringify(this.props) !== JSON.stringify(props)) await this.updateProps(props);
      return true;
    });
  }
}

const sessions = MyMCP.serve("/mcp");
const sseSessions = MyMCP.serveSSE("/sse");
const perRequest = createMcpHandler(createServer, {
  route: "/mcp",
  legacy: "reject",
  // The Worker checks Host and Origin before (./guards.ts) and the OAuth provider answers
  // CORS for the origins it lets through.
  allowedOriginHostnames: "*",
  corsOptions: false,
  onerror: (error) => console.error("MCP request failed:", error),
});

/** The session a request names, if it names one: its id, and the Durable Object name McpAgent
 * gives it. */
function namedSession(request: Request): { id: string; name: string } | null {
  const url = new URL(request.url);
  const header = request.headers.get("mcp-session-id");
  if (url.pathname === "/mcp" && header !== null) {
    return { id: header, name: `streamable-http:${header}` };
  }
  const query = url.searchParams.get("sessionId");
  if (url.pathname.startsWith("/sse") && query !== null) return { id: query, name: `sse:${query}` };
  return null;
}

// McpAgent's ids are 64 hex digits; Durable Object names stop at 1,024 bytes.
const SESSION_ID = /^[0-9a-f]{1,128}$/;

type Fetch = (request: Request, env: Env, ctx: ExecutionContext) => Promise<Response>;

/** Sessions are per user and client: another token gets "Session not found" (404). */
function boundToOwner(handler: { fetch: Fetch }): { fetch: Fetch } {
  return {
    async fetch(request, env, ctx) {
      const context = ctx as ExecutionContext & { props: UserProps; auth: { clientId: string } };
      const props: SessionProps = { ...context.props, clientId: context.auth.clientId };
      const named = namedSession(request);
      if (named) {
        if (!SESSION_ID.test(named.id)) return sessionNotFound(request);
        const session = env.MCP_OBJECT.get(env.MCP_OBJECT.idFromName(named.name));
        if (!(await session.claim(props))) return sessionNotFound(request);
      }
      context.props = props; // what a new session starts with
      const response = await handler.fetch(request, env, ctx);
      // The OAuth provider answers CORS with the request's (checked) origin; McpAgent says "*".
      const answer = new Response(response.body, response);
      answer.headers.delete("Access-Control-Allow-Origin");
      return answer;
    },
  };
}

function sessionNotFound(request: Request): Response {
  if (new URL(request.url).pathname.startsWith("/sse")) {
    return new Response("Session not found", { status: 404 });
  }
  const error = { jsonrpc: "2.0", error: { code: -32001, message: "Session not found" }, id: null };
  return Response.json(error, { status: 404 });
}

const mcp = boundToOwner(sessions);

export default oauthWorker({
  "/mcp": {
    async fetch(request: Request, env: Env, ctx: ExecutionContext) {
      if (await isLegacyRequest(request)) return mcp.fetch(request, env, ctx);
      return perRequest(request, env, ctx);
    },
  },
  "/sse": boundToOwner(sseSessions),
});
