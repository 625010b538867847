// A stand-in for an OpenID Connect issuer, for ./upstream-stub.ts: the discovery
// document, the signing keys (JWKS), the authorize page (the browser is already signed in, so
// it redirects straight back with a code), the token endpoint (codes, rotating refresh tokens,
// RS256 ID tokens signed with `jose`) and userinfo. `breakNextIdToken()` makes the next ID token
// fail one check, for the tests that prove src/upstream.ts refuses it.
import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { SignJWT, exportJWK, generateKeyPair } from "jose";
import {
  CLIENT_ID,
  CLIENT_SECRET,
  issueCode,
  json,
  readForm,
  redeemCode,
  redirect,
  serve,
  signedInEmail,
  type PendingCode,
  type Reply,
  type UpstreamStub,
} from "./stub-kit.ts";

/** How `breakNextIdToken()` spoils the next ID token. */
export type IdTokenFault =
  | "wrong-key"
  | "wrong-audience"
  | "wrong-issuer"
  | "expired"
  | "wrong-nonce"
  | "unverified-email" // email_verified: false
  | "unverified-email-string" // email_verified: "false", as Amazon Cognito sends it
  | "unstated-email" // no email_verified at all
  | "verified-email-string" // email_verified: "true"
  | "another-user";

/** What each email fault says of the address, in the ID token and in userinfo. */
const EMAIL_VERIFIED: Partial<Record<IdTokenFault, unknown>> = {
  "unverified-email": false,
  "unverified-email-string": "false",
  "unstated-email": undefined,
  "verified-email-string": "true",
};

export interface OidcStub extends UpstreamStub {
  breakNextIdToken(fault: IdTokenFault): void;
}

const ACCESS_TOKEN_SECONDS = 3600;

/** The issuer, with the Worker's vars and secrets named `${prefix}_ISSUER` and so on. */
export async function startIssuerStub(prefix: "GOOGLE" | "OIDC"): Promise<OidcStub> {
  const signing = await generateKeyPair("RS256");
  const stranger = await generateKeyPair("RS256"); // a key the issuer never published
  const publicJwk = { ...(await exportJWK(signing.publicKey)), kid: "stub-1", alg: "RS256", use: "sig" };
  const codes = new Map<string, PendingCode & { nonce: string }>();
  const accessTokens = new Map<string, string>(); // token -> email
  const refreshTokens = new Map<string, string>(); // token -> email
  let fault: IdTokenFault | undefined;
  const verification = new Map<string, unknown>(); // email_verified by address, when not true
  let issuer = "";

  function emailVerified(email: string): { email_verified?: unknown } {
    if (!verification.has(email)) return { email_verified: true };
    const value = verification.get(email);
    return value === undefined ? {} : { email_verified: value };
  }

  async function idToken(email: string, nonce?: string): Promise<string> {
    const broken = fault;
    fault = undefined;
    if (broken !== undefined && broken in EMAIL_VERIFIED) verification.set(email, EMAIL_VERIFIED[broken]);
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      email,
      ...emailVerified(email),
      name: email.split("@")[0],
      nonce: broken === "wrong-nonce" ? "not-this-sign-in" : nonce,
    };
    return new SignJWT(claims)
      .setProtectedHeader({ alg: "RS256", kid: "stub-1" })
      .setSubject(broken === "another-user" ? "sub-someone-else" : `sub-${email}`)
      .setIssuer(broken === "wrong-issuer" ? "https://elsewhere.example" : issuer)
      .setAudience(broken === "wrong-audience" ? "another-client" : CLIENT_ID)
      .setIssuedAt(broken === "expired" ? now - 7200 : now)
      .setExpirationTime(broken === "expired" ? now - 3600 : now + 3600)
      .sign(broken === "wrong-key" ? stranger.privateKey : signing.privateKey);
  }

  function authorize(url: URL, request: IncomingMessage): Reply {
    const email = signedInEmail(request);
    const params = url.searchParams;
    const redirectUri = params.get("redirect_uri");
    if (params.get("client_id") !== CLIENT_ID || !redirectUri || !email) {
      return json(400, { error: "invalid_request" });
    }
    if (params.has("resource")) return json(400, { error: "invalid_target" }); // as Entra ID does
    const code = issueCode(codes as Map<string, PendingCode>, email, params);
    codes.set(code, { ...codes.get(code)!, nonce: params.get("nonce") ?? "" });
    return redirect(redirectUri, { code, state: params.get("state") ?? "" });
  }

  async function token(form: URLSearchParams, request: IncomingMessage): Promise<Reply> {
    const basic = Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString("base64");
    if (request.headers.authorization !== `Basic ${basic}`) {
      return json(401, { error: "invalid_client" });
    }
    let email: string | undefined;
    let nonce: string | undefined;
    if (form.get("grant_type") === "authorization_code") {
      const pending = codes.get(form.get("code") ?? "");
      email = redeemCode(codes as Map<string, PendingCode>, form)?.email;
      nonce = pending?.nonce;
    } else if (form.get("grant_type") === "refresh_token") {
      const refresh = form.get("refresh_token") ?? "";
      email = refreshTokens.get(refresh);
      refreshTokens.delete(refresh); // rotation
    }
    if (!email) return json(400, { error: "invalid_grant" });
    const access = randomBytes(18).toString("hex");
    const refresh = randomBytes(18).toString("hex");
    accessTokens.set(access, email);
    refreshTokens.set(refresh, email);
    return json(200, {
      access_token: access,
      token_type: "Bearer",
      expires_in: ACCESS_TOKEN_SECONDS,
      refresh_token: refresh,
      id_token: await idToken(email, nonce),
      scope: "openid email profile",
    });
  }

  function userinfo(request: IncomingMessage): Reply {
    const email = accessTokens.get((request.headers.authorization ?? "").replace(/^Bearer /, ""));
    if (!email) return json(401, { error: "invalid_token" });
    return json(200, { sub: `sub-${email}`, email, ...emailVerified(email), name: email.split("@")[0] });
  }

  const server = await serve(async (request, url) => {
    if (request.method === "GET" && url.pathname === "/.well-known/openid-configuration") {
      return json(200, {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        userinfo_endpoint: `${issuer}/userinfo`,
        jwks_uri: `${issuer}/jwks`,
        response_types_supported: ["code"],
        subject_types_supported: ["public"],
        id_token_signing_alg_values_supported: ["RS256"],
        code_challenge_methods_supported: ["S256"],
        token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
      });
    }
    if (request.method === "GET" && url.pathname === "/jwks") return json(200, { keys: [publicJwk] });
    if (request.method === "GET" && url.pathname === "/authorize") return authorize(url, request);
    if (request.method === "POST" && url.pathname === "/token") {
      return token(await readForm(request), request);
    }
    if (request.method === "GET" && url.pathname === "/userinfo") return userinfo(request);
    return json(404, { error: "not_found" });
  });
  issuer = server.origin;

  return {
    vars: { [`${prefix}_ISSUER`]: issuer, [`${prefix}_AUTHORIZE_PARAMS`]: "" },
    secrets: { [`${prefix}_CLIENT_ID`]: CLIENT_ID, [`${prefix}_CLIENT_SECRET`]: CLIENT_SECRET },
    signedInAs: server.signedInAs,
    revoke(email) {
      for (const tokens of [accessTokens, refreshTokens]) {
        for (const [token, owner] of tokens) if (owner === email) tokens.delete(token);
      }
    },
    breakNextIdToken(next) {
      fault = next;
    },
    close: server.close,
  };
}
