// The ID token src/upstream.ts accepts: signed by a key the issuer publishes, from the issuer,
// for this server's client, unexpired, and carrying this sign-in's nonce. Each spoiled token
// ends the sign-in on a page that says which check failed, and the MCP client gets no code.
import { test } from "node:test";
import assert from "node:assert/strict";
import { testServer } from "./harness.ts";
import type { IdTokenFault, OidcStub } from "./upstream-stub.ts";

const server = testServer();

const refusals: [IdTokenFault, string, RegExp][] = [
  ["wrong-key", "signed by a key the issuer does not publish", /not signed by a key the issuer publishes/],
  ["wrong-audience", "issued to another application", /issued to another application/],
  ["wrong-issuer", "from another issuer", /issued by another issuer/],
  ["expired", "that has expired", /has expired/],
  ["wrong-nonce", "with another sign-in's nonce", /nonce in the ID token does not match this sign-in/],
];

for (const [fault, what, reason] of refusals) {
  test(`an ID token ${what} is refused, with no grant`, async () => {
    (server.upstream as OidcStub).breakNextIdToken(fault);
    await assert.rejects(
      server.authorize({ email: "mallory@example.com" }),
      (error: Error) => {
        assert.match(error.message, /Sign-in stopped at \/callback: HTTP 403/);
        assert.match(error.message, /Sign-in refused/);
        assert.match(error.message, reason);
        return true;
      },
    );
  });
}

test("after a refused ID token, a good one signs in", async () => {
  (server.upstream as OidcStub).breakNextIdToken("wrong-key");
  await assert.rejects(server.authorize({ email: "ada@example.com" }));
  const mcp = await server.signIn({ email: "ada@example.com" });
  assert.equal(JSON.parse(await mcp.text("whoami")).email, "ada@example.com");
});
