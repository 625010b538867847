// Requests refused before the OAuth provider sees them, each with a short 4xx instead of a
// stack trace: a Host this server does not answer for, a browser Origin it does not trust,
// ids and tokens too long to be real (KV keys stop at 512 bytes), oversized bodies, and too
// many registrations from one address.
const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);
const MAX_ID = 400; // client ids, codes, tokens: real ones are far shorter
const MAX_AUTHORIZATION = 1024;
const MAX_FORM_BODY = 16 * 1024;
export const MAX_REGISTRATION_BODY = 16 * 1024;

export function isLoopback(url: URL): boolean {
  return LOOPBACK_HOSTS.has(url.hostname);
}

/** Served over https (Cloudflare routes only your hostnames here), or on this machine. */
export function misdirected(url: URL): Response | null {
  if (url.protocol === "https:" || (url.protocol === "http:" && isLoopback(url))) return null;
  return text(421, "This server does not answer for that host.");
}

/**
 * The MCP transport says servers must check Origin: a browser page may call the MCP endpoints
 * only from this server's own origin, an origin listed in ALLOWED_ORIGINS, or, when the server
 * runs on this machine (cfmcp dev), another local page. Requests without Origin (MCP clients
 * that are not browsers) are not affected.
 */
export function refusedOrigin(request: Request, url: URL, env: Env, apiPaths: string[]): Response | null {
  const origin = request.headers.get("Origin");
  if (origin === null || !apiPaths.some((path) => underPath(url.pathname, path))) return null;
  if (originAllowed(origin, url, env)) return null;
  return Response.json(
    { jsonrpc: "2.0", error: { code: -32000, message: `Origin ${origin} is not allowed` }, id: null },
    { status: 403 },
  );
}

function originAllowed(origin: string, url: URL, env: Env): boolean {
  if (origin === url.origin) return true;
  const allowed = (env.ALLOWED_ORIGINS ?? "").split(/[\s,]+/).filter(Boolean);
  if (allowed.includes(origin)) return true;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false;
  }
  return isLoopback(url) && isLoopback(parsed);
}

function underPath(pathname: string, path: string): boolean {
  return pathname === path || pathname.startsWith(`${path}/`);
}

/** Ids and tokens no real client sends, before they reach KV. */
export async function oversized(request: Request, url: URL, tokenPath: string): Promise<Response | null> {
  const authorization = request.headers.get("Authorization") ?? "";
  if (authorization.length > MAX_AUTHORIZATION || bearerTooLong(authorization)) {
    return url.pathname === tokenPath
      ? oauthError(401, "invalid_client", "Client authentication failed.")
      : invalidToken(url);
  }
  if (basicIdTooLong(authorization)) {
    return oauthError(401, "invalid_client", "Client authentication failed.");
  }
  const clientId = url.searchParams.get("client_id");
  if (clientId !== null && clientId.length > MAX_ID) {
    return text(400, "Unknown client.");
  }
  if (url.pathname === tokenPath && request.method === "POST") {
    const length = Number(request.headers.get("Content-Length") ?? "0");
    if (length > MAX_FORM_BODY) return oauthError(413, "invalid_request", "The request is too large.");
    const form = await request.clone().formData().catch(() => null);
    if (form === null) return null; // the provider explains a body that is not a form
    for (const field of ["client_id", "code", "refresh_token", "code_verifier", "redirect_uri"]) {
      const value = form.get(field);
      if (typeof value === "string" && value.length > (field === "redirect_uri" ? 2048 : MAX_ID)) {
        const error = field === "client_id" ? "invalid_client" : "invalid_grant";
        return oauthError(400, error, `${field} is not valid.`);
      }
    }
  }
  return null;
}

function bearerTooLong(authorization: string): boolean {
  const [scheme, token] = authorization.split(" ", 2);
  return scheme?.toLowerCase() === "bearer" && (token ?? "").length > MAX_ID;
}

function basicIdTooLong(authorization: string): boolean {
  const [scheme, encoded] = authorization.split(" ", 2);
  if (scheme?.toLowerCase() !== "basic" || !encoded) return false;
  try {
    return atob(encoded).split(":", 1)[0].length > MAX_ID;
  } catch {
    return false; // the provider refuses what it cannot decode
  }
}

/**
 * Dynamic client registration is open to anyone, and every registration is a KV write: on the
 * Workers Free plan KV's daily write quota is what a flood would exhaust. So a bounded body,
 * and a few per minute per address (REGISTRATION_LIMIT in wrangler.toml), except on this
 * machine (cfmcp dev), where a developer's tools and tests register a client every run.
 */
export async function rateLimited(request: Request, url: URL, env: Env, registerPath: string): Promise<Response | null> {
  if (url.pathname !== registerPath || request.method !== "POST") return null;
  const length = Number(request.headers.get("Content-Length") ?? "0");
  if (length > MAX_REGISTRATION_BODY) {
    return oauthError(413, "invalid_client_metadata", "The registration is too large.");
  }
  if (isLoopback(url)) return null;
  const address = request.headers.get("CF-Connecting-IP") ?? "unknown";
  const { success } = await env.REGISTRATION_LIMIT.limit({ key: address });
  if (success) return null;
  const response = oauthError(429, "temporarily_unavailable", "Too many registrations; try again in a minute.");
  response.headers.set("Retry-After", "60");
  return response;
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
