import { OAuthProvider } from "@cloudflare/workers-oauth-provider";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { McpAgent } from "agents/mcp";
import { z } from "zod";
import { CloudflareHandler } from "./cloudflare-handler";
import { SERVER_NAME, SERVER_VERSION } from "./config";
import { refreshUpstream, sessionProps, type Props, type SessionProps } from "./cloudflare-upstream";

/** The MCP server: one Durable Object per MCP session, with the signed-in user in `this.props`. */
export class MyMCP extends McpAgent<Env, unknown, SessionProps> {
  server = new McpServer({ name: SERVER_NAME, version: SERVER_VERSION });

  async init() {
    this.server.registerTool(
      "add",
      {
        description: "Add two numbers.",
        inputSchema: { a: z.number(), b: z.number() },
      },
      async ({ a, b }) => ({ content: [{ type: "text", text: String(a + b) }] }),
    );

    this.server.registerTool(
      "whoami",
      { description: "The Cloudflare user who signed in, and their accounts." },
      async () => {
        const props = this.props;
        if (!props) return { content: [{ type: "text", text: "Not signed in." }], isError: true };
        const user = { id: props.userId, email: props.email, name: props.name, accounts: props.accounts };
        return { content: [{ type: "text", text: JSON.stringify(user, null, 2) }] };
      },
    );
  }
}

// The provider's resource (the tokens' audience) is this Worker's origin: PUBLIC_URL when set,
// else the origin the request arrived on (Cloudflare routes only your hostnames here). One
// provider per origin, a few at most.
const providers = new Map<string, OAuthProvider<Env>>();
const MAX_PROVIDERS = 8;

function providerFor(origin: string): OAuthProvider<Env> {
  let provider = providers.get(origin);
  if (!provider) {
    if (providers.size >= MAX_PROVIDERS) providers.delete(providers.keys().next().value!);
    provider = new OAuthProvider<Env>({
      apiHandlers: {
        "/sse": MyMCP.serveSSE("/sse"),
        "/mcp": MyMCP.serve("/mcp"),
      },
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
          return { accessTokenProps: sessionProps(grant), accessTokenTTL: upstreamLifetime(grant) };
        }
        if (grantType === "refresh_token") {
          const newProps = await refreshUpstream(env, props as Props);
          return {
            newProps,
            accessTokenProps: sessionProps(newProps),
            accessTokenTTL: upstreamLifetime(newProps),
          };
        }
      },
    });
    providers.set(origin, provider);
  }
  return provider;
}

const DEFAULT_TOKEN_LIFETIME = 3600;
const MIN_TOKEN_LIFETIME = 60;

function upstreamLifetime(props: SessionProps): number {
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

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    // The provider puts its helpers on `env.OAUTH_PROVIDER` once and keeps them; `env` is
    // shared by every request of this isolate, so give each request its own copy, or a
    // request on a second origin would get the first origin's helpers.
    const requestEnv = { ...env } as Env;
    const publicRequest = asPublicRequest(request, env);
    return providerFor(new URL(publicRequest.url).origin).fetch(publicRequest, requestEnv, ctx);
  },
} satisfies ExportedHandler<Env>;
