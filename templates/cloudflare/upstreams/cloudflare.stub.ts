// A stand-in for the identity provider, here Cloudflare: the parts src/upstream.ts calls, with
// Cloudflare's paths and JSON: the authorize page (the browser is already signed in, so it
// redirects straight back with a code), the token endpoint (code with PKCE, refresh with
// rotation) and the API's /user and /accounts. ./harness.ts points the Worker at it.
import { createHash, randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
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

/** Cloudflare's ids are 32 hex digits; these are derived from the address, so tests know them. */
export function cloudflareId(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 32);
}

export async function startUpstreamStub(): Promise<UpstreamStub> {
  const codes = new Map<string, PendingCode>();
  const accessTokens = new Map<string, string>(); // token -> email
  const refreshTokens = new Map<string, string>();

  function issueTokens(email: string): Reply {
    const tokens = {
      access_token: randomBytes(16).toString("hex"),
      refresh_token: randomBytes(16).toString("hex"),
      expires_in: 3600,
      token_type: "bearer",
    };
    accessTokens.set(tokens.access_token, email);
    refreshTokens.set(tokens.refresh_token, email);
    return json(200, tokens);
  }

  function authorize(url: URL, request: IncomingMessage): Reply {
    const email = signedInEmail(request);
    const redirectUri = url.searchParams.get("redirect_uri");
    if (url.searchParams.get("client_id") !== CLIENT_ID || !redirectUri || !email) {
      return json(400, { error: "invalid_request" });
    }
    const code = issueCode(codes, email, url.searchParams);
    return redirect(redirectUri, { code, state: url.searchParams.get("state") ?? "" });
  }

  function token(request: IncomingMessage, form: URLSearchParams): Reply {
    const basic = Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString("base64");
    if (request.headers.authorization !== `Basic ${basic}`) return json(401, { error: "invalid_client" });
    if (form.get("grant_type") === "authorization_code") {
      const pending = redeemCode(codes, form);
      if (!pending) return json(400, { error: "invalid_grant" });
      return issueTokens(pending.email);
    }
    if (form.get("grant_type") === "refresh_token") {
      const refreshToken = form.get("refresh_token") ?? "";
      const email = refreshTokens.get(refreshToken);
      if (!email) return json(400, { error: "invalid_grant" });
      refreshTokens.delete(refreshToken);
      return issueTokens(email);
    }
    return json(400, { error: "unsupported_grant_type" });
  }

  function api(url: URL, request: IncomingMessage): Reply {
    const bearer = (request.headers.authorization ?? "").replace(/^Bearer /, "");
    const email = accessTokens.get(bearer);
    if (!email) return envelope(401, null, [{ code: 10000, message: "Authentication error" }]);
    if (url.pathname === "/client/v4/user") {
      const [local] = email.split("@");
      return envelope(200, { id: cloudflareId(email), email, first_name: local, last_name: "Test" });
    }
    if (url.pathname === "/client/v4/accounts") {
      return envelope(200, [{ id: cloudflareId(`account:${email}`), name: `${email}'s Account` }]);
    }
    return envelope(404, null, [{ code: 7003, message: "No route for that URI" }]);
  }

  const server = await serve(async (request, url) => {
    if (request.method === "GET" && url.pathname === "/oauth2/auth") return authorize(url, request);
    if (request.method === "POST" && url.pathname === "/oauth2/token") {
      return token(request, await readForm(request));
    }
    if (request.method === "GET" && url.pathname.startsWith("/client/v4/")) return api(url, request);
    return json(404, { error: "not_found" });
  });

  return {
    vars: {
      CLOUDFLARE_OAUTH_URL: `${server.origin}/oauth2`,
      CLOUDFLARE_API_URL: `${server.origin}/client/v4`,
    },
    secrets: { CLOUDFLARE_CLIENT_ID: CLIENT_ID, CLOUDFLARE_CLIENT_SECRET: CLIENT_SECRET },
    signedInAs: server.signedInAs,
    revoke(email) {
      for (const tokens of [accessTokens, refreshTokens]) {
        for (const [value, owner] of tokens) if (owner === email) tokens.delete(value);
      }
    },
    close: server.close,
  };
}

function envelope(status: number, result: unknown, errors: object[] = []): Reply {
  return json(status, { success: status === 200, errors, messages: [], result });
}
