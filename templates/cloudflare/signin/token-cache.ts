// Access-token records, remembered for a few seconds by this Worker instance, so a client
// calling tools in quick succession costs one KV read per token every TOKEN_CACHE_SECONDS
// instead of one per call. The OAuth provider still checks every request in full (audience,
// expiry, the props' decryption); only the KV read of the record is saved.
//
// Revocation: this instance forgets a token the moment it deletes or rewrites its record (a
// revoked token, an ended grant: ./oauth.ts, the provider's RFC 7009 endpoint). Another
// instance may accept it for up to TOKEN_CACHE_SECONDS more, on top of the time KV itself
// takes to carry a deletion to other locations (up to 60 s, Cloudflare says).

export const TOKEN_CACHE_SECONDS = 10;
const MAX_ENTRIES = 1000;
const TOKEN_PREFIX = "token:";

type Entry = { text: string; until: number };

/** One per isolate: every request of this Worker instance shares it. */
const remembered = new Map<string, Entry>();
// Counts writes and deletions: a read that was under way during one is not remembered (it
// may hold what was just deleted).
let changes = 0;

/**
 * `kv` with reads of access-token records (`token:…`, as JSON) answered from memory for
 * TOKEN_CACHE_SECONDS; every write or deletion through it forgets the key first.
 */
export function withTokenCache(kv: KVNamespace): KVNamespace {
  const forget = (key: string) => {
    changes++;
    remembered.delete(key);
  };
  const wrapped = {
    get: cachedGet(kv),
    getWithMetadata: kv.getWithMetadata.bind(kv),
    list: kv.list.bind(kv),
    put: (key: string, value: string, options?: KVNamespacePutOptions) => {
      forget(key);
      return kv.put(key, value, options);
    },
    delete: (key: string) => {
      forget(key);
      return kv.delete(key);
    },
  };
  return wrapped as unknown as KVNamespace;
}

function cachedGet(kv: KVNamespace) {
  const plain = kv.get.bind(kv) as (key: string, options?: unknown) => Promise<unknown>;
  return async (key: string, options?: unknown): Promise<unknown> => {
    const asJson = options === "json" || (options as { type?: string } | undefined)?.type === "json";
    if (typeof key !== "string" || !key.startsWith(TOKEN_PREFIX) || !asJson) return plain(key, options);
    const now = Date.now();
    const hit = remembered.get(key);
    if (hit && hit.until > now) return JSON.parse(hit.text);
    remembered.delete(key);
    const before = changes;
    const text = (await kv.get(key, "text")) as string | null;
    // Unknown tokens are not remembered: each is read again.
    if (text === null || changes !== before) return text === null ? null : JSON.parse(text);
    if (remembered.size >= MAX_ENTRIES) remembered.delete(remembered.keys().next().value!);
    remembered.set(key, { text, until: now + TOKEN_CACHE_SECONDS * 1000 });
    return JSON.parse(text);
  };
}
