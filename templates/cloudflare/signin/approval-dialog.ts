// The page that asks the signed-in browser whether an MCP client may act for the user.
// Every string here can come from the client's registration: escape all of it, and show it
// as it will be read (no hidden characters, no name long enough to push the truth aside).
import type { ConsentDescription } from "@cloudflare/workers-oauth-provider";

const MAX_NAME = 60;

/** Headers for every page: not cached, never framed (the dialog gets the same from the
 * library's consent transaction). */
export const PAGE_HEADERS = {
  "Cache-Control": "no-store",
  "Content-Security-Policy": "frame-ancestors 'none'",
  "X-Frame-Options": "DENY",
  "X-Content-Type-Options": "nosniff",
  // The pages' URLs carry OAuth parameters: no other site hears of them.
  "Referrer-Policy": "no-referrer",
};

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

// Characters that show nothing or rearrange what is shown: controls, format characters (bidi
// overrides and isolates, zero-width ones, tags, soft hyphens), line and paragraph separators,
// and the blank fillers some scripts have.
const HIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\u115f\u1160\u3164\uffa0\u2800\u034f\ufe00-\ufe0f]/gu;
const STACKED_MARKS = /(\p{M}{2})\p{M}+/gu; // combining marks piled up to smear a line

/** A client-supplied name as a person will read it: visible characters, single spaces, short. */
export function displayName(name: string): string {
  const visible =
    name.replace(/\s+/g, " ").replace(HIDDEN, "").replace(STACKED_MARKS, "$1").trim() ||
    "Unnamed client";
  const letters = Array.from(
    new Intl.Segmenter("en", { granularity: "grapheme" }).segment(visible),
    (part) => part.segment,
  );
  return letters.length > MAX_NAME ? `${letters.slice(0, MAX_NAME).join("")}…` : visible;
}

/** A URI as plain ASCII: anything else (a right-to-left override in a redirect URI) shows as
 * its percent-encoding. */
export function displayUri(uri: string): string {
  return Array.from(uri, (char) => {
    if (/[\x21-\x7e]/.test(char)) return char;
    try {
      return encodeURIComponent(char);
    } catch {
      return "%EF%BF%BD"; // a lone surrogate
    }
  }).join("");
}

const STYLE = `
  body { font-family: system-ui, sans-serif; background: #f7f7f8; color: #1d1d1f; margin: 0; }
  main { max-width: 32rem; margin: 4rem auto; background: #fff; border-radius: 12px;
         padding: 2rem; box-shadow: 0 2px 12px rgb(0 0 0 / 8%); }
  h1 { font-size: 1.3rem; margin-top: 0; overflow-wrap: anywhere; }
  .note { background: #fff6e5; border-left: 4px solid #f6821f; padding: .6rem .8rem; }
  .muted { color: #6e6e73; font-size: .9rem; overflow-wrap: anywhere; }
  .actions { display: flex; gap: .8rem; justify-content: flex-end; margin-top: 1.5rem; }
  button { font-size: 1rem; padding: .55rem 1.2rem; border-radius: 8px; border: 1px solid #c7c7cc;
           background: #fff; cursor: pointer; }
  button.primary { background: #f6821f; color: #fff; border-color: #f6821f; }
`;

// No favicon request: a page that asks for one that does not exist logs an error.
const HEAD = `<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<style>${STYLE}</style>`;

export function renderApprovalDialog(options: {
  serverName: string;
  /** Who signs the user in after they approve, e.g. "Cloudflare". */
  providerName: string;
  consent: ConsentDescription;
  handle: string;
  /** What the granted scopes let the client do, in words. */
  granted: string[];
}): string {
  const { consent } = options;
  const client = escapeHtml(displayName(consent.clientName));
  const server = escapeHtml(options.serverName);
  const identity = consent.clientDomain
    ? `Published by <strong>${escapeHtml(consent.clientDomain)}</strong>.`
    : "This client registered itself; its name is not verified.";
  const destination = sentTo(consent);
  const warning = consent.redirectIsLoopback || destination.app
    ? `<p class="note">Access will be sent to an app on your computer. Continue only if you just
       started connecting from it.</p>`
    : "";
  const access = options.granted.length
    ? `<p>It will be able to: ${options.granted.map(escapeHtml).join("; ")}.</p>`
    : "";
  return `<!doctype html>
<html lang="en">
<head>
${HEAD}
<title>Authorize ${client}</title>
</head>
<body>
<main>
  <h1>${client} wants to use ${server}</h1>
  <p>${identity} After you approve, you sign in with ${escapeHtml(options.providerName)} and access is sent to
     <strong>${escapeHtml(destination.label)}</strong>.</p>
  ${access}
  ${warning}
  <p class="muted">Redirect URI: <code>${escapeHtml(displayUri(consent.redirectUri))}</code></p>
  <form method="post" action="/authorize">
    <input type="hidden" name="handle" value="${escapeHtml(options.handle)}">
    <div class="actions">
      <button type="submit" name="decision" value="deny">Deny</button>
      <button type="submit" name="decision" value="approve" class="primary">Approve</button>
    </div>
  </form>
</main>
</body>
</html>`;
}

/** Where the tokens go, said plainly: a host, or a native app's URI scheme
 * (`cursor://anysphere.cursor-mcp`) for apps that sign in through one. */
function sentTo(consent: ConsentDescription): { label: string; app: boolean } {
  const scheme = displayUri(consent.redirectUri.split(":", 1)[0].toLowerCase());
  const redirectHost = displayUri(consent.redirectHost);
  if (scheme === "http" || scheme === "https") return { label: redirectHost, app: false };
  const host = consent.redirectHost && consent.redirectHost !== consent.redirectUri
    ? `//${redirectHost}`
    : "";
  return { label: `the app that opens ${scheme}:${host} links`, app: true };
}

export function renderMessage(title: string, message: string): string {
  return `<!doctype html>
<html lang="en"><head>${HEAD}<title>${escapeHtml(title)}</title></head>
<body><main><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></main></body></html>`;
}
