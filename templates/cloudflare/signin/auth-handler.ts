// The browser side of sign-in: the approval dialog, the redirect to the identity provider
// (./upstream.ts), and the callback that completes the MCP client's authorization. Nothing here
// depends on which provider that is.
import {
  AuthorizationError,
  CimdFetchError,
  authorizationErrorRedirect,
  type AuthRequest,
} from "@cloudflare/workers-oauth-provider";
import { Hono, type Context } from "hono";
import { PAGE_HEADERS, renderApprovalDialog, renderMessage } from "./approval-dialog";
import { isKeyTooLong } from "./guards";
import { SCOPES, SERVER_NAME } from "./config";
import { PROVIDER_NAME, PROVIDER_SECRETS, authorizeUrl, completeSignIn, type Props } from "./upstream";
import { SignInRefused, UpstreamError, newCodeVerifier } from "./upstream-kit";

type AppContext = Context<{ Bindings: Env }>;

const app = new Hono<{ Bindings: Env }>();

function rememberOptions(env: Env) {
  return { secret: env.COOKIE_ENCRYPTION_KEY };
}

function callbackUrl(c: AppContext): string {
  return new URL("/callback", c.req.url).toString();
}

function page(c: AppContext, status: number, title: string, message: string): Response {
  return c.html(renderMessage(title, message), status as 400, PAGE_HEADERS);
}

// The library signs the remembered approvals with it and needs 32 characters at least.
const MIN_COOKIE_KEY_LENGTH = 32;

function requireSecrets(c: AppContext): Response | null {
  const missing = [...PROVIDER_SECRETS, "COOKIE_ENCRYPTION_KEY"].filter(
    (name) => !c.env[name as keyof Env],
  );
  const fix = "Run `cfmcp secrets set` (or `cfmcp dev` locally).";
  if (missing.length > 0) {
    return page(c, 500, "Server not configured", `Missing secrets: ${missing.join(", ")}. ${fix}`);
  }
  if (c.env.COOKIE_ENCRYPTION_KEY.length < MIN_COOKIE_KEY_LENGTH) {
    const problem = `COOKIE_ENCRYPTION_KEY is shorter than ${MIN_COOKIE_KEY_LENGTH} characters.`;
    return page(c, 500, "Server not configured", `${problem} ${fix}`);
  }
  return null;
}

/** The scopes asked for that this server grants; others are dropped, never granted. A client
 * that asks for none of them gets them all: without one, its tokens open nothing. */
function grantedScopes(requested: string[]): string[] {
  const granted = [...new Set(requested)].filter((scope) => Object.hasOwn(SCOPES, scope));
  return granted.length ? granted : Object.keys(SCOPES);
}

// RFC 7636, 4.2: a challenge is 43 to 128 characters of the unreserved set.
const CODE_CHALLENGE = /^[A-Za-z0-9._~-]{43,128}$/;

/** The approval came from another site's page: a browser that says where a POST comes from
 * (Sec-Fetch-Site, else Origin) must say it comes from here. The form's token is the guard
 * for the others. (Under Referrer-Policy: no-referrer a browser may send `Origin: null`.) */
function crossSite(c: AppContext): boolean {
  const site = c.req.header("Sec-Fetch-Site");
  if (site) return site !== "same-origin";
  const origin = c.req.header("Origin");
  return origin !== undefined && origin !== "null" && origin !== new URL(c.req.url).origin;
}

/** Save the approved request and send the browser to the provider's sign-in. */
async function redirectUpstream(c: AppContext, request: AuthRequest, headers?: Headers): Promise<Response> {
  const verifier = newCodeVerifier();
  const nonce = newCodeVerifier();
  const upstream = await c.env.OAUTH_PROVIDER.beginUpstream(request, { data: { verifier, nonce }, headers });
  const location = await authorizeUrl(c.env, {
    redirectUri: callbackUrl(c),
    state: upstream.state,
    verifier,
    nonce,
  });
  upstream.headers.set("Location", location);
  return new Response(null, { status: 302, headers: upstream.headers });
}

function handleAuthorizationError(c: AppContext, error: unknown): Response {
  if (error instanceof AuthorizationError) {
    if (error.redirectTo) return c.redirect(error.redirectTo, 302);
    return page(c, 400, "Authorization failed", error.description);
  }
  if (error instanceof CimdFetchError) {
    return page(c, 400, "Authorization failed", "This client could not be verified.");
  }
  throw error;
}

// No stack trace in a page: an id too long for KV is the client's mistake, anything else ours.
app.onError((error, c) => {
  if (isKeyTooLong(error)) return page(c, 400, "Authorization failed", "Unknown client.");
  // The provider could not be reached or answered nonsense (e.g. its discovery document).
  if (error instanceof UpstreamError) return page(c, 502, "Sign-in unavailable", error.message);
  console.error(error);
  return page(c, 500, "Something went wrong", "The server logged what happened; try again.");
});

// Browsers ask every site for one; answering "nothing" keeps their consoles clean.
app.get("/favicon.ico", (c) => c.body(null, 204));

app.get("/", (c) =>
  c.text(`${SERVER_NAME}: a remote MCP server. Connect an MCP client to ${new URL("/mcp", c.req.url)}\n`),
);

app.get("/authorize", async (c) => {
  const notConfigured = requireSecrets(c);
  if (notConfigured) return notConfigured;
  const oauth = c.env.OAUTH_PROVIDER;
  try {
    const request = await oauth.parseAuthRequest(c.req.raw);
    if (request.codeChallenge !== undefined && !CODE_CHALLENGE.test(request.codeChallenge)) {
      const why = "code_challenge must be 43 to 128 letters, digits and -._~ (RFC 7636).";
      return c.redirect(authorizationErrorRedirect(request, "invalid_request", why), 302);
    }
    const consent = await oauth.describeConsent(request);
    if (await oauth.isConsentRemembered(c.req.raw, request, rememberOptions(c.env))) {
      return redirectUpstream(c, request);
    }
    const transaction = await oauth.beginConsent(request);
    transaction.headers.set("Content-Type", "text/html; charset=utf-8");
    for (const [name, value] of Object.entries(PAGE_HEADERS)) transaction.headers.set(name, value);
    const html = renderApprovalDialog({
      serverName: SERVER_NAME,
      providerName: PROVIDER_NAME,
      consent,
      handle: transaction.handle,
      granted: grantedScopes(consent.scope).map((scope) => SCOPES[scope]),
    });
    return new Response(html, { headers: transaction.headers });
  } catch (error) {
    return handleAuthorizationError(c, error);
  }
});

app.post("/authorize", async (c) => {
  const notConfigured = requireSecrets(c);
  if (notConfigured) return notConfigured;
  if (crossSite(c)) return page(c, 403, "Authorization failed", "The approval came from another site.");
  const oauth = c.env.OAUTH_PROVIDER;
  const form = await c.req.formData().catch(() => null);
  if (form === null) return page(c, 400, "Authorization failed", "Send the approval form.");
  const handle = String(form.get("handle") ?? "");
  try {
    if (form.get("decision") !== "approve") {
      const denied = await oauth.denyConsent(c.req.raw, handle);
      return new Response(null, { status: 302, headers: denied.headers });
    }
    const approved = await oauth.approveConsent(c.req.raw, handle, { remember: rememberOptions(c.env) });
    return redirectUpstream(c, approved.request, approved.headers);
  } catch (error) {
    return handleAuthorizationError(c, error);
  }
});

app.get("/callback", async (c) => {
  const oauth = c.env.OAUTH_PROVIDER;
  let resumed;
  try {
    resumed = await oauth.finishUpstream<{ verifier: string; nonce?: string }>(c.req.raw);
  } catch (error) {
    return handleAuthorizationError(c, error);
  }
  const { request, data, headers } = resumed;
  const params = new URL(c.req.url).searchParams;
  const code = params.get("code");
  if (params.get("error") || !code) {
    headers.set("Location", authorizationErrorRedirect(request, "access_denied"));
    return new Response(null, { status: 302, headers });
  }
  let props: Props;
  try {
    props = await completeSignIn(c.env, {
      code,
      redirectUri: callbackUrl(c),
      verifier: data.verifier,
      nonce: data.nonce ?? "",
    });
  } catch (error) {
    if (error instanceof SignInRefused) {
      console.error(`Sign-in refused: ${error.message}`);
      const refused = page(c, 403, "Sign-in refused", error.message);
      headers.forEach((value, name) => {
        if (name.toLowerCase() === "set-cookie") refused.headers.append(name, value);
      });
      return refused;
    }
    // The provider failed, could not be reached or answered nonsense: the MCP client hears
    // so the OAuth way (RFC 6749, 4.1.2.1), and the log says why.
    const known = error instanceof UpstreamError;
    console.error(`Sign-in with ${PROVIDER_NAME} failed:`, known ? error.message : error);
    const description = known ? error.message : `${PROVIDER_NAME} answered something unexpected; try again.`;
    headers.set("Location", authorizationErrorRedirect(request, "server_error", description));
    return new Response(null, { status: 302, headers });
  }
  const { redirectTo } = await oauth.completeAuthorization({
    request,
    userId: props.userId,
    metadata: { label: props.email || props.name },
    scope: grantedScopes(request.scope),
    props,
  });
  headers.set("Location", redirectTo);
  return new Response(null, { status: 302, headers });
});

export const AuthHandler = app;
