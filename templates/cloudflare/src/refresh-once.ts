// Two refreshes of one grant at the same moment both send the upstream its refresh token. The
// upstream rotates refresh tokens, so the slower one gets `invalid_grant`, and taken at its word
// that would end the grant and sign the user out. Instead the first to succeed leaves what it
// got in KV for a minute, encrypted with a key only the old refresh token derives, and the
// other one, refused, picks it up from there.
const SHARE_SECONDS = 60; // KV's minimum expiration
const WAIT_STEPS_MS = [100, 200, 400, 800, 1500];

export const REFUSED = Symbol("the upstream refused the refresh token");

export async function refreshOnce<T>(
  kv: KVNamespace,
  refreshToken: string,
  refresh: () => Promise<T | typeof REFUSED>,
): Promise<T | typeof REFUSED> {
  const { name, key } = await derive(refreshToken);
  const shared = await read<T>(kv, name, key);
  if (shared !== null) return shared;
  const result = await refresh();
  if (result !== REFUSED) {
    await kv.put(name, await seal(key, result), { expirationTtl: SHARE_SECONDS });
    return result;
  }
  for (const delay of WAIT_STEPS_MS) {
    const won = await read<T>(kv, name, key);
    if (won !== null) return won;
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
  return (await read<T>(kv, name, key)) ?? REFUSED;
}

async function derive(token: string): Promise<{ name: string; key: CryptoKey }> {
  const digest = async (label: string) =>
    new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(label + token)));
  const id = Array.from(await digest("name:"), (byte) => byte.toString(16).padStart(2, "0")).join("");
  const key = await crypto.subtle.importKey("raw", await digest("key:"), "AES-GCM", false, [
    "encrypt",
    "decrypt",
  ]);
  return { name: `refreshed:${id}`, key };
}

async function seal(key: CryptoKey, value: unknown): Promise<ArrayBuffer> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const plain = new TextEncoder().encode(JSON.stringify(value));
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, plain));
  const stored = new Uint8Array(iv.length + sealed.length);
  stored.set(iv);
  stored.set(sealed, iv.length);
  return stored.buffer;
}

async function read<T>(kv: KVNamespace, name: string, key: CryptoKey): Promise<T | null> {
  const stored = await kv.get(name, "arrayBuffer");
  if (!stored) return null;
  const bytes = new Uint8Array(stored);
  const iv = bytes.slice(0, 12);
  const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv }, key, bytes.slice(12));
  return JSON.parse(new TextDecoder().decode(plain)) as T;
}
