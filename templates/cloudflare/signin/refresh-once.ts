// One refresh per refresh token, however many arrive at once. Refresh tokens rotate (ours and,
// upstream, Cloudflare's): a second refresh with the same token either fails, and would end
// the sign-in, or wins and leaves the first one's new token dead. So the first to start says so
// in KV, the others wait for its answer, and the answer stays in KV for a minute for anyone
// who presents that token again (a client retrying after a lost response gets the same one).
// It is sealed with a key only the refresh token itself derives: KV holds nothing usable.
const SHARE_SECONDS = 60; // KV's minimum expiration
const WAIT_STEPS_MS = [50, 100, 200, 400, 800, 1500];

export const REFUSED = Symbol("refused");

/**
 * `refresh()` once for `refreshToken`: the answer of whoever did it first, or a fresh one.
 * `refresh` returns the value to share, or REFUSED for an answer not to share (the caller
 * keeps what it needs of it). With `raced`, a refusal waits a moment for the answer of a
 * refresh that started at the same moment and won (the upstream's rotation refuses the loser).
 */
export async function refreshOnce<T>(
  kv: KVNamespace,
  refreshToken: string,
  refresh: () => Promise<T | typeof REFUSED>,
  { raced = false }: { raced?: boolean } = {},
): Promise<T | typeof REFUSED> {
  const slot = await derive(refreshToken);
  const shared = await read<T>(kv, slot);
  if (shared !== null) return shared;
  if (await kv.get(slot.pending)) {
    const theirs = await waitFor<T>(kv, slot);
    if (theirs !== null) return theirs;
  }
  await tryPut(kv, slot.pending, "1");
  let result: T | typeof REFUSED;
  try {
    result = await refresh();
  } catch (error) {
    await tryDelete(kv, slot.pending); // a retry need not wait for this one
    throw error;
  }
  if (result !== REFUSED) {
    await tryPut(kv, slot.name, await seal(slot.key, result));
    return result;
  }
  await tryDelete(kv, slot.pending);
  return raced ? ((await waitFor<T>(kv, slot)) ?? REFUSED) : REFUSED;
}

interface Slot {
  name: string;
  pending: string;
  key: CryptoKey;
}

async function derive(token: string): Promise<Slot> {
  const digest = async (label: string) =>
    new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(label + token)));
  const id = hex(await digest("name:"));
  const key = await crypto.subtle.importKey("raw", await digest("key:"), "AES-GCM", false, [
    "encrypt",
    "decrypt",
  ]);
  return { name: `refreshed:${id}`, pending: `refreshing:${id}`, key };
}

export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

async function waitFor<T>(kv: KVNamespace, slot: Slot): Promise<T | null> {
  for (const delay of WAIT_STEPS_MS) {
    await new Promise((resolve) => setTimeout(resolve, delay));
    const found = await read<T>(kv, slot);
    if (found !== null) return found;
  }
  return null;
}

async function tryPut(kv: KVNamespace, name: string, value: string | ArrayBuffer): Promise<void> {
  try {
    await kv.put(name, value, { expirationTtl: SHARE_SECONDS });
  } catch (error) {
    console.error("Could not share a refresh in KV:", error); // the refresh itself stands
  }
}

async function tryDelete(kv: KVNamespace, name: string): Promise<void> {
  try {
    await kv.delete(name);
  } catch (error) {
    console.error("Could not clear a refresh marker in KV:", error);
  }
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

async function read<T>(kv: KVNamespace, slot: Slot): Promise<T | null> {
  const stored = await kv.get(slot.name, "arrayBuffer");
  if (!stored) return null;
  const bytes = new Uint8Array(stored);
  const iv = bytes.slice(0, 12);
  const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv }, slot.key, bytes.slice(12));
  return JSON.parse(new TextDecoder().decode(plain)) as T;
}
