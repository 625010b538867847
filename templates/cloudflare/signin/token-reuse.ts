// Refresh-token reuse ends the grant (RFC 9700 §4.14.2). Every refresh token exchanged is
// remembered with the time of its first exchange. A token exchanged again after its shared
// answer expired (./refresh-gate.ts: a minute, during which a retry gets the same answer) is a
// replay: two parties hold the grant, so it ends, the current tokens with it. So does one that
// was exchanged and has since been superseded, presented again. A token this server never
// exchanged (forged, or the loser of two refreshes at once) is only refused.
import { hex } from "./refresh-once";

const REMEMBER_SECONDS = 30 * 24 * 3600; // as long as a refresh token lives
export const REPLAY_AFTER_SECONDS = 60;
export const SUPERSEDED_HEADER = "X-Refresh-Token-Superseded"; // set by onError in ./oauth.ts

/** When `refreshToken` was first exchanged (seconds since the epoch), if it was. */
export async function firstExchanged(kv: KVNamespace, refreshToken: string): Promise<number | null> {
  const value = await kv.get(await exchangedKey(refreshToken));
  return value === null ? null : Number(value);
}

export async function markExchanged(kv: KVNamespace, refreshToken: string): Promise<void> {
  try {
    const now = Math.floor(Date.now() / 1000);
    await kv.put(await exchangedKey(refreshToken), String(now), { expirationTtl: REMEMBER_SECONDS });
  } catch (error) {
    console.error("Could not remember a refresh token's exchange:", error); // the tokens stand
  }
}

/** The grant a refresh token names (`userId:grantId:secret`). */
export function grantOf(refreshToken: string): { userId: string; grantId: string } | null {
  const [userId, grantId, secret, extra] = refreshToken.split(":");
  return userId && grantId && secret && extra === undefined ? { userId, grantId } : null;
}

async function exchangedKey(refreshToken: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(refreshToken));
  return `exchanged:${hex(new Uint8Array(digest))}`;
}
