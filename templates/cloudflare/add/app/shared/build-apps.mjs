// Builds each app's view (apps/NAME/view.html and the TypeScript it loads) into one
// self-contained HTML file, dist/apps/NAME.html, which the Worker serves as the app's ui://
// resource. wrangler runs it before each build and when apps/ changes ([build] in
// wrangler.toml), with esbuild, the bundler wrangler itself uses. `npm run build:apps` runs it.
import { build } from "esbuild";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";

const SCRIPT = /<script type="module" src="\.\/view\.ts"><\/script>/;

const folders = await readdir("apps", { withFileTypes: true });
await mkdir("dist/apps", { recursive: true });
for (const folder of folders.filter((entry) => entry.isDirectory())) {
  const name = folder.name;
  const has = (file) => existsSync(`apps/${name}/${file}`);
  if (!has("view.html") && !has("view.ts")) continue; // not an app's view
  const page = await readFile(`apps/${name}/view.html`, "utf8");
  if (!SCRIPT.test(page)) {
    throw new Error(`apps/${name}/view.html must load its code with ${SCRIPT.source}`);
  }
  const { outputFiles } = await build({
    entryPoints: [`apps/${name}/view.ts`],
    bundle: true,
    format: "esm",
    minify: true,
    platform: "browser",
    target: "es2022",
    write: false,
    logLevel: "error",
  });
  const code = outputFiles[0].text.replaceAll("</script", "<\\/script");
  const html = page.replace(SCRIPT, () => `<script type="module">${code}</script>`);
  await writeFile(`dist/apps/${name}.html`, html);
}
