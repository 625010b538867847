// The tools this MCP server offers: one file each in ./tools/, listed below. To add one, run
// `cfmcp add tool NAME` (or copy ./tools/add.ts, then list it here).
import type { McpServer } from "@modelcontextprotocol/server";
import type { UserProps } from "./upstream";
import * as add from "./tools/add";
import * as whoami from "./tools/whoami";

/** Each file in ./tools/ exports `register`: it puts its tool on the server. */
const tools: { register(server: McpServer, user: () => UserProps): void }[] = [add, whoami];

export function registerTools(server: McpServer, user: () => UserProps) {
  for (const tool of tools) tool.register(server, user);
}
