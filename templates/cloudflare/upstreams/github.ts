// The upstream identity provider, the one place sign-in differs by provider: here GitHub.
// An OAuth app (or a GitHub App's user sign-in): github.com's authorize page and token
// endpoint, and who the user is from the REST API (/user, /user/emails). The base URLs are vars
// so `cfmcp dev` (and `npm test`) can point them at a local stand-in.
// ./auth-handler.ts (the dialog, /callback) and ./oauth.ts use only what this file exports.
//
// Tokens: an OAuth app's GitHub token never expires and comes without a refresh token, so our
// tokens get a fixed lifetime and each refresh of ours asks GitHub's /user whether the token
// still works (a user who revoked the app ends the grant there). A GitHub App's user tokens
// expire and come with a refresh token: a refresh of ours refreshes GitHub's first.
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
export const PROVIDER_NAME = "GitHub";
/** The secrets sign-in needs besides COOKIE_ENCRYPTION_KEY (`cfmcp secrets set` sets them). */
export const PROVIDER_SECRETS = ["GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET"] as const;

/** What a grant carries, encrypted by the provider in KV. */
export type Props = {
  userId: string;
  login: string;
  email: string;
  name: string;
  accessToken: string;
  refreshToken?: string;
  /** Seconds since the epoch when `accessToken` expires upstream (GitHub Apps only). */
  accessTokenExpiresAt?: number;
};

/**
 * The signed-in user as the tools see them: the grant's props without GitHub's refresh token.
 * `accessToken` is there for tools that call GitHub's API for the user (with the scopes in
 * GITHUB_SCOPES); never return it (or log it) from a tool.
 */
export type UserProps = Omit<Props, "refreshToken">;

export function userProps(props: Props): UserProps {
  return withoutRefreshToken(props);
}

/** What `whoami` shows of the user: everything but tokens. */
export function publicProfile(user: UserProps) {
  return { id: user.userId, login: user.login, email: user.email, name: user.name };
}

interface GitHubTokens {
  access_token?: string;
  refresh_token?: string;
  expires_in?: number;
  error?: string;
  error_description?: string;
}


export async function authorizeUrl(
  env: Env,
  options: SignInStart,
): Promise<string> {
  const url = new URL(`${trimSlash(env.GITHUB_OAUTH_URL)}/authorize`);
  url.searchParams.set("client_id", env.GITHUB_CLIENT_ID);
  url.searchParams.set("redirect_uri", options.redirectUri);
  url.searchParams.set("scope", env.GITHUB_SCOPES);
  url.searchParams.set("state", options.state);
  url.searchParams.set("code_challenge", await codeChallengeS256(options.verifier));
  url.searchParams.set("code_challenge_method", "S256");
  return url.toString();
}

const TOKEN_ENDPOINT = "GitHub's token endpoint";

/** GitHub's token endpoint answers errors with HTTP 200 and an `error` field. */
async function tokenRequest(env: Env, form: Record<string, string>): Promise<GitHubTokens> {
  const response = await fetchUpstream(TOKEN_ENDPOINT, `${trimSlash(env.GITHUB_OAUTH_URL)}/access_token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
    body: new URLSearchParams({
      client_id: env.GITHUB_CLIENT_ID,
      client_secret: env.GITHUB_CLIENT_SECRET,
      ...form,
    }).toString(),
  });
  if (!response.ok) throw new UpstreamError(`${TOKEN_ENDPOINT} answered HTTP ${response.status}.`);
  const answer = asObject(await readJson(TOKEN_ENDPOINT, response));
  if (!answer) throw new UpstreamError(`${TOKEN_ENDPOINT} answered something other than a JSON object.`);
  return answer as GitHubTokens;
}

/** The user came back from GitHub with `code`: exchange it, and learn who they are. */
export async function completeSignIn(
  env: Env,
  options: SignInReturn,
): Promise<Props> {
  const tokens = await tokenRequest(env, {
    code: options.code,
    redirect_uri: options.redirectUri,
    code_verifier: options.verifier,
  });
  if (typeof tokens.access_token !== "string" || !tokens.access_token) {
    throw new UpstreamError(`GitHub refused the authorization code (${tokens.error ?? "no token"}).`);
  }
  const identity = await fetchIdentity(env, tokens.access_token);
  if (identity === REFUSED) throw new UpstreamError("GitHub did not accept its own new token.");
  return {
    ...identity,
    accessToken: tokens.access_token,
    refreshToken: tokens.refresh_token,
    accessTokenExpiresAt: expiresAt(tokens),
  };
}

/**
 * Refresh, or re-check, the GitHub sign-in. Only GitHub's own refusal (a revoked app, a bad
 * refresh token) ends this grant; anything else is temporary, so an outage signs nobody out.
 */
export async function refreshUpstream(env: Env, props: Props): Promise<Props> {
  const refreshToken = props.refreshToken;
  if (!refreshToken) {
    const identity = await fetchIdentity(env, props.accessToken);
    if (identity === REFUSED) {
      throw signInEnded(PROVIDER_NAME);
    }
    return { ...props, ...identity };
  }
  const tokens = await refreshOnce(env.OAUTH_KV, refreshToken, async () => {
    const answer = await tokenRequest(env, { grant_type: "refresh_token", refresh_token: refreshToken })
      .catch(() => null);
    if (answer?.access_token) return answer;
    if (answer?.error === "bad_refresh_token") return REFUSED;
    console.error(`GitHub token refresh failed: ${answer?.error ?? "no answer"}`);
    throw providerUnavailable("GitHub sign-in is unavailable; try again shortly.");
  });
  if (tokens === REFUSED) {
    throw signInEnded(PROVIDER_NAME);
  }
  return {
    ...props,
    accessToken: tokens.access_token!,
    refreshToken: tokens.refresh_token ?? refreshToken,
    accessTokenExpiresAt: expiresAt(tokens),
  };
}


/** The JSON of GitHub's API at `path` (the caller checks its shape); REFUSED for a 401. */
async function apiGet(env: Env, path: string, accessToken: string): Promise<unknown> {
  const response = await fetchUpstream(`GitHub's API (${path})`, `${trimSlash(env.GITHUB_API_URL)}${path}`, {
    headers: {
      Authorization: `Bearer ${accessToken}`,
      Accept: "application/vnd.github+json",
      "X-GitHub-Api-Version": "2022-11-28",
      // GitHub's API refuses requests without one.
      "User-Agent": "mcp-server-on-cloudflare-workers",
    },
  });
  if (response.status === 401) return REFUSED;
  if (!response.ok) {
    console.error(`GitHub's API (${path}) answered HTTP ${response.status}`);
    throw new UpstreamError(`GitHub's API answered HTTP ${response.status}; try again shortly.`);
  }
  return readJson(`GitHub's API (${path})`, response);
}

/** The address GitHub says is the user's primary and verified one, from /user/emails. */
function primaryEmail(emails: unknown): string {
  if (!Array.isArray(emails)) return "";
  const primary = emails.map(asObject).find((e) => e?.primary === true && e.verified === true);
  return typeof primary?.email === "string" ? primary.email : "";
}

/** Who the token belongs to; REFUSED when GitHub no longer accepts it. */
async function fetchIdentity(
  env: Env,
  accessToken: string,
): Promise<{ userId: string; login: string; email: string; name: string } | typeof REFUSED> {
  const answer = await apiGet(env, "/user", accessToken);
  if (answer === REFUSED) return REFUSED;
  const user = asObject(answer);
  // Every GitHub user has a numeric id; without one there is nobody to sign in.
  if (!user || !Number.isSafeInteger(user.id) || typeof user.login !== "string" || !user.login) {
    console.error(`GitHub's /user answered ${answer === null ? "null" : typeof answer}, without a numeric id and a login`);
    throw new UpstreamError("GitHub's /user answer names no user; try again shortly.");
  }
  const login = user.login;
  const name = typeof user.name === "string" && user.name ? user.name : login;
  // The public profile's email may be empty; the primary verified address needs user:email.
  // Without it (no scope, an outage, an odd answer) the user signs in with no address.
  let email = typeof user.email === "string" ? user.email : "";
  if (!email) {
    email = primaryEmail(await apiGet(env, "/user/emails", accessToken).catch(() => []));
  }
  return { userId: String(user.id), login, email, name };
}
