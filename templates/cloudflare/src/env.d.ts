// The Worker's bindings, vars and secrets. Keep in step with wrangler.toml and .dev.vars.
import type { OAuthHelpers } from "@cloudflare/workers-oauth-provider";

declare global {
  namespace Cloudflare {
    interface Env {
      OAUTH_KV: KVNamespace;
      MCP_OBJECT: DurableObjectNamespace;
      OAUTH_PROVIDER: OAuthHelpers;
      // vars
      CLOUDFLARE_OAUTH_URL: string;
      CLOUDFLARE_API_URL: string;
      CLOUDFLARE_SCOPES: string;
      PUBLIC_URL: string;
      // secrets
      CLOUDFLARE_CLIENT_ID: string;
      CLOUDFLARE_CLIENT_SECRET: string;
      COOKIE_ENCRYPTION_KEY: string;
    }
  }
  type Env = Cloudflare.Env;
}

export {};
