// The resources this MCP server offers (data a client reads by URI): one file each in
// ./resources/, listed below. To add one, run `cfmcp add resource NAME`.
import type { McpServer } from "@modelcontextprotocol/server";
import type { UserProps } from "./upstream";
import * as about from "./resources/about";

/** Each file in ./resources/ exports `register`: it puts its resource on the server. */
const resources: { register(server: McpServer, user: () => UserProps): void }[] = [about];

export function registerResources(server: McpServer, user: () => UserProps) {
  for (const resource of resources) resource.register(server, user);
}
