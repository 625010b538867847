// A stand-in for the identity provider, here Cloudflare: the parts src/upstream.ts calls, on
// 127.0.0.1 with Cloudflare's paths and JSON: the authorize page (the browser is already signed
// in, so it redirects straight back with a code), the token endpoint (code with PKCE, refresh
// with rotation) and the API's /user and /accounts. ./harness.ts points the Worker at it.
import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

const CLIENT_ID = "test-client-id";
const CLIENT_SECRET = "test-client-secret";
const USER_COOKIE = "signed_in_as";

export interface UpstreamStub {
  /** The Worker's vars and secrets that point it at this stand-in. */
  vars: Record<string, string>;
  secrets: Record<string, string>;
  /** A browser's cookies (origin -> name -> value) signed in to this stand-in as `email`. */
  signedInAs(email: string): Map<string, Map<string, string>>;
  /** End every token of `email`, as when they remove the app from their Cloudflare account. */
  revoke(email: string): void;
  close(): Promise<void>;
}

interface PendingCode {
  email: string;
  redirectUri: string;
  codeChallenge: string;
}

/** Cloudflare's ids are 32 hex digits; these are derived from the address, so tests know them. */
export function cloudflareId(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 32);
}

export async function startUpstreamStub(): Promise<UpstreamStub> {
  const codes = new Map<string, PendingCode>();
  const accessTokens = new Map<string, string>(); // token -> email
  const refreshTokens = new Map<string, string>();

  function issueTokens(email: string) {
    const tokens = {
      access_token: randomBytes(16).toString("hex"),
      refresh_token: randomBytes(16).toString("hex"),
      expires_in: 3600,
      token_type: "bearer",
    };
    accessTokens.set(tokens.access_token, email);
    refreshTokens.set(tokens.refresh_token, email);
    return tokens;
  }

  function authorize(url: URL, request: IncomingMessage): Reply {
    const email = readCookie(request, USER_COOKIE);
    const redirectUri = url.searchParams.get("redirect_uri");
    if (url.searchParams.get("client_id") !== CLIENT_ID || !redirectUri || !email) {
      return json(400, { error: "invalid_request" });
    }
    const code = randomBytes(16).toString("hex");
    const codeChallenge = url.searchParams.get("code_challenge") ?? "";
    codes.set(code, { email, redirectUri, codeChallenge });
    const back = new URL(redirectUri);
    back.searchParams.set("code", code);
    back.searchParams.set("state", url.searchParams.get("state") ?? "");
    return { status: 302, headers: { Location: back.href } };
  }

  function token(request: IncomingMessage, form: URLSearchParams): Reply {
    const basic = Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString("base64");
    if (request.headers.authorization !== `Basic ${basic}`) return json(401, { error: "invalid_client" });
    if (form.get("grant_type") === "authorization_code") {
      const code = form.get("code") ?? "";
      const pending = codes.get(code);
      codes.delete(code);
      const verifier = form.get("code_verifier") ?? "";
      const challenge = createHash("sha256").update(verifier).digest("base64url");
      if (pending?.redirectUri !== form.get("redirect_uri") || pending?.codeChallenge !== challenge) {
        return json(400, { error: "invalid_grant" });
      }
      return json(200, issueTokens(pending.email));
    }
    if (form.get("grant_type") === "refresh_token") {
      const refreshToken = form.get("refresh_token") ?? "";
      const email = refreshTokens.get(refreshToken);
      if (!email) return json(400, { error: "invalid_grant" });
      refreshTokens.delete(refreshToken);
      return json(200, issueTokens(email));
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

  async function route(request: IncomingMessage): Promise<Reply> {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    if (request.method === "GET" && url.pathname === "/oauth2/auth") return authorize(url, request);
    if (request.method === "POST" && url.pathname === "/oauth2/token") {
      return token(request, new URLSearchParams(await readBody(request)));
    }
    if (request.method === "GET" && url.pathname.startsWith("/client/v4/")) return api(url, request);
    return json(404, { error: "not_found" });
  }

  const server = createServer((request, response) => {
    route(request)
      .catch((error: unknown) => json(500, { error: String(error) }))
      .then(({ status, headers, body }) => response.writeHead(status, headers).end(body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    vars: { CLOUDFLARE_OAUTH_URL: `${origin}/oauth2`, CLOUDFLARE_API_URL: `${origin}/client/v4` },
    secrets: { CLOUDFLARE_CLIENT_ID: CLIENT_ID, CLOUDFLARE_CLIENT_SECRET: CLIENT_SECRET },
    signedInAs: (email) => new Map([[origin, new Map([[USER_COOKIE, encodeURIComponent(email)]])]]),
    revoke(email) {
      for (const tokens of [accessTokens, refreshTokens]) {
        for (const [value, owner] of tokens) if (owner === email) tokens.delete(value);
      }
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

function json(status: number, body: unknown): Reply {
  return { status, headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
}

function envelope(status: number, result: unknown, errors: object[] = []): Reply {
  return json(status, { success: status === 200, errors, messages: [], result });
}

function readCookie(request: IncomingMessage, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? "").split(";")) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return decodeURIComponent(value.join("="));
  }
  return undefined;
}

async function readBody(request: IncomingMessage): Promise<string> {
  let text = "";
  for await (const chunk of request) text += chunk;
  return text;
}
