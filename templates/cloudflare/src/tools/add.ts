// A tool with arguments: a name, a description the model reads, an input schema (zod) that is
// checked before the function runs, and content to return.
import type { McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";

export function register(server: McpServer) {
  server.registerTool(
    "add",
    {
      description: "Add two numbers.",
      inputSchema: z.object({ a: z.number(), b: z.number() }),
    },
    async ({ a, b }) => ({ content: [{ type: "text", text: String(a + b) }] }),
  );
}
