// What every identity-provider stand-in (./upstream-stub.ts) is built from: a server on
// 127.0.0.1, JSON replies, form bodies, codes checked with PKCE (S256), and the browser cookie
// that says who is signed in to the provider.
import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

export const CLIENT_ID = "test-client-id";
export const CLIENT_SECRET = "test-client-secret";
const USER_COOKIE = "signed_in_as";

export interface UpstreamStub {
  /** The Worker's vars and secrets that point it at this stand-in. */
  vars: Record<string, string>;
  secrets: Record<string, string>;
  /** A browser's cookies (origin -> name -> value) signed in to this stand-in as `email`. */
  signedInAs(email: string): Map<string, Map<string, string>>;
  /** End every token of `email`, as when they remove the app from their account. */
  revoke(email: string): void;
  close(): Promise<void>;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export function json(status: number, body: unknown): Reply {
  return { status, headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
}

/** Where to send the browser back to, with `params` added to the query. */
export function redirect(to: string, params: Record<string, string>): Reply {
  const url = new URL(to);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return { status: 302, headers: { Location: url.href } };
}

/** Who the browser is signed in to the provider as (see `signedInAs`). */
export function signedInEmail(request: IncomingMessage): string | undefined {
  for (const part of (request.headers.cookie ?? "").split(";")) {
    const [key, ...value] = part.trim().split("=");
    if (key === USER_COOKIE) return decodeURIComponent(value.join("="));
  }
  return undefined;
}

export async function readForm(request: IncomingMessage): Promise<URLSearchParams> {
  let text = "";
  for await (const chunk of request) text += chunk;
  return new URLSearchParams(text);
}

/** A sign-in the provider's authorize page let through, waiting for its code's exchange. */
export interface PendingCode {
  email: string;
  redirectUri: string;
  codeChallenge: string;
}

/** A code for `email`, from the authorize request's parameters. */
export function issueCode(codes: Map<string, PendingCode>, email: string, params: URLSearchParams) {
  const code = randomBytes(12).toString("hex");
  const redirectUri = params.get("redirect_uri") ?? "";
  codes.set(code, { email, redirectUri, codeChallenge: params.get("code_challenge") ?? "" });
  return code;
}

/** The sign-in a code exchange redeems, once; undefined when the code, the redirect URI or
 * the PKCE verifier (S256) is wrong. */
export function redeemCode(codes: Map<string, PendingCode>, form: URLSearchParams) {
  const code = form.get("code") ?? "";
  const pending = codes.get(code);
  codes.delete(code);
  const challenge = createHash("sha256").update(form.get("code_verifier") ?? "").digest("base64url");
  if (pending?.redirectUri !== form.get("redirect_uri") || pending?.codeChallenge !== challenge) {
    return undefined;
  }
  return pending;
}

/** Serve `route` on a free port of 127.0.0.1. */
export async function serve(route: (request: IncomingMessage, url: URL) => Promise<Reply> | Reply) {
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    Promise.resolve()
      .then(() => route(request, url))
      .catch((error: unknown) => json(500, { error: String(error) }))
      .then(({ status, headers, body }) => response.writeHead(status, headers).end(body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    signedInAs: (email: string) =>
      new Map([[origin, new Map([[USER_COOKIE, encodeURIComponent(email)]])]]),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
