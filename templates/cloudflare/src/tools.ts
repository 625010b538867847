// The tools this MCP server offers. Add yours here: a name, a description the model reads, an
// input schema (zod), and a function that returns content. `user()` is who signed in.
import type { McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";
import type { UserProps } from "./cloudflare-upstream";

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
    { description: "The Cloudflare user who signed in, and their accounts." },
    async () => {
      const { userId, email, name, accounts } = user();
      const text = JSON.stringify({ id: userId, email, name, accounts }, null, 2);
      return { content: [{ type: "text", text }] };
    },
  );
}
