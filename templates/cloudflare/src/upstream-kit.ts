// What every upstream identity provider module (./upstream.ts) shares: PKCE (RFC 7636), and
// the error ./auth-handler.ts turns into an OAuth error for the MCP client.

/** The upstream refused or failed during sign-in; the message is safe to show. */
export class UpstreamError extends Error {}

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
