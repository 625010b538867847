// Node 20 cannot run TypeScript; `npm test` loads this first so it can run test/*.ts, turned
// into JavaScript by esbuild (wrangler's own bundler). Node 22.12+ needs none of this.
import { register } from "node:module";
import { fileURLToPath } from "node:url";
import { transform } from "esbuild";

if (!import.meta.url.includes("?hooks")) register(`${import.meta.url}?hooks`);

export async function load(url, context, nextLoad) {
  if (!url.endsWith(".ts")) return nextLoad(url, context);
  const { source } = await nextLoad(url, { ...context, format: "module" });
  const { code } = await transform(String(source), {
    loader: "ts",
    format: "esm",
    sourcemap: "inline",
    sourcefile: fileURLToPath(url),
  });
  return { format: "module", source: code, shortCircuit: true };
}
