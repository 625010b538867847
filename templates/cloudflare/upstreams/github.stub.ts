// A stand-in for the identity provider, here GitHub: the parts src/upstream.ts calls, on
// 127.0.0.1 with GitHub's paths and JSON: the authorize page (the browser is already signed in,
// so it redirects straight back with a code), the token endpoint (an OAuth app's: tokens that
// never expire, errors as HTTP 200 with an `error` field) and the API's /user and /user/emails.
// ./harness.ts points the Worker at it.
import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
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
  /** End every token of `email`, as when they revoke the app in their GitHub settings. */
  revoke(email: string): void;
  close(): Promise<void>;
}

interface PendingCode {
  email: string;
  redirectUri: string;
  codeChallenge: string;
}

/** GitHub's user ids are numbers; these are derived from the address, so tests know them. */
export function githubId(email: string): number {
  return createHash("sha256").update(email).digest().readUInt32BE(0);
}

export async function startUpstreamStub(): Promise<UpstreamStub> {
  const codes = new Map<string, PendingCode>();
  const accessTokens = new Map<string, string>(); // token -> email

  function authorize(url: URL, request: IncomingMessage): Reply {
    const email = readCookie(request, USER_COOKIE);
    const redirectUri = url.searchParams.get("redirect_uri");
    if (url.searchParams.get("client_id") !== CLIENT_ID || !redirectUri || !email) {
      return json(404, { message: "Not Found" });
    }
    const code = randomBytes(10).toString("hex");
    const codeChallenge = url.searchParams.get("code_challenge") ?? "";
    codes.set(code, { email, redirectUri, codeChallenge });
    const back = new URL(redirectUri);
    back.searchParams.set("code", code);
    back.searchParams.set("state", url.searchParams.get("state") ?? "");
    return { status: 302, headers: { Location: back.href } };
  }

  function accessToken(form: URLSearchParams): Reply {
    if (form.get("client_id") !== CLIENT_ID || form.get("client_secret") !== CLIENT_SECRET) {
      return json(200, { error: "incorrect_client_credentials" });
    }
    const code = form.get("code") ?? "";
    const pending = codes.get(code);
    codes.delete(code);
    const verifier = form.get("code_verifier") ?? "";
    const challenge = createHash("sha256").update(verifier).digest("base64url");
    if (pending?.redirectUri !== form.get("redirect_uri") || pending?.codeChallenge !== challenge) {
      return json(200, { error: "bad_verification_code" });
    }
    const token = `gho_${randomBytes(18).toString("hex")}`;
    accessTokens.set(token, pending.email);
    return json(200, { access_token: token, token_type: "bearer", scope: "read:user,user:email" });
  }

  function api(url: URL, request: IncomingMessage): Reply {
    const email = accessTokens.get((request.headers.authorization ?? "").replace(/^Bearer /, ""));
    if (!email) return json(401, { message: "Bad credentials", status: "401" });
    if (!request.headers["user-agent"]) return json(403, { message: "User-Agent required" });
    const [login] = email.split("@");
    if (url.pathname === "/user") {
      // A private email is null here; /user/emails has it.
      return json(200, { id: githubId(email), login, name: null, email: null });
    }
    if (url.pathname === "/user/emails") {
      return json(200, [{ email, primary: true, verified: true, visibility: null }]);
    }
    return json(404, { message: "Not Found" });
  }

  async function route(request: IncomingMessage): Promise<Reply> {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    if (request.method === "GET" && url.pathname === "/login/oauth/authorize") {
      return authorize(url, request);
    }
    if (request.method === "POST" && url.pathname === "/login/oauth/access_token") {
      return accessToken(new URLSearchParams(await readBody(request)));
    }
    if (request.method === "GET") return api(url, request);
    return json(404, { message: "Not Found" });
  }

  const server = createServer((request, response) => {
    route(request)
      .catch((error: unknown) => json(500, { message: String(error) }))
      .then(({ status, headers, body }) => response.writeHead(status, headers).end(body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    vars: { GITHUB_OAUTH_URL: `${origin}/login/oauth`, GITHUB_API_URL: origin },
    secrets: { GITHUB_CLIENT_ID: CLIENT_ID, GITHUB_CLIENT_SECRET: CLIENT_SECRET },
    signedInAs: (email) => new Map([[origin, new Map([[USER_COOKIE, encodeURIComponent(email)]])]]),
    revoke(email) {
      for (const [token, owner] of accessTokens) if (owner === email) accessTokens.delete(token);
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
