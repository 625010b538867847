// An .html file the Worker imports is its text (wrangler's default rule for *.html): the
// apps' views, built into dist/apps/ by scripts/build-apps.mjs.
declare module "*.html" {
  const text: string;
  export default text;
}
