// The OAuth 2.1 server in front of everything (workers-oauth-provider): /authorize, /token,
// /register and the metadata documents, and a bearer-token check on the MCP endpoints before
// their handlers run (they get the signed-in user's props). Requests no real client sends are
// refused first (./guards.ts).
import {
  OAuthError,
  OAuthProvider,
  getOAuthApi,
  type ClientRegistrationCallbackOptions,
  type OAuthProviderOptions,
} from "@cloudflare/workers-oauth-provider";
import { AuthHandler } from "./auth-handler";
import { PROVIDER_NAME, refreshUpstream, userProps, type Props, type UserProps } from "./upstream";
import { providerUnavailable } from "./upstream-kit";
import { SCOPES, SERVER_NAME } from "./config";
import {
  admitted,
  boundedMessage,
  isKeyTooLong,
  oauthError,
  oversized,
  privateClientDocument,
  rateLimited,
  refusedKey,
  releaseBody,
} from "./guards";
import { REFUSED, hex } from "./refresh-once";
import { refreshOnce } from "./refresh-gate";
import { withTokenCache } from "./token-cache";
import { METADATA_PATH, describing, metadataSuffix, withCanonicalResource } from "./resource";
import {
  REPLAY_AFTER_SECONDS,
  SUPERSEDED_HEADER,
  firstExchanged,
  grantOf,
  markExchanged,
} from "./token-reuse";

type ApiHandlers = NonNullable<OAuthProviderOptions<Env>["apiHandlers"]>;

const AUTHORIZE_PATH = "/authorize";
const TOKEN_PATH = "/token";
const REGISTER_PATH = "/register";
const DEFAULT_TOKEN_LIFETIME = 3600;
const MIN_TOKEN_LIFETIME = 60;
// A registration lasts 30 days, renewed while the client keeps using it; abandoned ones go.
const REGISTRATION_LIFETIME = 30 * 24 * 3600;

/** A Worker that serves `apiHandlers` (path prefix -> handler) to signed-in MCP clients only. */
export function oauthWorker(apiHandlers: ApiHandlers): ExportedHandler<Env> {
  // The provider's resource (the tokens' audience) is this Worker's origin: PUBLIC_URL when
  // set, else the origin the request arrived on (https, or loopback under `wrangler dev`).
  // One provider per origin, a few at most.
  const providers = new Map<string, { provider: OAuthProvider<Env>; options: OAuthProviderOptions<Env> }>();
  const MAX_PROVIDERS = 8;
  const apiPaths = Object.keys(apiHandlers);

  function providerFor(origin: string) {
    let entry = providers.get(origin);
    if (!entry) {
      if (providers.size >= MAX_PROVIDERS) providers.delete(providers.keys().next().value!);
      const options = providerOptions(origin, apiHandlers);
      entry = { provider: new OAuthProvider<Env>(options), options };
      providers.set(origin, entry);
    }
    return entry;
  }

  async function answer(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    // The provider puts its helpers on `env.OAUTH_PROVIDER` once and keeps them; `env` is
    // shared by every request of this isolate, so give each request its own copy, or a
    // request on a second origin would get the first origin's helpers. Its KV remembers
    // access-token records for a few seconds (./token-cache.ts).
    const requestEnv = { ...env, OAUTH_KV: withTokenCache(env.OAUTH_KV) } as Env;
    const entry = await admitted(request, env, apiPaths);
    if (entry instanceof Response) return entry;
    const { request: bounded, url } = entry;
    const refused =
      (await oversized(bounded, url, TOKEN_PATH)) ??
      (await privateClientDocument(bounded, url, TOKEN_PATH)) ??
      (await rateLimited(bounded, url, env, REGISTER_PATH));
    if (refused) return refused;
    const { provider, options } = providerFor(url.origin);
    try {
      const suffix = metadataSuffix(url, apiPaths);
      if (suffix !== null) {
        const root = new Request(new URL(METADATA_PATH, url), bounded);
        const document = await provider.fetch(root, requestEnv, ctx);
        return bounded.method === "GET" ? await describing(document, url.origin + suffix) : document;
      }
      const paths = { authorize: AUTHORIZE_PATH, token: TOKEN_PATH };
      const canonical = await withCanonicalResource(bounded, url, apiPaths, paths);
      if (url.pathname === TOKEN_PATH && canonical.method === "POST") {
        return await tokenEndpoint(canonical, requestEnv, ctx, provider, options);
      }
      return await provider.fetch(canonical, requestEnv, ctx);
    } catch (error) {
      if (isKeyTooLong(error)) return refusedKey(url, apiPaths);
      throw error;
    }
  }

  return {
    async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
      try {
        return await answer(request, env, ctx);
      } finally {
        releaseBody(request);
      }
    },

    // Expired grants and tokens, and the grants of expired registrations, leave KV daily
    // (`[triggers]` in wrangler.toml).
    async scheduled(_controller: ScheduledController, env: Env): Promise<void> {
      const { provider } = providerFor(env.PUBLIC_URL ? new URL(env.PUBLIC_URL).origin : "https://scheduled.invalid");
      let cursor: string | undefined;
      for (let round = 0; round < 5; round++) {
        const result = await provider.purgeExpiredData(env, { cursor });
        if (result.done) return;
        cursor = result.cursor;
      }
    },
  };
}

/** Each API handler reads its request's body bounded (./guards.ts): only once the provider has
 * checked the token, so a caller without one makes the Worker hold nothing. */
function afterTheTokenCheck(apiHandlers: ApiHandlers): ApiHandlers {
  const wrapped: ApiHandlers = {};
  for (const [path, handler] of Object.entries(apiHandlers)) {
    wrapped[path] =
      typeof handler === "function"
        ? handler
        : {
            async fetch(request: Parameters<typeof handler.fetch>[0], env: Env, ctx: ExecutionContext) {
              const message = await boundedMessage(request);
              return message instanceof Response ? message : handler.fetch(message as typeof request, env, ctx);
            },
          };
  }
  return wrapped;
}

function providerOptions(origin: string, apiHandlers: ApiHandlers): OAuthProviderOptions<Env> {
  return {
    apiHandlers: afterTheTokenCheck(apiHandlers),
    defaultHandler: AuthHandler as unknown as ExportedHandler<Env>,
    authorizeEndpoint: AUTHORIZE_PATH,
    tokenEndpoint: TOKEN_PATH,
    clientRegistrationEndpoint: REGISTER_PATH,
    clientRegistrationCallback: checkRegistration,
    clientRegistrationTTL: REGISTRATION_LIFETIME,
    clientIdMetadataDocumentEnabled: true,
    // Native apps (Cursor: cursor://anysphere.cursor-mcp/oauth/callback) sign in through a
    // private-use scheme; PKCE S256 makes a stolen code useless to another app.
    allowPrivateUseRedirectUris: true,
    scopesSupported: Object.keys(SCOPES),
    requiredScopes: Object.keys(SCOPES),
    resourceMetadata: { resource: origin, resource_name: SERVER_NAME },
    onError: ({ code, description, status, headers, internal }) => {
      console.warn(`OAuth error ${status} ${code}: ${description} (${internal.reason})`);
      if (internal.reason !== "refresh_token_mismatch") return;
      // Tells tokenEndpoint below to check for reuse.
      const marked = { ...headers, "Content-Type": "application/json", [SUPERSEDED_HEADER]: "1" };
      return new Response(JSON.stringify({ error: code, error_description: description }), {
        status,
        headers: marked,
      });
    },
    // Our tokens live as long as the provider's (KV needs 60 s at least); refreshing ours
    // refreshes the provider's first (./upstream.ts).
    tokenExchangeCallback: async ({ grantType, props, env }) => {
      if (grantType === "authorization_code") {
        const grant = props as Props;
        return { accessTokenProps: userProps(grant), accessTokenTTL: upstreamLifetime(grant) };
      }
      if (grantType === "refresh_token") {
        const newProps = await refreshUpstream(env, props as Props).catch((error: unknown) => {
          if (error instanceof OAuthError) throw error;
          // Unreachable, or an answer that could not be read: temporary, so nobody is signed out.
          console.error(`Refreshing the ${PROVIDER_NAME} sign-in failed:`, error);
          throw providerUnavailable(`Sign-in with ${PROVIDER_NAME} is unavailable; try again shortly.`);
        });
        return {
          newProps,
          accessTokenProps: userProps(newProps),
          accessTokenTTL: upstreamLifetime(newProps),
        };
      }
    },
  };
}

// Schemes that can't carry an authorization code back to a client (or would run it as script).
const NEVER_REDIRECT_TO = ["about", "ws", "wss", "javascript", "data", "vbscript", "blob", "file"];

/** Anyone may register a client; nobody gets to store whatever they like. */
function checkRegistration({ clientMetadata }: ClientRegistrationCallbackOptions) {
  const refuse = (description: string) => ({ code: "invalid_client_metadata", description });
  const name = clientMetadata.client_name;
  if (name !== undefined && (typeof name !== "string" || name.length > 200)) {
    return refuse("client_name must be a string of at most 200 characters.");
  }
  const uris = clientMetadata.redirect_uris;
  if (Array.isArray(uris) && (uris.length > 10 || uris.some((uri) => String(uri).length > 2000))) {
    return refuse("At most 10 redirect_uris of at most 2000 characters each.");
  }
  for (const uri of Array.isArray(uris) ? uris : []) {
    // Exactly as sent: a URI with whitespace is not one (RFC 3986), and is not tidied into one.
    if (/\s/.test(String(uri))) return refuse("A redirect URI must not contain whitespace.");
    const scheme = String(uri).split(":", 1)[0].toLowerCase();
    if (NEVER_REDIRECT_TO.includes(scheme)) return refuse(`A redirect URI may not be a ${scheme}: URI.`);
  }
  for (const field of ["client_uri", "logo_uri", "policy_uri", "tos_uri", "jwks_uri"]) {
    const value = clientMetadata[field];
    if (value !== undefined && String(value).length > 2000) return refuse(`${field} is too long.`);
  }
  const contacts = clientMetadata.contacts;
  if (Array.isArray(contacts) && contacts.length > 10) return refuse("At most 10 contacts.");
}

/**
 * The token endpoint. Refresh grants run one at a time per grant, once per refresh token
 * (./refresh-gate.ts: a retry, or a second refresh at the same moment, gets the same answer),
 * and a reused refresh token ends its grant (./token-reuse.ts).
 */
async function tokenEndpoint(
  request: Request,
  env: Env,
  ctx: ExecutionContext,
  provider: OAuthProvider<Env>,
  options: OAuthProviderOptions<Env>,
): Promise<Response> {
  const form = await request.clone().formData().catch(() => null);
  const refreshToken = form?.get("grant_type") === "refresh_token" ? form.get("refresh_token") : null;
  const grant = typeof refreshToken === "string" ? grantOf(refreshToken) : null;
  // A token naming no grant of ours is the provider's to refuse, without a Durable Object.
  if (!form || !grant || !(await env.OAUTH_KV.get(`grant:${grant.userId}:${grant.grantId}`))) {
    return provider.fetch(request, env, ctx);
  }
  const token = refreshToken as string;

  let refused: Response | null = null;
  const client = await clientOf(request, form, token);
  const outcome = await refreshOnce<Record<string, unknown>>(env.REFRESH_GATE, grant, token, client, async () => {
    const response = await provider.fetch(request, env, ctx);
    if (!response.ok) {
      refused = response;
      return REFUSED;
    }
    return (await response.json()) as Record<string, unknown>;
  });
  if (outcome === REFUSED) {
    const response = refused as unknown as Response;
    if (!response.headers.has(SUPERSEDED_HEADER)) return response;
    const answered = new Response(response.body, response);
    answered.headers.delete(SUPERSEDED_HEADER);
    if ((await firstExchanged(env.OAUTH_KV, token)) !== null) {
      await endGrant(grant, "a superseded refresh token was presented again", env, options);
    }
    return answered;
  }
  const { answer, fresh } = outcome;
  if (fresh) {
    const first = await firstExchanged(env.OAUTH_KV, token);
    if (first !== null && Math.floor(Date.now() / 1000) - first > REPLAY_AFTER_SECONDS) {
      await endGrant(grant, "a refresh token was exchanged again, long after", env, options);
      return oauthError(400, "invalid_grant", "This refresh token was already used.");
    }
    if (first === null) await markExchanged(env.OAUTH_KV, token);
  } else {
    // The kept answer of a retry: stale once the refresh token it gave was itself exchanged.
    const next = answer.refresh_token;
    if (typeof next === "string" && (await firstExchanged(env.OAUTH_KV, next)) !== null) {
      await endGrant(grant, "a superseded refresh token was presented again", env, options);
      return oauthError(400, "invalid_grant", "This refresh token was already used.");
    }
  }
  return tokenResponse(answer, request);
}

/**
 * Who asks, as far as a kept answer goes: the client_id and secret, however sent (form or
 * Basic), bound to the refresh token. null for a client that signs each request
 * (private_key_jwt): a signed assertion is single-use, so it never gets a kept answer.
 */
async function clientOf(request: Request, form: FormData, refreshToken: string): Promise<string | null> {
  if (form.has("client_assertion")) return null;
  let id = form.get("client_id");
  let secret = form.get("client_secret");
  const authorization = request.headers.get("Authorization") ?? "";
  if (/^basic /i.test(authorization)) {
    try {
      const [user, ...rest] = atob(authorization.slice(6).trim()).split(":");
      const decode = (part: string) => decodeURIComponent(part.replace(/\+/g, " "));
      [id, secret] = [decode(user), decode(rest.join(":"))];
    } catch {
      return null; // malformed: the provider refuses it
    }
  }
  const who = JSON.stringify([refreshToken, id ?? "", secret ?? ""]);
  return hex(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(who))));
}

async function endGrant(
  grant: { userId: string; grantId: string },
  why: string,
  env: Env,
  options: OAuthProviderOptions<Env>,
): Promise<void> {
  console.warn(`Ending grant ${grant.grantId}: ${why} (RFC 9700 reuse detection).`);
  await getOAuthApi(options, env).revokeGrant(grant.grantId, grant.userId);
}

/** The token response, as the provider sends it (not cached; CORS for the request's origin). */
function tokenResponse(body: Record<string, unknown>, request: Request): Response {
  const headers = new Headers({ "Cache-Control": "no-store", Pragma: "no-cache" });
  const origin = request.headers.get("Origin");
  if (origin) {
    headers.set("Access-Control-Allow-Origin", origin);
    headers.set("Vary", "Origin");
  }
  return Response.json(body, { headers });
}

function upstreamLifetime(props: UserProps): number {
  if (!props.accessTokenExpiresAt) return DEFAULT_TOKEN_LIFETIME;
  const remaining = props.accessTokenExpiresAt - Math.floor(Date.now() / 1000);
  return Math.max(MIN_TOKEN_LIFETIME, Math.min(remaining, DEFAULT_TOKEN_LIFETIME));
}
