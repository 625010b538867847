// Requests refused before the OAuth provider sees them, each with a short 4xx instead of a
// stack trace: a Host this server does not answer for, a browser Origin it does not trust, a
// body too large (or one that stops arriving), ids and tokens too long to be real (KV keys stop
// at 512 bytes), and too many registrations.
import { registryProof } from "./registry-proof";

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);
const MAX_BODY = 16 * 1024; // forms and registrations
const MAX_MCP_BODY = 4 * 1024 * 1024; // one MCP message, as the MCP SDKs allow
// Past the bound, a body is read on (and dropped) up to this much more, so that its sender
// hears the 413 rather than a reset connection; a body declared larger is refused at once.
const MAX_DRAINED = 2 * 1024 * 1024;
const BODY_STALL_MS = 10_000; // a body that sends nothing for this long is given up on (408)
const MAX_ID_BYTES = 400; // client ids, codes, tokens: real ones are far shorter
const MAX_URI_BYTES = 2048;
const MAX_AUTHORIZATION = 1024;
const BEARER = /^bearer[\t ]+(.*)$/i; // as the provider reads it

export function isLoopback(url: URL): boolean {
  return LOOPBACK_HOSTS.has(url.hostname);
}

/** Served over https (Cloudflare routes only your hostnames here), or on this machine. */
export function misdirected(url: URL): Response | null {
  if (url.protocol === "https:" || (url.protocol === "http:" && isLoopback(url))) return null;
  return text(
    421,
    "This server does not answer for that host. Behind a proxy? Set PUBLIC_URL in " +
      "wrangler.toml to the address clients use. A tunnel to `cfmcp dev`? Use `cfmcp dev --tunnel`.",
  );
}

/**
 * The MCP transport says servers must check Origin: a browser page may call the MCP endpoints
 * only from this server's own origin, an origin listed in ALLOWED_ORIGINS, or, when the server
 * runs on this machine (cfmcp dev), another local page. Requests without Origin (MCP clients
 * that are not browsers) are not affected.
 */
export function refusedOrigin(request: Request, url: URL, env: Env, apiPaths: string[]): Response | null {
  const origin = request.headers.get("Origin");
  if (origin === null || !underAny(url, apiPaths)) return null;
  if (originAllowed(origin, url, env)) return null;
  return Response.json(
    { jsonrpc: "2.0", error: { code: -32000, message: `Origin ${origin} is not allowed` }, id: null },
    { status: 403 },
  );
}

function originAllowed(origin: string, url: URL, env: Env): boolean {
  if (origin === url.origin) return true;
  const listed = (env.ALLOWED_ORIGINS ?? "").split(/[\s,]+/).filter(Boolean).map(originOf);
  if (listed.includes(origin)) return true;
  const parsed = parseUrl(origin);
  return parsed !== null && isLoopback(url) && isLoopback(parsed);
}

function originOf(entry: string): string {
  return parseUrl(entry)?.origin ?? entry; // "https://App.example.com/" lists "https://app.example.com"
}

function parseUrl(value: string): URL | null {
  try {
    return new URL(value);
  } catch {
    return null;
  }
}

export function underAny(url: URL, paths: string[]): boolean {
  return paths.some((path) => url.pathname === path || url.pathname.startsWith(`${path}/`));
}

/**
 * What every request passes first: its public URL (behind a proxy or a tunnel), a Host this
 * server answers for, a browser Origin it trusts, the MCP Registry's proof (answered here) and
 * a bounded body. Either the request to serve, with its URL, or the answer already.
 */
export async function admitted(
  request: Request,
  env: Env,
  apiPaths: string[],
): Promise<{ request: Request; url: URL } | Response> {
  const publicRequest = asPublicRequest(request, env);
  if (publicRequest instanceof Response) return publicRequest;
  const url = new URL(publicRequest.url);
  const refused =
    misdirected(url) ?? refusedOrigin(publicRequest, url, env, apiPaths) ?? registryProof(publicRequest, url, env);
  if (refused) return refused;
  const bounded = await boundedBody(publicRequest, url, apiPaths);
  return bounded instanceof Response ? bounded : { request: bounded, url };
}

/**
 * The request with its body read once and bounded (chunked bodies too), or a 413; a body that
 * stops arriving gets a 408. A declared length far too large is refused before anything is
 * read. An MCP message is only refused here by its declared length: it is read once its token
 * is checked (`boundedMessage`), so a caller without one holds no memory.
 */
export async function boundedBody(request: Request, url: URL, apiPaths: string[]): Promise<Request | Response> {
  if (request.body === null) return request;
  if (!underAny(url, apiPaths)) return readBounded(request, MAX_BODY, formError);
  return declaredLength(request) > MAX_MCP_BODY + MAX_DRAINED
    ? jsonRpcError(413, "too large", MAX_MCP_BODY)
    : request;
}

/** An MCP message read once and bounded (4 MiB), or the JSON-RPC error that says why not. */
export async function boundedMessage(request: Request): Promise<Request | Response> {
  return readBounded(request, MAX_MCP_BODY, jsonRpcError);
}

function declaredLength(request: Request): number {
  return Number(request.headers.get("Content-Length") ?? 0);
}

async function readBounded(
  request: Request,
  limit: number,
  error: (status: number, problem: BodyProblem, limit: number) => Response,
): Promise<Request | Response> {
  if (request.body === null) return request;
  const refuse = (status: number, problem: BodyProblem) => error(status, problem, limit);
  if (declaredLength(request) > limit + MAX_DRAINED) return refuse(413, "too large");
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const read = await withinStall(reader.read()).catch(() => "cut off" as const);
    if (read === "cut off") return refuse(400, read); // the client went away
    if (read === "stalled") {
      await reader.cancel().catch(() => {});
      return refuse(408, read);
    }
    if (read.done) break;
    size += read.value.byteLength;
    if (size <= limit) chunks.push(read.value);
    if (size > limit + MAX_DRAINED) {
      await reader.cancel().catch(() => {}); // the connection goes: the client may miss the 413
      return refuse(413, "too large");
    }
  }
  if (size > limit) return refuse(413, "too large"); // read to its end: the client hears it
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new Request(request, { body });
}

type BodyProblem = "too large" | "stalled" | "cut off";

function formError(status: number, problem: BodyProblem): Response {
  const description = {
    "too large": "The request is too large.",
    stalled: "The request body stopped arriving.",
    "cut off": "The request body was cut off.",
  }[problem];
  return oauthError(status, "invalid_request", description);
}

/** The MCP endpoints answer in JSON-RPC, as the MCP SDK's own bound does (the same words). */
function jsonRpcError(status: number, problem: BodyProblem, limit: number): Response {
  const message = {
    "too large": `Payload Too Large: Request body must not exceed ${limit} bytes`,
    stalled: "Request Timeout: the request body stopped arriving",
    "cut off": "Bad Request: the request body was cut off",
  }[problem];
  return Response.json(
    { jsonrpc: "2.0", error: { code: -32000, message }, id: null },
    { status, headers: { "Cache-Control": "no-store" } },
  );
}

function withinStall<T>(read: Promise<T>): Promise<T | "stalled"> {
  let stop = () => {};
  const stalled = new Promise<"stalled">((resolve) => {
    const timer = setTimeout(() => resolve("stalled"), BODY_STALL_MS);
    stop = () => clearTimeout(timer);
  });
  return Promise.race([read, stalled]).finally(() => stop());
}

/**
 * Lets go of a body the answer did not read (a 401, a 404, a 413 from the declared length), so
 * the answer goes out at once: otherwise the runtime (and `wrangler dev`) waits for the rest of
 * a body that may never come.
 */
export function releaseBody(request: Request): void {
  if (request.body !== null && !request.bodyUsed) request.body.cancel().catch(() => {});
}

/** Ids and tokens no real client sends, before they reach KV. */
export async function oversized(request: Request, url: URL, tokenPath: string): Promise<Response | null> {
  const authorization = request.headers.get("Authorization") ?? "";
  const bearer = BEARER.exec(authorization)?.[1];
  if (authorization.length > MAX_AUTHORIZATION || (bearer !== undefined && tooLong(bearer))) {
    return url.pathname === tokenPath
      ? oauthError(401, "invalid_client", "Client authentication failed.")
      : invalidToken(url);
  }
  if (tooLong(basicClientId(authorization))) {
    return oauthError(401, "invalid_client", "Client authentication failed.");
  }
  if (tooLong(url.searchParams.get("client_id"))) return text(400, "Unknown client.");
  if (url.pathname !== tokenPath || request.method !== "POST") return null;
  const form = await request.clone().formData().catch(() => null);
  if (form === null) return null; // the provider explains a body that is not a form
  const field = (name: string) => {
    const value = form.get(name);
    return typeof value === "string" ? value : null;
  };
  if (tooLong(field("client_id")) || tooLong(assertedClient(field("client_assertion")))) {
    return oauthError(400, "invalid_client", "client_id is not valid.");
  }
  for (const name of ["code", "refresh_token", "code_verifier", "token", "subject_token", "actor_token"]) {
    if (tooLong(field(name))) return oauthError(400, "invalid_grant", `${name} is not valid.`);
  }
  if (tooLong(field("redirect_uri"), MAX_URI_BYTES)) {
    return oauthError(400, "invalid_grant", "redirect_uri is not valid.");
  }
  return null;
}

/**
 * A client known by a metadata document (its client_id an https URL) whose document would be
 * fetched from this machine or a private network: refused before the provider fetches it.
 * Cloudflare's fetch refuses those addresses anyway (`global_fetch_strictly_public`); a local
 * runtime does not, and would let a client id probe the developer's own ports.
 */
export async function privateClientDocument(
  request: Request,
  url: URL,
  tokenPath: string,
): Promise<Response | null> {
  let clientId = url.searchParams.get("client_id");
  if (clientId === null && url.pathname === tokenPath && request.method === "POST") {
    const form = await request.clone().formData().catch(() => null);
    const field = form?.get("client_id");
    clientId = typeof field === "string" ? field : null;
  }
  const document = clientId?.startsWith("https://") ? parseUrl(clientId) : null;
  if (document === null || !isPrivateHost(document.hostname)) return null;
  return url.pathname === tokenPath
    ? oauthError(401, "invalid_client", "Client authentication failed.")
    : text(400, "Unknown client: its metadata document is not on a public address.");
}

/** This machine, or an address that is not on the public internet (as URL writes hosts). */
function isPrivateHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(host)?.slice(1).map(Number);
  if (v4) return isPrivateV4(v4);
  if (!host.startsWith("[")) return false; // a name: Cloudflare resolves it, and refuses private ones
  const v6 = host.slice(1, -1);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(v6)?.[1];
  if (mapped) return isPrivateV4(mapped.split(".").map(Number));
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(v6);
  if (hex) {
    const [high, low] = [parseInt(hex[1], 16), parseInt(hex[2], 16)];
    return isPrivateV4([high >> 8, high & 255, low >> 8, low & 255]);
  }
  // Unspecified, loopback, unique local (fc00::/7), link-local (fe80::/10), multicast.
  return v6 === "::" || v6 === "::1" || /^(f[cd]|fe[89ab]|ff)/.test(v6);
}

function isPrivateV4([a, b]: number[]): boolean {
  return (
    a === 0 || a === 10 || a === 127 || a >= 224 || // this network, private, loopback, multicast+
    (a === 100 && b >= 64 && b < 128) || // carrier-grade NAT
    (a === 169 && b === 254) || // link-local
    (a === 172 && b >= 16 && b < 32) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0) || // IETF protocol assignments
    (a === 198 && (b === 18 || b === 19)) // benchmarking
  );
}

function tooLong(value: string | null | undefined, limit = MAX_ID_BYTES): boolean {
  return value != null && new TextEncoder().encode(value).length > limit;
}

function basicClientId(authorization: string): string | null {
  const [scheme, encoded] = authorization.split(/[\t ]+/, 2);
  if (scheme?.toLowerCase() !== "basic" || !encoded) return null;
  try {
    const raw = atob(encoded); // one byte a character: UTF-8 ids count their bytes
    return raw.slice(0, raw.indexOf(":") === -1 ? undefined : raw.indexOf(":"));
  } catch {
    return null; // the provider refuses what it cannot decode
  }
}

/** The client a JWT client assertion names (its `iss`, and `sub`), the longer one. */
function assertedClient(assertion: string | null): string | null {
  const payload = assertion?.split(".")[1];
  if (!payload) return null;
  try {
    const claims = JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/"))) as Record<string, unknown>;
    const names = [claims.iss, claims.sub].map((value) => String(value ?? ""));
    return names.sort((a, b) => b.length - a.length)[0];
  } catch {
    return null;
  }
}

/**
 * Dynamic client registration is open to anyone, and every registration is a KV write: on the
 * Workers Free plan KV's daily write quota is what a flood would exhaust. So a few a minute per
 * address (an IPv6 /64 counts as one) and a ceiling for everyone (REGISTRATION_LIMIT and
 * REGISTRATION_LIMIT_ALL in wrangler.toml), except on this machine (cfmcp dev), where a
 * developer's tools and tests register a client every run.
 */
/** The registration rate limits (wrangler.toml's [[ratelimits]]). */
interface RegistrationLimits {
  REGISTRATION_LIMIT: RateLimit;
  REGISTRATION_LIMIT_ALL: RateLimit;
}

export async function rateLimited(
  request: Request,
  url: URL,
  env: RegistrationLimits,
  registerPath: string,
): Promise<Response | null> {
  if (url.pathname !== registerPath || request.method !== "POST" || isLoopback(url)) return null;
  const address = networkOf(request.headers.get("CF-Connecting-IP") ?? "unknown");
  const [mine, everyone] = await Promise.all([
    env.REGISTRATION_LIMIT.limit({ key: address }),
    env.REGISTRATION_LIMIT_ALL.limit({ key: "all" }),
  ]);
  if (mine.success && everyone.success) return null;
  const response = oauthError(429, "temporarily_unavailable", "Too many registrations; try again in a minute.");
  response.headers.set("Retry-After", "60");
  return response;
}

/** An IPv4 address as it is; an IPv6 one by its /64, which one subscriber usually holds. */
export function networkOf(address: string): string {
  if (!address.includes(":")) return address;
  const [head, tail = ""] = address.toLowerCase().split("::", 2);
  const front = head ? head.split(":") : [];
  const back = tail ? tail.split(":") : [];
  const groups = address.includes("::")
    ? [...front, ...Array(Math.max(0, 8 - front.length - back.length)).fill("0"), ...back]
    : front;
  return `${groups.slice(0, 4).map((group) => group.replace(/^0+(?=.)/, "")).join(":")}::/64`;
}

function invalidToken(url: URL): Response {
  const metadata = `${url.origin}/.well-known/oauth-protected-resource`;
  const response = oauthError(401, "invalid_token", "Invalid access token");
  response.headers.set(
    "WWW-Authenticate",
    `Bearer realm="OAuth", error="invalid_token", error_description="Invalid access token", resource_metadata="${metadata}"`,
  );
  return response;
}

export function oauthError(status: number, error: string, description: string): Response {
  return Response.json(
    { error, error_description: description },
    { status, headers: { "Cache-Control": "no-store" } },
  );
}

function text(status: number, message: string): Response {
  return new Response(`${message}\n`, {
    status,
    headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" },
  });
}

/** A KV key too long for KV: the backstop for any id the checks above did not foresee. */
export function isKeyTooLong(error: unknown): boolean {
  return /exceeds key length limit|failed: 414/i.test(String((error as Error)?.message ?? error));
}

export function refusedKey(url: URL, apiPaths: string[]): Response {
  if (underAny(url, apiPaths)) return invalidToken(url);
  return oauthError(400, "invalid_request", "An id or token in this request is not valid.");
}

/**
 * The request as clients addressed it. Two cases change it:
 * - `cfmcp dev --tunnel` gives a public https origin (TUNNEL_URL) that reaches this dev server
 *   as plain http with the tunnel's Host. Requests for exactly that host are handled as https
 *   there; loopback keeps working beside it, as another origin with tokens of its own.
 * - Behind a proxy that changes the host, PUBLIC_URL is the origin clients see: every request
 *   is handled as if it arrived there, so metadata, the token audience and /callback agree.
 */
export function asPublicRequest(request: Request, env: Env): Request | Response {
  const url = new URL(request.url);
  const tunnel = tunnelOrigin(env);
  if (tunnel !== null && url.host === tunnel.host) return rebased(withTunnelOrigin(request, tunnel), url, tunnel);
  if (!env.PUBLIC_URL) return request;
  let target: URL;
  try {
    target = new URL(env.PUBLIC_URL);
  } catch {
    const problem = "Server not configured: PUBLIC_URL in wrangler.toml is not an absolute URL.";
    return new Response(`${problem}\n`, { status: 500, headers: { "Cache-Control": "no-store" } });
  }
  return rebased(request, url, target);
}

/** The tunnel's https origin, when `cfmcp dev --tunnel` set one. */
function tunnelOrigin(env: Env): URL | null {
  if (!env.TUNNEL_URL) return null; // the usual case: no URL to parse (a failed parse is slow)
  const tunnel = parseUrl(env.TUNNEL_URL);
  return tunnel?.protocol === "https:" ? tunnel : null;
}

/** `wrangler dev` hands the Worker `http://` in place of `https://` wherever a request header
 * names the tunnel's own origin (Origin, Referer): the tunnel speaks only https, so put it back. */
function withTunnelOrigin(request: Request, tunnel: URL): Request {
  const downgraded = `http://${tunnel.host}`;
  const headers = new Headers(request.headers);
  let changed = false;
  for (const name of ["Origin", "Referer"]) {
    const value = headers.get(name);
    if (value === downgraded || value?.startsWith(`${downgraded}/`)) {
      headers.set(name, tunnel.origin + value.slice(downgraded.length));
      changed = true;
    }
  }
  return changed ? new Request(request, { headers }) : request;
}

function rebased(request: Request, url: URL, origin: URL): Request {
  const target = new URL(origin.origin);
  target.pathname = url.pathname; // a setter: a path like //other.host stays a path
  target.search = url.search;
  return new Request(target, request);
}
