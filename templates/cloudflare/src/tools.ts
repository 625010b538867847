// The tools this MCP server offers. Add yours here: a name, a description the model reads, an
// input schema (zod), and a function that returns content. `user()` is who signed in.
import type { McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";
import { publicProfile, type UserProps } from "./upstream";

export function registerTools(server: McpServer, user: () => UserProps) {
  server.registerTool(
    "add",
    {
      description: "Add two numbers.",
      inputSchema: z.object({ a: z.number(), b: z.number() }),
    },
    async ({ a, b }) => ({ content: [{ type: "text", text: String(a + b) }] }),
  );

  server.registerTool(
    "whoami",
    { description: "Who signed in: id, email and name, as the sign-in provider knows them." },
    async () => {
      const text = JSON.stringify(publicProfile(user()), null, 2);
      return { content: [{ type: "text", text }] };
    },
  );
}
