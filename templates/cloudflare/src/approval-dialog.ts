// The page that asks the signed-in browser whether an MCP client may act for the user.
// Every string here can come from the client's registration: escape all of it.
import type { ConsentDescription } from "@cloudflare/workers-oauth-provider";

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

const STYLE = `
  body { font-family: system-ui, sans-serif; background: #f7f7f8; color: #1d1d1f; margin: 0; }
  main { max-width: 32rem; margin: 4rem auto; background: #fff; border-radius: 12px;
         padding: 2rem; box-shadow: 0 2px 12px rgb(0 0 0 / 8%); }
  h1 { font-size: 1.3rem; margin-top: 0; }
  .note { background: #fff6e5; border-left: 4px solid #f6821f; padding: .6rem .8rem; }
  .muted { color: #6e6e73; font-size: .9rem; }
  .actions { display: flex; gap: .8rem; justify-content: flex-end; margin-top: 1.5rem; }
  button { font-size: 1rem; padding: .55rem 1.2rem; border-radius: 8px; border: 1px solid #c7c7cc;
           background: #fff; cursor: pointer; }
  button.primary { background: #f6821f; color: #fff; border-color: #f6821f; }
`;

export function renderApprovalDialog(options: {
  serverName: string;
  consent: ConsentDescription;
  handle: string;
}): string {
  const { consent } = options;
  const client = escapeHtml(consent.clientName);
  const server = escapeHtml(options.serverName);
  const host = escapeHtml(consent.redirectHost);
  const identity = consent.clientDomain
    ? `Published by <strong>${escapeHtml(consent.clientDomain)}</strong>.`
    : "This client registered itself; its name is not verified.";
  const loopback = consent.redirectIsLoopback
    ? `<p class="note">Access will be sent to an app on your computer. Continue only if you just
       started connecting from it.</p>`
    : "";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Authorize ${client}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
  <h1>${client} wants to use ${server}</h1>
  <p>${identity} After you approve, you sign in with Cloudflare and access is sent to
     <strong>${host}</strong>.</p>
  ${loopback}
  <p class="muted">Redirect URI: <code>${escapeHtml(consent.redirectUri)}</code></p>
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

export function renderMessage(title: string, message: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>${STYLE}</style></head>
<body><main><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></main></body></html>`;
}
