// Runs this project's Worker for the tests: wrangler builds src/ and starts it in workerd from
// ./wrangler.toml, with every binding (KV, rate limits, Durable Objects) local and empty, and
// `vars`/`secrets` laid over the file's. Nothing reaches Cloudflare. (wrangler 4.86, the last
// for Node 20, has no test harness yet; the current toolchain uses `createTestHarness`.)
import { unstable_startWorker } from "wrangler";

// Otherwise the local runtime downloads Cloudflare's request.cf data: tests stay offline.
process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";

const START_TIMEOUT_MS = 30_000;

export interface RunningWorker {
  url: URL;
  close(): Promise<void>;
}

export async function startWorker(options: {
  vars: Record<string, string>;
  secrets: Record<string, string>;
}): Promise<RunningWorker> {
  const bindings = Object.fromEntries([
    ...Object.entries(options.vars).map(([name, value]) => [name, { type: "plain_text", value }]),
    ...Object.entries(options.secrets).map(([name, value]) => [name, { type: "secret_text", value }]),
  ]);
  const worker = await unstable_startWorker({
    config: "./wrangler.toml",
    bindings,
    // wrangler 4.86's startWorker does not derive this from wrangler.toml as `wrangler dev`
    // does; nodejs_compat with a compatibility_date after 2024-09-23 means "v2".
    build: { nodejsCompatMode: "v2" },
    dev: {
      server: { hostname: "127.0.0.1", port: 0 },
      inspector: false,
      watch: false,
      persist: false,
      logLevel: "error",
    },
  });
  await worker.ready;
  const url = await worker.url;
  // wrangler 4.86 reports a build error only in its log (above) and then holds every request
  // until a build succeeds: ask once, and give up after a while instead of each test timing out.
  try {
    await worker.fetch(new URL("/", url).href, { signal: AbortSignal.timeout(START_TIMEOUT_MS) });
  } catch (error) {
    await worker.dispose();
    const seconds = START_TIMEOUT_MS / 1000;
    const message = `The Worker did not answer in ${seconds} s (see wrangler's errors above).`;
    throw new Error(message, { cause: error });
  }
  return { url, close: () => worker.dispose() };
}
