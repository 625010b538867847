// Sign-in, as MCP clients meet it: what /mcp says without a token, the metadata documents
// clients discover the OAuth server from, and the tokens /mcp accepts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { testServer } from "./harness.ts";

const server = testServer();

function postToMcp(origin: URL, accessToken?: string): Promise<Response> {
  return fetch(new URL("/mcp", origin), {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Accept: "application/json, text/event-stream",
      ...(accessToken ? { Authorization: `Bearer ${accessToken}` } : {}),
    },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: {} }),
  });
}

test("/mcp without a token is 401 and points to the resource metadata", async () => {
  const response = await postToMcp(server.url);
  assert.equal(response.status, 401);
  const challenge = response.headers.get("WWW-Authenticate") ?? "";
  const pointer = /resource_metadata="([^"]+)"/.exec(challenge)?.[1];
  assert.equal(pointer, new URL("/.well-known/oauth-protected-resource", server.url).href);
});

test("the metadata documents lead a client to sign-in", async () => {
  const document = await server.fetch("/.well-known/oauth-protected-resource");
  const resource = (await document.json()) as { resource: string; authorization_servers: string[] };
  assert.equal(resource.resource, server.url.origin);
  const [issuer] = resource.authorization_servers;
  const response = await fetch(new URL("/.well-known/oauth-authorization-server", issuer));
  assert.equal(response.status, 200);
  const metadata = (await response.json()) as Record<string, unknown>;
  assert.equal(metadata.authorization_endpoint, new URL("/authorize", server.url).href);
  assert.equal(metadata.token_endpoint, new URL("/token", server.url).href);
  assert.equal(metadata.registration_endpoint, new URL("/register", server.url).href);
  assert.deepEqual(metadata.code_challenge_methods_supported, ["S256"]);
});

test("each MCP endpoint has metadata that names it", async () => {
  // RFC 9728: a client given https://host/mcp may look for its metadata under that path.
  for (const path of ["/mcp", "/sse"]) {
    const response = await server.fetch(`/.well-known/oauth-protected-resource${path}`);
    assert.equal(response.status, 200);
    const document = (await response.json()) as { resource: string; authorization_servers: string[] };
    assert.equal(document.resource, new URL(path, server.url).href);
    assert.deepEqual(document.authorization_servers, [server.url.origin]);
  }
  const other = await server.fetch("/.well-known/oauth-protected-resource/other");
  assert.equal(other.status, 404);
});

test("clients may name the server by its endpoint's URL", async () => {
  // What clients send as the resource: the metadata's origin, or the URL they were given
  // (hosted clients send https://host/mcp). Each gets a token for the same server.
  for (const path of ["/", "/mcp", "/mcp/", "/sse"]) {
    const resource = new URL(path, server.url).href;
    const mcp = await server.connect(await server.authorize({ resource }));
    const { tools } = await mcp.client.listTools();
    assert.ok(tools.length > 0, `a token for ${resource} opens /mcp`);
  }
  const elsewhere = new URL("/elsewhere", server.url).href;
  await assert.rejects(server.authorize({ resource: elsewhere }), /invalid_target/);
});

test("a signed-in client's token opens /mcp", async () => {
  const mcp = await server.connect(await server.authorize());
  const { tools } = await mcp.client.listTools();
  assert.ok(Array.isArray(tools));
});

test("a token that is not this server's is refused", async () => {
  const response = await postToMcp(server.url, "not-a-token-of-ours");
  assert.equal(response.status, 401);
  assert.match(response.headers.get("WWW-Authenticate") ?? "", /error="invalid_token"/);
});

test("a token for another resource is refused", async () => {
  // A token names the server it was issued for (its audience, RFC 8707). The Worker answers on
  // 127.0.0.1 and on localhost, two origins and so two resources: the first one's token must
  // not open the second, as a token for another MCP server must not open this one.
  const { access_token } = await server.authorize();
  const elsewhere = new URL(server.url);
  elsewhere.hostname = "localhost";
  const response = await postToMcp(elsewhere, access_token);
  assert.equal(response.status, 401);
  assert.match(response.headers.get("WWW-Authenticate") ?? "", /error="invalid_token"/);
});

test("a refresh gives a working token", async () => {
  const mcp = await server.connect(await server.refresh(await server.authorize()));
  const { tools } = await mcp.client.listTools();
  assert.ok(Array.isArray(tools));
});

test("a sign-in revoked at the provider ends at the next refresh", async () => {
  const tokens = await server.authorize({ email: "leaving@example.com" });
  server.upstream.revoke("leaving@example.com");
  await assert.rejects(server.refresh(tokens), /HTTP 400 .*invalid_grant/);
});
