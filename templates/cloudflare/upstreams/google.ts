// The upstream identity provider, the one place sign-in differs by provider: here Google,
// through OpenID Connect (./openid-connect.ts does the work). GOOGLE_ISSUER is a var so
// `cfmcp dev` (and `npm test`) can point it at a local stand-in.
// ./auth-handler.ts (the dialog, /callback) and ./oauth.ts use only what this file exports.
import { openIdConnectProvider, type IssuerSettings } from "./openid-connect";

export { publicProfile, userProps, type Props, type UserProps } from "./openid-connect";

/** Who signs users in, as the approval dialog names it. */
export const PROVIDER_NAME = "Google";
/** The secrets sign-in needs besides COOKIE_ENCRYPTION_KEY (`cfmcp secrets set` sets them). */
export const PROVIDER_SECRETS = ["GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET"] as const;

function settings(env: Env): IssuerSettings {
  return {
    name: PROVIDER_NAME,
    issuer: env.GOOGLE_ISSUER,
    clientId: env.GOOGLE_CLIENT_ID,
    clientSecret: env.GOOGLE_CLIENT_SECRET,
    scopes: env.GOOGLE_SCOPES,
    // access_type=offline asks for a refresh token (Google refuses the offline_access scope).
    authorizeParams: env.GOOGLE_AUTHORIZE_PARAMS,
    // Google's ID tokens name their issuer with or without the scheme (Google's OpenID
    // Connect guide, "Validating an ID token").
    issuerAliases: (issuer) => [issuer.replace(/^https:\/\//, "")],
  };
}

export const { authorizeUrl, completeSignIn, refreshUpstream } = openIdConnectProvider(settings);
