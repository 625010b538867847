// A resource at a fixed URI: what this server is. A URI with {variables}, such as
// "resource://notes/{id}", takes a ResourceTemplate instead (`cfmcp add resource` writes one).
import type { McpServer } from "@modelcontextprotocol/server";
import { SERVER_NAME, SERVER_VERSION } from "../config";

export function register(server: McpServer) {
  server.registerResource(
    "about",
    "resource://about",
    { description: "This server's name and version.", mimeType: "application/json" },
    async (uri) => ({
      contents: [
        {
          uri: uri.href,
          mimeType: "application/json",
          text: JSON.stringify({ name: SERVER_NAME, version: SERVER_VERSION }),
        },
      ],
    }),
  );
}
