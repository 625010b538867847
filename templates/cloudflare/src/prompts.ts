// The prompts this MCP server offers (messages a user picks in their client, with arguments):
// one file each in ./prompts/, listed below. To add one, run `cfmcp add prompt NAME`.
import type { McpServer } from "@modelcontextprotocol/server";
import type { UserProps } from "./upstream";
import * as summarize from "./prompts/summarize";

/** Each file in ./prompts/ exports `register`: it puts its prompt on the server. */
const prompts: { register(server: McpServer, user: () => UserProps): void }[] = [summarize];

export function registerPrompts(server: McpServer, user: () => UserProps) {
  for (const prompt of prompts) prompt.register(server, user);
}
