// One refresh at a time per sign-in, and one answer per refresh token. Refresh tokens rotate
// (ours and, upstream, Cloudflare's): two refreshes of one token at once would each issue new
// tokens while the grant keeps only the last, so a client that kept the other answer is signed
// out at its next refresh. KV cannot order them (a marker in KV is check-then-set), so each
// grant gets a small Durable Object, strongly consistent, that lets one refresh through at a
// time and keeps its answer for a minute: the refreshes that waited, and a client retrying
// after a lost response, get that answer instead of refreshing again.
//
// The answer goes only to the client that got it: the same client_id with the same secret (a
// public client has none). Anyone else presenting the token meets the OAuth provider, which
// authenticates the client and refuses it. A client that signs its requests (private_key_jwt)
// never gets a kept answer: its assertions are single-use. The answer is sealed with a key
// only the refresh token derives: the object's storage holds nothing usable without it.
import { DurableObject } from "cloudflare:workers";
import { REFUSED, derive, open, seal } from "./refresh-once";

const SHARE_MS = 60_000;
// A refresh still running after this has failed (its Worker was cancelled): the next may go.
const LEASE_MS = 15_000;

/** A grant, as its tokens name it (`userId:grantId:secret`). */
export interface GrantName {
  userId: string;
  grantId: string;
}

interface Kept {
  client: string;
  sealed: ArrayBuffer;
  until: number;
}

/** The kept answer, when the asking client is the one that got it; else a turn to refresh. */
export type Turn = { sealed: ArrayBuffer } | { lease: string };

/** One per grant: who refreshes now, and the answers of the last minute. */
export class RefreshGate extends DurableObject<Env> {
  private holder: { lease: string; until: number; done: Promise<void>; release: () => void } | null =
    null;

  async begin(slot: string, client: string | null): Promise<Turn> {
    for (;;) {
      const kept = await this.ctx.storage.get<Kept>(slot);
      if (kept && client !== null && kept.client === client && kept.until > Date.now()) {
        return { sealed: kept.sealed };
      }
      const holder = this.holder;
      if (!holder || holder.until <= Date.now()) break;
      await Promise.race([holder.done, sleep(holder.until - Date.now())]);
    }
    let release = () => {};
    const done = new Promise<void>((resolve) => (release = resolve));
    const lease = crypto.randomUUID();
    this.holder = { lease, until: Date.now() + LEASE_MS, done, release };
    return { lease };
  }

  async finish(lease: string, slot: string, client: string | null, sealed: ArrayBuffer | null) {
    if (sealed && client !== null) {
      const until = Date.now() + SHARE_MS;
      await this.ctx.storage.put<Kept>(slot, { client, sealed, until });
      if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(until);
    }
    if (this.holder?.lease === lease) {
      this.holder.release();
      this.holder = null;
    }
  }

  /** Forget the answers whose minute is over. */
  async alarm() {
    const now = Date.now();
    const kept = await this.ctx.storage.list<Kept>();
    const over = [...kept].filter(([, answer]) => answer.until <= now).map(([slot]) => slot);
    if (over.length) await this.ctx.storage.delete(over);
    const next = Math.min(...[...kept.values()].map((answer) => answer.until).filter((t) => t > now));
    if (Number.isFinite(next)) await this.ctx.storage.setAlarm(next);
  }
}

/**
 * `refresh()` once for `refreshToken` of `grant`, asked by `client` (./oauth.ts says who that
 * is; null: never shares). `refresh` returns the answer to keep, or REFUSED. `fresh` says
 * whether this request did the refresh or got the kept answer.
 */
export async function refreshOnce<T>(
  gates: DurableObjectNamespace<RefreshGate>,
  grant: GrantName,
  refreshToken: string,
  client: string | null,
  refresh: () => Promise<T | typeof REFUSED>,
): Promise<{ answer: T; fresh: boolean } | typeof REFUSED> {
  const { slot, key } = await derive(refreshToken);
  const gate = gates.get(gates.idFromName(`${grant.userId}:${grant.grantId}`));
  const turn = await gate.begin(slot, client);
  if ("sealed" in turn) return { answer: await open<T>(key, turn.sealed), fresh: false };
  let sealed: ArrayBuffer | null = null;
  try {
    const result = await refresh();
    if (result === REFUSED) return REFUSED;
    if (client !== null) sealed = await seal(key, result);
    return { answer: result, fresh: true };
  } finally {
    await gate.finish(turn.lease, slot, client, sealed);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
