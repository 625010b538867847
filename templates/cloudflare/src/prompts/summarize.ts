// A prompt: its arguments (zod; clients show them as a form) and the messages it makes of them.
import type { McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";

export function register(server: McpServer) {
  server.registerPrompt(
    "summarize",
    {
      description: "Summarize a text in a few sentences.",
      argsSchema: z.object({ text: z.string().describe("The text to summarize") }),
    },
    ({ text }) => ({
      messages: [
        {
          role: "user",
          content: { type: "text", text: `Summarize this in three sentences:\n\n${text}` },
        },
      ],
    }),
  );
}
