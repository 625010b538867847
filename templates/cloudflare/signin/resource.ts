// The OAuth resource (RFC 8707) this server issues tokens for is its origin: one audience for
// /mcp and /sse, so one sign-in opens both. Clients name it in more ways than one: the origin
// from the protected-resource metadata, or the URL they were given (the MCP specification's
// examples send `https://host/mcp`, and hosted clients such as claude.ai do too). Each of those
// names the same audience here; anything else is left for the provider to refuse
// (`invalid_target`).
const METADATA_PATH = "/.well-known/oauth-protected-resource";

/** The origin, when `value` names this server as a resource: the origin itself or one of its
 * MCP endpoints, with or without a trailing slash; else null. */
export function canonicalResource(value: string, origin: string, apiPaths: string[]): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.origin !== origin || url.username || url.password || url.search || url.hash) return null;
  const path = url.pathname.replace(/\/$/, "");
  return path === "" || apiPaths.includes(path) ? origin : null;
}

/**
 * The request with every `resource` that names this server replaced by the canonical one, at
 * the authorization endpoint (query) and the token endpoint (form). Others are kept as sent.
 */
export async function withCanonicalResource(
  request: Request,
  url: URL,
  apiPaths: string[],
  paths: { authorize: string; token: string },
): Promise<Request> {
  const canonical = (values: string[]) =>
    values.map((value) => canonicalResource(value, url.origin, apiPaths) ?? value);
  if (url.pathname === paths.authorize && request.method === "GET") {
    const given = url.searchParams.getAll("resource");
    if (given.length === 0) return request;
    const target = new URL(url);
    target.searchParams.delete("resource");
    for (const value of canonical(given)) target.searchParams.append("resource", value);
    return new Request(target, request);
  }
  const isForm = (request.headers.get("Content-Type") ?? "").toLowerCase().startsWith("application/x-www-form-urlencoded");
  if (url.pathname === paths.token && request.method === "POST" && isForm) {
    const form = new URLSearchParams(await request.clone().text());
    const given = form.getAll("resource");
    if (given.length === 0) return request;
    form.delete("resource");
    for (const value of canonical(given)) form.append("resource", value);
    const headers = new Headers(request.headers);
    headers.delete("Content-Length");
    return new Request(request, { body: form.toString(), headers });
  }
  return request;
}

/** `/.well-known/oauth-protected-resource/mcp` (RFC 9728 §3.1, the metadata a client derives
 * from the URL `/mcp`), for each MCP endpoint: the endpoint it describes, else null. */
export function metadataSuffix(url: URL, apiPaths: string[]): string | null {
  if (!url.pathname.startsWith(`${METADATA_PATH}/`)) return null;
  const suffix = url.pathname.slice(METADATA_PATH.length);
  return apiPaths.includes(suffix.replace(/\/$/, "")) ? suffix : null;
}

/** The server's metadata document (`root`, as the provider serves it) describing `resource`:
 * a client that compares `resource` with the URL it used finds them equal. */
export async function describing(root: Response, resource: string): Promise<Response> {
  if (!root.ok || !(root.headers.get("Content-Type") ?? "").includes("json")) return root;
  const document = (await root.json()) as Record<string, unknown>;
  const headers = new Headers(root.headers);
  headers.delete("Content-Length");
  return new Response(JSON.stringify({ ...document, resource }), { status: root.status, headers });
}

export { METADATA_PATH };
