// A tool that reads who signed in: `user()` is the user whose token called it, with what the
// sign-in provider said of them (see ../upstream.ts).
import type { McpServer } from "@modelcontextprotocol/server";
import { publicProfile, type UserProps } from "../upstream";

export function register(server: McpServer, user: () => UserProps) {
  server.registerTool(
    "whoami",
    { description: "Who signed in: id, email and name, as the sign-in provider knows them." },
    async () => {
      const text = JSON.stringify(publicProfile(user()), null, 2);
      return { content: [{ type: "text", text }] };
    },
  );
}
