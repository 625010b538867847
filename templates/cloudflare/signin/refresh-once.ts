// An upstream refresh's answer, kept for a minute. The token endpoint lets one refresh of a
// grant through at a time (./refresh-gate.ts), so the upstream's refresh token is not spent
// twice at once; but a refresh with the previous refresh token of ours (the provider accepts it
// once more) carries the upstream's previous refresh token too, which the upstream, rotating,
// refuses. Within the minute, that refresh gets the answer the upstream already gave.
// It is sealed with a key only the upstream refresh token derives: KV holds nothing usable.
const KEEP_SECONDS = 60; // KV's minimum expiration

export const REFUSED = Symbol("refused");

/**
 * `refresh()` once for `refreshToken`: the answer kept from the last minute, or a fresh one.
 * `refresh` returns the value to keep, or REFUSED for an answer not to keep.
 */
export async function refreshOnce<T>(
  kv: KVNamespace,
  refreshToken: string,
  refresh: () => Promise<T | typeof REFUSED>,
): Promise<T | typeof REFUSED> {
  const { slot, key } = await derive(refreshToken);
  const name = `refreshed:${slot}`;
  const kept = await kv.get(name, "arrayBuffer");
  if (kept) return open<T>(key, kept);
  const result = await refresh();
  if (result === REFUSED) return REFUSED;
  try {
    await kv.put(name, await seal(key, result), { expirationTtl: KEEP_SECONDS });
  } catch (error) {
    console.error("Could not keep a refresh's answer in KV:", error); // the refresh itself stands
  }
  return result;
}

/** The name of `token`'s kept answer, and the key that seals it. */
export async function derive(token: string): Promise<{ slot: string; key: CryptoKey }> {
  const digest = async (label: string) =>
    new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(label + token)));
  const slot = hex(await digest("name:"));
  const key = await crypto.subtle.importKey("raw", await digest("key:"), "AES-GCM", false, [
    "encrypt",
    "decrypt",
  ]);
  return { slot, key };
}

export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

export async function seal(key: CryptoKey, value: unknown): Promise<ArrayBuffer> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const plain = new TextEncoder().encode(JSON.stringify(value));
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, plain));
  const stored = new Uint8Array(iv.length + sealed.length);
  stored.set(iv);
  stored.set(sealed, iv.length);
  return stored.buffer;
}

export async function open<T>(key: CryptoKey, stored: ArrayBuffer): Promise<T> {
  const bytes = new Uint8Array(stored);
  const iv = bytes.slice(0, 12);
  const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv }, key, bytes.slice(12));
  return JSON.parse(new TextDecoder().decode(plain)) as T;
}
