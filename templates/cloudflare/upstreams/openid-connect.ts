// Sign-in through an OpenID Connect issuer, for ./upstream.ts (Google, or any issuer): the
// endpoints come from the issuer's discovery document (issuer + /.well-known/openid-
// configuration); the ID token is verified against the issuer's published keys (JWKS) with
// `jose`: signature, issuer, audience, expiry and the nonce this sign-in sent. ./upstream.ts
// hands each function its `IssuerSettings` (from vars and secrets); nothing here is per issuer.
import { OAuthError } from "@cloudflare/workers-oauth-provider";
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from "jose";
import { REFUSED, refreshOnce } from "./refresh-once";
import {
  SignInRefused,
  UpstreamError,
  codeChallengeS256,
  expiresAt,
  providerUnavailable,
  signInEnded,
  trimSlash,
  withoutRefreshToken,
  type SignInReturn,
  type SignInStart,
} from "./upstream-kit";

/** Where the issuer is and who this server is to it. */
export interface IssuerSettings {
  /** As the approval dialog and errors name it. */
  name: string;
  /** The issuer's URL: its discovery document is under /.well-known/ there. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Space-separated, `openid` among them. */
  scopes: string;
  /** Extra authorize parameters, space-separated `name=value` pairs. */
  authorizeParams: string;
  /** Other spellings of the issuer its ID tokens may carry (Google's without https://). */
  issuerAliases?: (issuer: string) => string[];
}

/** What a grant carries, encrypted by the provider in KV. */
export type Props = {
  /** The ID token's `sub`: the user's id at the issuer, stable and never reassigned. */
  userId: string;
  email: string;
  name: string;
  accessToken: string;
  refreshToken?: string;
  /** Seconds since the epoch when `accessToken` expires upstream. */
  accessTokenExpiresAt?: number;
};

/**
 * The signed-in user as the tools see them: the grant's props without the refresh token.
 * `accessToken` is there for tools that call the provider's APIs for the user (with the scopes
 * in the scopes var); never return it (or log it) from a tool.
 */
export type UserProps = Omit<Props, "refreshToken">;

export function userProps(props: Props): UserProps {
  return withoutRefreshToken(props);
}

/** What `whoami` shows of the user: everything but tokens. */
export function publicProfile(user: UserProps) {
  return { id: user.userId, email: user.email, name: user.name };
}

/** The fields of the discovery document this module uses (OpenID Connect Discovery 1.0). */
interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
  userinfo_endpoint?: string;
  token_endpoint_auth_methods_supported?: string[];
  id_token_signing_alg_values_supported?: string[];
}

interface TokenAnswer {
  access_token?: string;
  refresh_token?: string;
  id_token?: string;
  expires_in?: number;
  error?: string;
  error_description?: string;
}

// Per isolate: the discovery document is fetched once an hour, not per sign-in, and the key set
// is jose's (it fetches again for a key id it has not seen). Only finished answers are kept: a
// Worker may not await another request's fetch.
const DISCOVERY_SECONDS = 3600;
const DISCOVERY_TIMEOUT_MS = 5000; // as long as jose waits for a key set
const CLOCK_SKEW_SECONDS = 60; // between the issuer's clock and Cloudflare's
const discoveries = new Map<string, { document: Discovery; until: number }>();
const keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

function acceptedIssuers(settings: IssuerSettings, discovery: Discovery): string[] {
  return [discovery.issuer, ...(settings.issuerAliases?.(discovery.issuer) ?? [])];
}
async function discover(settings: IssuerSettings): Promise<Discovery> {
  const issuer = settings.issuer;
  const now = Date.now() / 1000;
  const cached = discoveries.get(issuer);
  if (cached && cached.until > now) return cached.document;
  const document = await fetchDiscovery(issuer);
  discoveries.set(issuer, { document, until: now + DISCOVERY_SECONDS });
  return document;
}

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== "string") return false;
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:";
  } catch {
    return false;
  }
}

async function fetchDiscovery(issuer: string): Promise<Discovery> {
  const where = `${trimSlash(issuer)}/.well-known/openid-configuration`;
  const response = await fetch(where, {
    headers: { Accept: "application/json" },
    signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS),
  }).catch(() => null);
  if (!response?.ok) {
    throw new UpstreamError(`The issuer's discovery document (${where}) could not be read.`);
  }
  const document = (await response.json().catch(() => null)) as Partial<Discovery> | null;
  const missing = ["issuer", "authorization_endpoint", "token_endpoint", "jwks_uri"].filter(
    (field) => !isHttpUrl(document?.[field as keyof Discovery]),
  );
  if (!document || missing.length) {
    throw new UpstreamError(`The issuer's discovery document lacks ${missing.join(", ") || "JSON"}.`);
  }
  // Discovery 1.0, section 4.3: the document must name the issuer it was fetched for.
  if (trimSlash(document.issuer!) !== trimSlash(issuer)) {
    throw new UpstreamError(`The discovery document names the issuer ${document.issuer}, not ${issuer}.`);
  }
  return document as Discovery;
}

function keySet(discovery: Discovery) {
  let keys = keySets.get(discovery.jwks_uri);
  if (!keys) {
    keys = createRemoteJWKSet(new URL(discovery.jwks_uri));
    keySets.set(discovery.jwks_uri, keys);
  }
  return keys;
}

export async function authorizeUrl(settings: IssuerSettings, options: SignInStart): Promise<string> {
  const discovery = await discover(settings);
  const url = new URL(discovery.authorization_endpoint);
  // Extra parameters the provider needs, e.g. Google's for a refresh token.
  for (const pair of settings.authorizeParams.split(/\s+/).filter(Boolean)) {
    const [name, ...value] = pair.split("=");
    url.searchParams.set(name, value.join("="));
  }
  url.searchParams.set("response_type", "code");
  url.searchParams.set("client_id", settings.clientId);
  url.searchParams.set("redirect_uri", options.redirectUri);
  url.searchParams.set("scope", settings.scopes);
  url.searchParams.set("state", options.state);
  url.searchParams.set("nonce", options.nonce);
  url.searchParams.set("code_challenge", await codeChallengeS256(options.verifier));
  url.searchParams.set("code_challenge_method", "S256");
  // No `resource` parameter: Entra ID refuses it next to OpenID scopes.
  return url.toString();
}

/** A token request, authenticated as the issuer prefers (client_secret_basic by default). */
async function tokenRequest(settings: IssuerSettings, discovery: Discovery, form: Record<string, string>) {
  const methods = discovery.token_endpoint_auth_methods_supported ?? ["client_secret_basic"];
  const headers: Record<string, string> = {
    "Content-Type": "application/x-www-form-urlencoded",
    Accept: "application/json",
  };
  const body = new URLSearchParams(form);
  if (methods.includes("client_secret_basic")) {
    // RFC 6749, section 2.3.1: both parts form-encoded before the Base64.
    const id = encodeURIComponent(settings.clientId);
    const secret = encodeURIComponent(settings.clientSecret);
    headers.Authorization = `Basic ${btoa(`${id}:${secret}`)}`;
  } else {
    body.set("client_id", settings.clientId);
    body.set("client_secret", settings.clientSecret);
  }
  const response = await fetch(discovery.token_endpoint, { method: "POST", headers, body }).catch(
    () => {
      throw new UpstreamError("The issuer's token endpoint could not be reached; try again shortly.");
    },
  );
  const parsed: unknown = await response.json().catch(() => null);
  const answer = (parsed !== null && typeof parsed === "object" ? parsed : {}) as TokenAnswer;
  return { status: response.status, answer };
}

/**
 * The ID token's claims, once its signature (by a key in the issuer's JWKS), issuer, audience
 * (this client), expiry and, at sign-in, nonce hold. Anything else is a SignInRefused that says
 * which check failed.
 */
async function verifyIdToken(
  settings: IssuerSettings,
  discovery: Discovery,
  idToken: string,
  nonce?: string,
): Promise<JWTPayload> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(idToken, keySet(discovery), {
      issuer: acceptedIssuers(settings, discovery),
      audience: settings.clientId,
      algorithms: signingAlgorithms(discovery),
      requiredClaims: ["sub", "exp", "iat"],
      clockTolerance: CLOCK_SKEW_SECONDS,
    }));
  } catch (error) {
    throw idTokenProblem(error);
  }
  // jose checks an issue time only against a maximum age; one from the future is refused too.
  if (typeof payload.iat === "number" && payload.iat > Date.now() / 1000 + CLOCK_SKEW_SECONDS) {
    throw new SignInRefused("The ID token has an issue time in the future.");
  }
  // The user's id at the issuer: a non-empty string (Core 2), or there is nobody to sign in.
  if (typeof payload.sub !== "string" || !payload.sub) {
    throw new UpstreamError("The issuer's ID token names no user (its sub is not a string).");
  }
  if (nonce !== undefined && payload.nonce !== nonce) {
    throw new SignInRefused("The nonce in the ID token does not match this sign-in: the token was issued for another one.");
  }
  // OpenID Connect Core, 3.1.3.7: `azp`, when present (and with several audiences, always),
  // names the client the token was issued to.
  const severalAudiences = Array.isArray(payload.aud) && payload.aud.length > 1;
  if ((severalAudiences || payload.azp !== undefined) && payload.azp !== settings.clientId) {
    throw new SignInRefused("The ID token was issued to another application (azp).");
  }
  return payload;
}

/** The issuer's ID-token algorithms that a published key can check: never "none" or a shared
 * secret's (HS*); jose's asymmetric defaults when the document names none. */
function signingAlgorithms(discovery: Discovery): string[] | undefined {
  const named = discovery.id_token_signing_alg_values_supported;
  if (!Array.isArray(named)) return undefined;
  return named.filter((alg) => typeof alg === "string" && alg !== "none" && !alg.startsWith("HS"));
}

function idTokenProblem(error: unknown): Error {
  if (error instanceof errors.JWTExpired) return new SignInRefused("The ID token has expired.");
  if (error instanceof errors.JWTClaimValidationFailed) {
    const what: Record<string, string> = {
      aud: "was issued to another application (audience)",
      iss: "was issued by another issuer",
      nbf: "is not valid yet",
      iat: "has an issue time in the future",
    };
    return new SignInRefused(`The ID token ${what[error.claim] ?? `has a bad "${error.claim}" claim`}.`);
  }
  if (
    error instanceof errors.JWSSignatureVerificationFailed ||
    error instanceof errors.JWKSNoMatchingKey ||
    error instanceof errors.JOSEAlgNotAllowed
  ) {
    return new SignInRefused("The ID token is not signed by a key the issuer publishes.");
  }
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) {
    return new SignInRefused("The ID token is malformed.");
  }
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid || error instanceof TypeError) {
    // The key set could not be fetched or read (a timeout, a network failure): not the user's fault.
    return new UpstreamError("The issuer's signing keys could not be read; try again shortly.");
  }
  // Anything else jose refuses (another algorithm, several matching keys, ...).
  return new SignInRefused("The ID token could not be verified.");
}

/** An address the issuer did not say it verified is no address: anyone can type one. Some
 * issuers send the claim as a string (Amazon Cognito: "true", "false"). */
function verifiedEmail(claims: Record<string, unknown>): string {
  const verified = claims.email_verified === true || claims.email_verified === "true";
  return typeof claims.email === "string" && verified ? claims.email : "";
}

/**
 * Who the user is: the ID token's claims, then userinfo for an email the token leaves out.
 * `userId` (the issuer's `sub`) is what identifies a user; decide access by it, not by email.
 */
async function identity(
  discovery: Discovery,
  claims: JWTPayload,
  accessToken: string,
): Promise<{ userId: string; email: string; name: string }> {
  let email = verifiedEmail(claims);
  let name = typeof claims.name === "string" ? claims.name : "";
  if (!email && discovery.userinfo_endpoint) {
    const response = await fetch(discovery.userinfo_endpoint, {
      headers: { Authorization: `Bearer ${accessToken}`, Accept: "application/json" },
    }).catch(() => null);
    const info = (await response?.json().catch(() => null)) as Record<string, unknown> | null;
    // Core 5.3.2: userinfo for another subject must not be used.
    if (response?.ok && info && info.sub === claims.sub) {
      email = verifiedEmail(info);
      name ||= typeof info.name === "string" ? info.name : "";
    }
  }
  // Entra ID's sign-in name, when it sends no name: a label only (the user can change it).
  const username = typeof claims.preferred_username === "string" ? claims.preferred_username : "";
  return { userId: claims.sub!, email, name: name || email || username || claims.sub! };
}

/** The user came back from the issuer with `code`: exchange it, verify the ID token. */
export async function completeSignIn(settings: IssuerSettings, options: SignInReturn): Promise<Props> {
  const discovery = await discover(settings);
  const { status, answer } = await tokenRequest(settings, discovery, {
    grant_type: "authorization_code",
    code: options.code,
    redirect_uri: options.redirectUri,
    code_verifier: options.verifier,
  });
  if (typeof answer.access_token !== "string" || !answer.access_token) {
    throw new UpstreamError(
      `The issuer refused the authorization code (${answer.error ?? `HTTP ${status}`}).`,
    );
  }
  if (typeof answer.id_token !== "string") {
    throw new SignInRefused("The issuer sent no ID token: is `openid` in the scopes?");
  }
  const claims = await verifyIdToken(settings, discovery, answer.id_token, options.nonce);
  return {
    ...(await identity(discovery, claims, answer.access_token)),
    accessToken: answer.access_token,
    refreshToken: answer.refresh_token,
    accessTokenExpiresAt: expiresAt(answer),
  };
}

/**
 * Refresh the issuer's tokens. Only the issuer's own `invalid_grant` (the user revoked access,
 * the refresh token expired) ends this grant; anything else is temporary, so an outage signs
 * nobody out. Without a refresh token (the issuer gave none), the sign-in lasts as long as the
 * issuer's access token.
 */
export async function refreshUpstream(
  settings: IssuerSettings,
  kv: KVNamespace,
  props: Props,
): Promise<Props> {
  const refreshToken = props.refreshToken;
  if (!refreshToken) {
    if (props.accessTokenExpiresAt && props.accessTokenExpiresAt <= Math.floor(Date.now() / 1000)) {
      throw new OAuthError("invalid_grant", {
        description: `The sign-in with ${settings.name} has expired; authorize again.`,
      });
    }
    return props;
  }
  const discovery = await discover(settings).catch(() => {
    throw providerUnavailable("The identity provider is unavailable; try again shortly.");
  });
  const tokens = await refreshOnce(kv, refreshToken, async () => {
    const { status, answer } = await tokenRequest(settings, discovery, {
      grant_type: "refresh_token",
      refresh_token: refreshToken,
    }).catch(() => ({ status: 0, answer: {} as TokenAnswer }));
    if (answer.access_token) return answer;
    if (answer.error === "invalid_grant") return REFUSED;
    console.error(`Token refresh failed: HTTP ${status} ${answer.error ?? ""}`);
    throw providerUnavailable("The identity provider is unavailable; try again shortly.");
  });
  if (tokens === REFUSED) throw signInEnded(settings.name);
  let user = { email: props.email, name: props.name };
  if (typeof tokens.id_token === "string") {
    // The tokens came from the issuer for our refresh token, so they stand; a new ID token only
    // updates who the user is, and must be the same user's (Core 12.2; it has no nonce). One
    // that can't be verified now (keys being rotated or unreachable) is left out: the issuer's
    // refresh token was already used, and failing here would sign the user out.
    const claims = await verifyIdToken(settings, discovery, tokens.id_token).catch((error) => {
      console.warn(`A refreshed ID token was left out: ${String(error)}`);
      return null;
    });
    if (claims && claims.sub !== props.userId) throw signInEnded(settings.name);
    if (claims) {
      const name = typeof claims.name === "string" ? claims.name : props.name;
      user = { email: verifiedEmail(claims) || props.email, name };
    }
  }
  return {
    ...props,
    ...user,
    accessToken: tokens.access_token!,
    refreshToken: tokens.refresh_token ?? refreshToken,
    accessTokenExpiresAt: expiresAt(tokens),
  };
}

/** The functions ./upstream.ts exports, for the issuer `settings` names (from vars and secrets). */
export function openIdConnectProvider(settings: (env: Env) => IssuerSettings) {
  return {
    authorizeUrl: (env: Env, options: SignInStart) => authorizeUrl(settings(env), options),
    completeSignIn: (env: Env, options: SignInReturn) => completeSignIn(settings(env), options),
    refreshUpstream: (env: Env, props: Props) => refreshUpstream(settings(env), env.OAUTH_KV, props),
  };
}
