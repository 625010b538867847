// The OAuth 2.1 server in front of everything (workers-oauth-provider): /authorize, /token,
// /register and the metadata documents, and a bearer-token check on the MCP endpoints before
// their handlers run (they get the signed-in user's props).
import { OAuthProvider, type OAuthProviderOptions } from "@cloudflare/workers-oauth-provider";
import { CloudflareHandler } from "./cloudflare-handler";
import { refreshUpstream, userProps, type Props, type UserProps } from "./cloudflare-upstream";
import { SERVER_NAME } from "./config";

type ApiHandlers = NonNullable<OAuthProviderOptions<Env>["apiHandlers"]>;

const DEFAULT_TOKEN_LIFETIME = 3600;
const MIN_TOKEN_LIFETIME = 60;

/** A Worker that serves `apiHandlers` (path prefix -> handler) to signed-in MCP clients only. */
export function oauthWorker(apiHandlers: ApiHandlers): ExportedHandler<Env> {
  // The provider's resource (the tokens' audience) is this Worker's origin: PUBLIC_URL when
  // set, else the origin the request arrived on (Cloudflare routes only your hostnames here).
  // One provider per origin, a few at most.
  const providers = new Map<string, OAuthProvider<Env>>();
  const MAX_PROVIDERS = 8;

  function providerFor(origin: string): OAuthProvider<Env> {
    let provider = providers.get(origin);
    if (!provider) {
      if (providers.size >= MAX_PROVIDERS) providers.delete(providers.keys().next().value!);
      provider = createProvider(origin, apiHandlers);
      providers.set(origin, provider);
    }
    return provider;
  }

  return {
    fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
      // The provider puts its helpers on `env.OAUTH_PROVIDER` once and keeps them; `env` is
      // shared by every request of this isolate, so give each request its own copy, or a
      // request on a second origin would get the first origin's helpers.
      const requestEnv = { ...env } as Env;
      const publicRequest = asPublicRequest(request, env);
      return providerFor(new URL(publicRequest.url).origin).fetch(publicRequest, requestEnv, ctx);
    },
  };
}

function createProvider(origin: string, apiHandlers: ApiHandlers): OAuthProvider<Env> {
  return new OAuthProvider<Env>({
    apiHandlers,
    defaultHandler: CloudflareHandler as unknown as ExportedHandler<Env>,
    authorizeEndpoint: "/authorize",
    tokenEndpoint: "/token",
    clientRegistrationEndpoint: "/register",
    clientIdMetadataDocumentEnabled: true,
    resourceMetadata: { resource: origin, resource_name: SERVER_NAME },
    // Our tokens live as long as Cloudflare's (KV needs 60 s at least) and carry no refresh
    // token; refreshing ours refreshes Cloudflare's first.
    tokenExchangeCallback: async ({ grantType, props, env }) => {
      if (grantType === "authorization_code") {
        const grant = props as Props;
        return { accessTokenProps: userProps(grant), accessTokenTTL: upstreamLifetime(grant) };
      }
      if (grantType === "refresh_token") {
        const newProps = await refreshUpstream(env, props as Props);
        return {
          newProps,
          accessTokenProps: userProps(newProps),
          accessTokenTTL: upstreamLifetime(newProps),
        };
      }
    },
  });
}

function upstreamLifetime(props: UserProps): number {
  if (!props.accessTokenExpiresAt) return DEFAULT_TOKEN_LIFETIME;
  const remaining = props.accessTokenExpiresAt - Math.floor(Date.now() / 1000);
  return Math.max(MIN_TOKEN_LIFETIME, Math.min(remaining, DEFAULT_TOKEN_LIFETIME));
}

// Behind a proxy that changes the host, PUBLIC_URL is the origin clients see: handle every
// request as if it arrived there, so metadata, the token audience and /callback agree.
function asPublicRequest(request: Request, env: Env): Request {
  if (!env.PUBLIC_URL) return request;
  const url = new URL(request.url);
  const target = new URL(env.PUBLIC_URL);
  target.pathname = url.pathname; // a setter: a path like //other.host stays a path
  target.search = url.search;
  return new Request(target, request);
}
