// Node 20 cannot run TypeScript; `npm test` loads this first so it can run test/*.ts, turned
// into JavaScript by esbuild (wrangler's own bundler). Node 22.12+ needs none of this.
import * as nodeModule from "node:module";
import { fileURLToPath } from "node:url";
import { transform } from "esbuild";

if (!nodeModule.register) {
  console.error(`npm test needs Node.js 20.6 or newer (this is ${process.version}).`);
  process.exit(1);
}
if (!import.meta.url.includes("?hooks")) nodeModule.register(`${import.meta.url}?hooks`);

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
