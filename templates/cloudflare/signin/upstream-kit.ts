// What every upstream identity provider module (./upstream.ts) shares: PKCE (RFC 7636), token
// lifetimes, base URLs, and the error ./auth-handler.ts turns into an OAuth error for the MCP
// client.

import { OAuthError } from "@cloudflare/workers-oauth-provider";

/** The upstream refused or failed during sign-in; the message is safe to show. */
export class UpstreamError extends Error {}

/** The provider's answer failed a check (an ID token's signature, audience, expiry, nonce):
 * the user sees why on a page, and no grant is made. */
export class SignInRefused extends UpstreamError {}

/** `fetch` one of the provider's endpoints, named `what` ("GitHub's token endpoint"); a
 * provider that cannot be reached is an UpstreamError that says so. */
export async function fetchUpstream(what: string, url: string, init?: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (error) {
    console.error(`${what} could not be reached:`, error);
    throw new UpstreamError(`${what} could not be reached; try again shortly.`);
  }
}

/** The JSON in `response`'s body; an UpstreamError naming `what` when it is not JSON (an HTML
 * error page, an empty body). What the JSON holds is the caller's to check. */
export async function readJson(what: string, response: Response): Promise<unknown> {
  const text = await response.text().catch(() => "");
  try {
    return JSON.parse(text);
  } catch {
    const type = response.headers.get("Content-Type")?.split(";")[0] || "no content type";
    console.error(`${what} answered HTTP ${response.status} with ${type}, not JSON: ${text.slice(0, 200)}`);
    throw new UpstreamError(`${what} answered HTTP ${response.status} with something other than JSON.`);
  }
}

/** `value` when it is a JSON object (not null, not a list), else undefined. */
export function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** What ./auth-handler.ts hands the provider when it sends the browser there. */
export interface SignInStart {
  redirectUri: string;
  state: string;
  /** PKCE (RFC 7636): the challenge sent is its S256 hash. */
  verifier: string;
  /** OpenID Connect's replay guard; providers without ID tokens ignore it. */
  nonce: string;
}

/** What ./auth-handler.ts hands the provider when the browser comes back with `code`. */
export interface SignInReturn {
  code: string;
  redirectUri: string;
  verifier: string;
  nonce: string;
}

/** At a refresh: the provider no longer accepts the sign-in, so the grant ends. */
export function signInEnded(provider: string): OAuthError {
  return new OAuthError("invalid_grant", {
    description: `${provider} no longer accepts this sign-in; authorize again.`,
  });
}

/** At a refresh: the provider failed or could not be reached. Temporary: nobody is signed out. */
export function providerUnavailable(description: string): OAuthError {
  return new OAuthError("temporarily_unavailable", { description, statusCode: 503 });
}

/** The grant's props as tools see them: the provider's refresh token stays in the grant. */
export function withoutRefreshToken<P extends { refreshToken?: string }>(
  props: P,
): Omit<P, "refreshToken"> {
  const { refreshToken: _kept, ...user } = props;
  return user;
}

function base64Url(bytes: ArrayBuffer | Uint8Array): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let text = "";
  for (const byte of view) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** A fresh PKCE verifier (RFC 7636: 43-128 unreserved characters). */
export function newCodeVerifier(): string {
  return base64Url(crypto.getRandomValues(new Uint8Array(32)));
}

export async function codeChallengeS256(verifier: string): Promise<string> {
  return base64Url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
}

/** A base URL from a var, without the trailing slashes a path would double. */
export function trimSlash(url: string): string {
  return url.replace(/\/+$/, "");
}

/** Seconds since the epoch when a token that lives `expires_in` seconds runs out. */
export function expiresAt(tokens: { expires_in?: number | string }): number | undefined {
  const seconds = Number(tokens.expires_in); // some issuers send a string
  return Number.isFinite(seconds) && seconds > 0 ? Math.floor(Date.now() / 1000) + seconds : undefined;
}
