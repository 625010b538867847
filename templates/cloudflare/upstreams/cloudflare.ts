// The upstream identity provider, the one place sign-in differs by provider: here Cloudflare.
// Its authorize URL, the code and refresh exchanges, and who the user is (/user, /accounts).
// The base URLs are vars so `cfmcp dev` (and `npm test`) can point them at a local stand-in.
// ./auth-handler.ts (the dialog, /callback) and ./oauth.ts use only what this file exports.
import { OAuthError } from "@cloudflare/workers-oauth-provider";
import { REFUSED, refreshOnce } from "./refresh-once";
import {
  UpstreamError,
  asObject,
  codeChallengeS256,
  fetchUpstream,
  readJson,
  expiresAt,
  providerUnavailable,
  signInEnded,
  trimSlash,
  withoutRefreshToken,
  type SignInReturn,
  type SignInStart,
} from "./upstream-kit";

/** Who signs users in, as the approval dialog names it. */
export const PROVIDER_NAME = "Cloudflare";
/** The secrets sign-in needs besides COOKIE_ENCRYPTION_KEY (`cfmcp secrets set` sets them). */
export const PROVIDER_SECRETS = ["CLOUDFLARE_CLIENT_ID", "CLOUDFLARE_CLIENT_SECRET"] as const;

export interface CloudflareAccount {
  id: string;
  name: string;
}

/** What a grant carries, encrypted by the provider in KV. */
export type Props = {
  userId: string;
  email: string;
  name: string;
  accounts: CloudflareAccount[];
  accessToken: string;
  refreshToken?: string;
  /** Seconds since the epoch when `accessToken` expires upstream. */
  accessTokenExpiresAt?: number;
};

/**
 * The signed-in user as the tools see them: the grant's props without Cloudflare's refresh
 * token, which stays in the encrypted grant. `accessToken` is there for tools that call
 * Cloudflare's API for the user; never return it (or log it) from a tool.
 */
export type UserProps = Omit<Props, "refreshToken">;

export function userProps(props: Props): UserProps {
  return withoutRefreshToken(props);
}

/** What `whoami` shows of the user: everything but tokens. */
export function publicProfile(user: UserProps) {
  return { id: user.userId, email: user.email, name: user.name, accounts: user.accounts };
}

interface UpstreamTokens {
  access_token: string;
  refresh_token?: string;
  expires_in?: number;
  token_type?: string;
  scope?: string;
}


export async function authorizeUrl(
  env: Env,
  options: SignInStart,
): Promise<string> {
  const url = new URL(`${trimSlash(env.CLOUDFLARE_OAUTH_URL)}/auth`);
  url.searchParams.set("response_type", "code");
  url.searchParams.set("client_id", env.CLOUDFLARE_CLIENT_ID);
  url.searchParams.set("redirect_uri", options.redirectUri);
  url.searchParams.set("scope", env.CLOUDFLARE_SCOPES);
  url.searchParams.set("state", options.state);
  url.searchParams.set("code_challenge", await codeChallengeS256(options.verifier));
  url.searchParams.set("code_challenge_method", "S256");
  return url.toString();
}

const TOKEN_ENDPOINT = "Cloudflare's token endpoint";

async function tokenRequest(env: Env, form: Record<string, string>): Promise<Response> {
  const basic = btoa(`${env.CLOUDFLARE_CLIENT_ID}:${env.CLOUDFLARE_CLIENT_SECRET}`);
  return fetchUpstream(TOKEN_ENDPOINT, `${trimSlash(env.CLOUDFLARE_OAUTH_URL)}/token`, {
    method: "POST",
    headers: {
      Authorization: `Basic ${basic}`,
      "Content-Type": "application/x-www-form-urlencoded",
      Accept: "application/json",
    },
    body: new URLSearchParams(form).toString(),
  });
}

async function exchangeCode(
  env: Env,
  options: SignInReturn,
): Promise<UpstreamTokens> {
  const response = await tokenRequest(env, {
    grant_type: "authorization_code",
    code: options.code,
    redirect_uri: options.redirectUri,
    code_verifier: options.verifier,
  });
  if (!response.ok) {
    console.error(`${TOKEN_ENDPOINT} refused the authorization code: HTTP ${response.status}`);
    throw new UpstreamError(`Cloudflare refused the authorization code (HTTP ${response.status}).`);
  }
  const tokens = asObject(await readJson(TOKEN_ENDPOINT, response));
  if (typeof tokens?.access_token !== "string" || !tokens.access_token) {
    throw new UpstreamError("Cloudflare returned no access token.");
  }
  return tokens as unknown as UpstreamTokens;
}

/**
 * Refresh Cloudflare's token. Only Cloudflare's own `invalid_grant` (the user revoked access,
 * the refresh token is gone) ends this grant; anything else, a wrong client secret included,
 * is temporary, so a misconfiguration does not sign everybody out. Cloudflare rotates refresh
 * tokens: its answer is kept a minute (./refresh-once.ts).
 */
export async function refreshUpstream(env: Env, props: Props): Promise<Props> {
  const refreshToken = props.refreshToken;
  if (!refreshToken) {
    if (props.accessTokenExpiresAt && props.accessTokenExpiresAt <= Math.floor(Date.now() / 1000)) {
      throw new OAuthError("invalid_grant", {
        description: "The Cloudflare sign-in has expired; authorize again.",
      });
    }
    return props;
  }
  const tokens = await refreshOnce(env.OAUTH_KV, refreshToken, async () => {
    const response = await tokenRequest(env, { grant_type: "refresh_token", refresh_token: refreshToken });
    if (response.ok) {
      const tokens = asObject(await readJson(TOKEN_ENDPOINT, response));
      if (typeof tokens?.access_token === "string") return tokens as unknown as UpstreamTokens;
      throw providerUnavailable("Cloudflare's token endpoint answered without a token; try again shortly.");
    }
    const body = (await response.json().catch(() => null)) as { error?: string } | null;
    if (body?.error === "invalid_grant") return REFUSED;
    console.error(`Cloudflare token refresh failed: HTTP ${response.status} ${body?.error ?? ""}`);
    throw providerUnavailable("Cloudflare sign-in is unavailable; try again shortly.");
  });
  if (tokens === REFUSED) {
    throw signInEnded(PROVIDER_NAME);
  }
  return {
    ...props,
    accessToken: tokens.access_token,
    refreshToken: tokens.refresh_token ?? refreshToken,
    accessTokenExpiresAt: expiresAt(tokens),
  };
}

/** The user came back from Cloudflare with `code`: exchange it, and learn who they are. */
export async function completeSignIn(
  env: Env,
  options: SignInReturn,
): Promise<Props> {
  const tokens = await exchangeCode(env, options);
  const identity = await fetchIdentity(env, tokens.access_token);
  return {
    ...identity,
    accessToken: tokens.access_token,
    refreshToken: tokens.refresh_token,
    accessTokenExpiresAt: expiresAt(tokens),
  };
}


interface Envelope<T> {
  success: boolean;
  result: T;
  errors?: { code: number; message: string }[];
}

async function apiGet<T>(env: Env, path: string, accessToken: string): Promise<T> {
  const response = await fetchUpstream(`Cloudflare's API (${path})`, `${trimSlash(env.CLOUDFLARE_API_URL)}${path}`, {
    headers: { Authorization: `Bearer ${accessToken}`, Accept: "application/json" },
  });
  const body = (await response.json().catch(() => null)) as Envelope<T> | null;
  if (!response.ok || !body?.success) {
    const reason = body?.errors?.[0]?.message ?? `HTTP ${response.status}`;
    console.error(`Cloudflare's API (${path}) failed: ${reason}`);
    throw new UpstreamError(`Cloudflare API ${path} failed: ${reason}`);
  }
  return body.result;
}

async function fetchIdentity(
  env: Env,
  accessToken: string,
): Promise<{ userId: string; email: string; name: string; accounts: CloudflareAccount[] }> {
  const user = await apiGet<{ id: string; email?: string; first_name?: string; last_name?: string }>(
    env,
    "/user",
    accessToken,
  );
  const accounts = await apiGet<{ id: string; name: string }[]>(env, "/accounts", accessToken);
  if (typeof user?.id !== "string" || !user.id || !Array.isArray(accounts)) {
    throw new UpstreamError("Cloudflare's API answered without the user's id or accounts.");
  }
  const name = [user.first_name, user.last_name].filter(Boolean).join(" ");
  return {
    userId: user.id,
    email: user.email ?? "",
    name: name || user.email || user.id,
    accounts: accounts.map(({ id, name }) => ({ id, name })),
  };
}
