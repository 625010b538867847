// What every test file starts with: `const server = testServer();` runs this project's Worker
// (./worker.ts) for the file's tests. `server.connect()` gives back an MCP client connected to
// /mcp the way any client connects to this public server: with no token.
import { after, before } from "node:test";
import {
  Client,
  StreamableHTTPClientTransport,
  type CallToolResult,
} from "@modelcontextprotocol/client";
import { startWorker, type RunningWorker } from "./worker.ts";

export interface Connected {
  /** The MCP SDK's client, connected to /mcp. */
  client: Client;
  /** Call a tool; its whole result. */
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
  /** Call a tool; the text of its result. A tool error fails the test. */
  text(name: string, args?: Record<string, unknown>): Promise<string>;
}

export interface TestServer {
  /** The Worker's origin, e.g. http://127.0.0.1:PORT/. */
  readonly url: URL;
  /** A request to the Worker; `path` is relative to its origin. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /**
   * Connect an MCP client. `era: "legacy"` speaks the 2025 protocol (initialize first), as
   * clients from before 2026-07-28 do.
   */
  connect(options?: { era?: "modern" | "legacy" }): Promise<Connected>;
  /** A connected MCP client: connect(), under the name servers with sign-in use too. */
  mcp(options?: { era?: "modern" | "legacy" }): Promise<Connected>;
}

/** Starts the Worker before this file's tests and stops it after them. */
export function testServer(): TestServer {
  let worker: RunningWorker;
  const clients: Client[] = [];

  before(async () => {
    // The Worker under test answers as itself (127.0.0.1), not as its deployed origin.
    worker = await startWorker({ vars: { PUBLIC_URL: "" }, secrets: {} });
  });

  after(async () => {
    await Promise.allSettled(clients.map((client) => client.close()));
    await worker?.close();
  });

  const server: TestServer = {
    get url() {
      return worker.url;
    },
    fetch: (path, init) => fetch(new URL(path, worker.url), init),

    async connect({ era = "modern" } = {}) {
      const client = new Client(
        { name: "npm-test", version: "1.0.0" },
        { versionNegotiation: { mode: era === "modern" ? { pin: "2026-07-28" } : "legacy" } },
      );
      await client.connect(new StreamableHTTPClientTransport(new URL("/mcp", worker.url)));
      clients.push(client);
      const call = async (name: string, args: Record<string, unknown> = {}) =>
        (await client.callTool({ name, arguments: args })) as CallToolResult;
      return {
        client,
        call,
        async text(name, args) {
          const result = await call(name, args);
          const text = result.content.map((part) => (part.type === "text" ? part.text : "")).join("");
          if (result.isError) throw new Error(`Tool ${name} returned an error: ${text}`);
          return text;
        },
      };
    },

    mcp: (options) => server.connect(options),
  };
  return server;
}
