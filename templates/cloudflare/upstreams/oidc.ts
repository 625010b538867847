// The upstream identity provider, the one place sign-in differs by provider: here any OpenID
// Connect issuer: Entra ID, Okta, Auth0, WorkOS, Keycloak, ... (./openid-connect.ts does the
// work). OIDC_ISSUER is a var so `cfmcp dev` (and `npm test`) can point it at a local stand-in.
// ./auth-handler.ts (the dialog, /callback) and ./oauth.ts use only what this file exports.
import { openIdConnectProvider, type IssuerSettings } from "./openid-connect";

export { publicProfile, userProps, type Props, type UserProps } from "./openid-connect";

/** Who signs users in, as the approval dialog names it: put your organization's name here. */
export const PROVIDER_NAME = "your identity provider";
/** The secrets sign-in needs besides COOKIE_ENCRYPTION_KEY (`cfmcp secrets set` sets them). */
export const PROVIDER_SECRETS = ["OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET"] as const;

function settings(env: Env): IssuerSettings {
  return {
    name: PROVIDER_NAME,
    issuer: env.OIDC_ISSUER,
    clientId: env.OIDC_CLIENT_ID,
    clientSecret: env.OIDC_CLIENT_SECRET,
    scopes: env.OIDC_SCOPES,
    authorizeParams: env.OIDC_AUTHORIZE_PARAMS,
  };
}

export const { authorizeUrl, completeSignIn, refreshUpstream } = openIdConnectProvider(settings);
