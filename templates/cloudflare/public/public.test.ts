// What a public server is: /mcp answers anyone, with no token, and there is no sign-in to
// find (no /authorize, no OAuth metadata); browser pages from elsewhere are still refused.
import { test } from "node:test";
import assert from "node:assert/strict";
import { testServer } from "./harness.ts";

const server = testServer();

// What a 2025-era client sends first; no Authorization header.
const initialize = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: {
    protocolVersion: "2025-11-25",
    capabilities: {},
    clientInfo: { name: "npm-test", version: "1.0.0" },
  },
});
const mcpHeaders = { "Content-Type": "application/json", Accept: "application/json, text/event-stream" };

test("/mcp answers without a token", async () => {
  const response = await server.fetch("/mcp", { method: "POST", headers: mcpHeaders, body: initialize });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("WWW-Authenticate"), null);
});

test("there is no sign-in: /authorize, /token, /register and the OAuth metadata are 404", async () => {
  for (const path of [
    "/authorize",
    "/token",
    "/register",
    "/callback",
    "/.well-known/oauth-authorization-server",
    "/.well-known/oauth-protected-resource",
  ]) {
    const response = await server.fetch(path);
    assert.equal(response.status, 404, path);
  }
});

test("a browser page from another site is refused", async () => {
  const response = await server.fetch("/mcp", {
    method: "POST",
    headers: { ...mcpHeaders, Origin: "https://evil.example" },
    body: initialize,
  });
  assert.equal(response.status, 403);
});
