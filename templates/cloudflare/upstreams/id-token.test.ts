// The ID token src/openid-connect.ts accepts: signed by a key the issuer publishes, from the
// issuer, for this server's client, unexpired, and carrying this sign-in's nonce. Each spoiled
// token ends the sign-in on a page that says which check failed, and the MCP client gets no
// code. At a refresh, the issuer's new ID token may only be the same user's.
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

test("an address the issuer did not verify is not the user's email", async () => {
  // Only email_verified true (or "true") makes an address the user's: false, "false" (Amazon
  // Cognito sends strings) and no claim at all leave it out; the user is still who `sub` says.
  const cases = [
    ["unverified-email", ""],
    ["unverified-email-string", ""],
    ["unstated-email", ""],
    ["verified-email-string", "string@example.com"],
  ] as const;
  for (const [fault, expected] of cases) {
    const email = fault === "verified-email-string" ? "string@example.com" : `${fault}@example.com`;
    (server.upstream as OidcStub).breakNextIdToken(fault);
    const mcp = await server.signIn({ email });
    const me = JSON.parse(await mcp.text("whoami"));
    assert.equal(me.email, expected, fault);
    assert.equal(me.id, `sub-${email}`);
  }
});

test("a refreshed ID token for another user ends the sign-in", async () => {
  const tokens = await server.authorize({ email: "ada@example.com" });
  (server.upstream as OidcStub).breakNextIdToken("another-user");
  await assert.rejects(server.refresh(tokens), /invalid_grant/);
});

test("a refreshed ID token that can't be verified is left out, and the user stays signed in", async () => {
  const tokens = await server.authorize({ email: "ada@example.com" });
  (server.upstream as OidcStub).breakNextIdToken("wrong-key");
  const mcp = await server.connect(await server.refresh(tokens));
  assert.equal(JSON.parse(await mcp.text("whoami")).email, "ada@example.com");
});
