// Refresh-token reuse ends the grant (RFC 9700 §4.14.2). The provider rotates our refresh
// tokens and still accepts the one before the current, for a client that lost a response. A
// refresh token that was already exchanged and is now older than that, presented again, means
// two parties hold the grant: it is revoked, the current tokens with it. A token this server
// never exchanged (forged, or the loser of two refreshes at once) is only refused.
const REDEEMED_SECONDS = 30 * 24 * 3600; // as long as a refresh token lives
export const REUSE_HEADER = "X-Refresh-Token-Superseded"; // set by onError in ./oauth.ts

export async function markRedeemed(kv: KVNamespace, refreshToken: string): Promise<void> {
  await kv.put(await redeemedKey(refreshToken), "1", { expirationTtl: REDEEMED_SECONDS });
}

/** The grant a superseded, already-exchanged refresh token belongs to; null otherwise. */
export async function reusedGrant(
  kv: KVNamespace,
  refreshToken: string,
): Promise<{ userId: string; grantId: string } | null> {
  const [userId, grantId, secret] = refreshToken.split(":");
  if (!userId || !grantId || !secret) return null;
  if ((await kv.get(await redeemedKey(refreshToken))) === null) return null;
  return { userId, grantId };
}

async function redeemedKey(refreshToken: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(refreshToken));
  return `redeemed:${Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("")}`;
}
