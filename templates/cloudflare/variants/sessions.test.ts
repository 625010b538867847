// Sessions (this project is stateful): a client of the 2025 protocol on /mcp gets a session,
// a Durable Object of its own (src/index.ts), which only the user and the client (the app)
// that started it can use.
import { test } from "node:test";
import assert from "node:assert/strict";
import { testServer } from "./harness.ts";

const server = testServer();

function ping(sessionId: string, accessToken: string): Promise<Response> {
  return server.fetch("/mcp", {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Accept: "application/json, text/event-stream",
      Authorization: `Bearer ${accessToken}`,
      "Mcp-Session-Id": sessionId,
      "Mcp-Protocol-Version": "2025-06-18",
    },
    body: JSON.stringify({ jsonrpc: "2.0", id: 7, method: "ping" }),
  });
}

test("a session answers its own user's requests", async () => {
  const ada = await server.signIn({ email: "ada@example.com", era: "legacy" });
  assert.ok(ada.sessionId, "a 2025-era client gets an Mcp-Session-Id");
  assert.equal((await ping(ada.sessionId, ada.tokens.access_token)).status, 200);
});

test("another user's token cannot use the session", async () => {
  const ada = await server.signIn({ email: "ada@example.com", era: "legacy" });
  const bob = await server.authorize({ email: "bob@example.com" });
  assert.equal((await ping(ada.sessionId!, bob.access_token)).status, 404);
  await ada.client.listTools(); // the session lives on for its user
});

test("the same user through another app cannot use the session", async () => {
  const ada = await server.signIn({ email: "ada@example.com", era: "legacy" });
  const otherApp = await server.authorize({ email: "ada@example.com", newClient: true });
  assert.equal((await ping(ada.sessionId!, otherApp.access_token)).status, 404);
});
