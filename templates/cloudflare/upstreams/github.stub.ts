// A stand-in for the identity provider, here GitHub: the parts src/upstream.ts calls, with
// GitHub's paths and JSON: the authorize page (the browser is already signed in, so it
// redirects straight back with a code), the token endpoint (an OAuth app's: tokens that never
// expire, errors as HTTP 200 with an `error` field) and the API's /user and /user/emails.
// ./harness.ts points the Worker at it.
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

/** GitHub's user ids are numbers; these are derived from the address, so tests know them. */
export function githubId(email: string): number {
  return createHash("sha256").update(email).digest().readUInt32BE(0);
}

export async function startUpstreamStub(): Promise<UpstreamStub> {
  const codes = new Map<string, PendingCode>();
  const accessTokens = new Map<string, string>(); // token -> email

  function authorize(url: URL, request: IncomingMessage): Reply {
    const email = signedInEmail(request);
    const redirectUri = url.searchParams.get("redirect_uri");
    if (url.searchParams.get("client_id") !== CLIENT_ID || !redirectUri || !email) {
      return json(404, { message: "Not Found" });
    }
    const code = issueCode(codes, email, url.searchParams);
    return redirect(redirectUri, { code, state: url.searchParams.get("state") ?? "" });
  }

  function accessToken(form: URLSearchParams): Reply {
    if (form.get("client_id") !== CLIENT_ID || form.get("client_secret") !== CLIENT_SECRET) {
      return json(200, { error: "incorrect_client_credentials" });
    }
    const pending = redeemCode(codes, form);
    if (!pending) return json(200, { error: "bad_verification_code" });
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

  const server = await serve(async (request, url) => {
    if (request.method === "GET" && url.pathname === "/login/oauth/authorize") {
      return authorize(url, request);
    }
    if (request.method === "POST" && url.pathname === "/login/oauth/access_token") {
      return accessToken(await readForm(request));
    }
    if (request.method === "GET") return api(url, request);
    return json(404, { message: "Not Found" });
  });

  return {
    vars: { GITHUB_OAUTH_URL: `${server.origin}/login/oauth`, GITHUB_API_URL: server.origin },
    secrets: { GITHUB_CLIENT_ID: CLIENT_ID, GITHUB_CLIENT_SECRET: CLIENT_SECRET },
    signedInAs: server.signedInAs,
    revoke(email) {
      for (const [token, owner] of accessTokens) if (owner === email) accessTokens.delete(token);
    },
    close: server.close,
  };
}
