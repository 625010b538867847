// The MCP server for one request: the 2026-07-28 protocol has no sessions, so each request
// gets a fresh server with the tools, resources and prompts of ./tools.ts, ./resources.ts and
// ./prompts.ts, and the user its bearer token belongs to.
import { McpServer, type McpRequestContext } from "@modelcontextprotocol/server";
import type { UserProps } from "./upstream";
import { SERVER_NAME, SERVER_VERSION } from "./config";
import { registerPrompts } from "./prompts";
import { registerResources } from "./resources";
import { registerTools } from "./tools";

export function createServer({ authInfo }: McpRequestContext): McpServer {
  // Put there by the OAuth provider after it checked the token (see ./oauth.ts).
  const user = authInfo?.extra?.props as UserProps | undefined;
  if (!user) throw new Error("No signed-in user: serve MCP behind the OAuth provider (oauth.ts).");
  return serverFor(user);
}

/** A server whose tools see `user`. */
export function serverFor(user: UserProps): McpServer {
  // A server that lives for one request never tells a client its lists changed, so it says so
  // (the SDK would otherwise declare listChanged).
  const unchanging = { listChanged: false };
  const server = new McpServer(
    { name: SERVER_NAME, version: SERVER_VERSION },
    { capabilities: { tools: unchanging, resources: unchanging, prompts: unchanging } },
  );
  offerAll(server, () => user);
  return server;
}

/** Puts everything this server offers on `server`. */
export function offerAll(server: McpServer, user: () => UserProps) {
  registerTools(server, user);
  registerResources(server, user);
  registerPrompts(server, user);
}
