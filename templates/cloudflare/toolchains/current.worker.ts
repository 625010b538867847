// Runs this project's Worker for the tests: wrangler's test harness builds src/ and starts it in
// workerd from ./wrangler.toml, with every binding (KV, rate limits, Durable Objects) local and
// empty, and `vars`/`secrets` laid over the file's. Nothing reaches Cloudflare.
import { createTestHarness } from "wrangler";

// Otherwise the local runtime downloads Cloudflare's request.cf data: tests stay offline.
process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";

export interface RunningWorker {
  url: URL;
  close(): Promise<void>;
}

export async function startWorker(options: {
  vars: Record<string, string>;
  secrets: Record<string, string>;
}): Promise<RunningWorker> {
  const harness = createTestHarness({ workers: [{ configPath: "./wrangler.toml", ...options }] });
  const { url } = await harness.listen();
  return { url, close: () => harness.close() };
}
