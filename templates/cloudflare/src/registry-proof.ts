// The MCP Registry's proof that this server's domain is its owner's: `cfmcp publish` sets the
// secret MCP_REGISTRY_AUTH ("v=MCPv1; k=ed25519; p=<public key>"), and the registry reads it
// here before it lists a server under that domain's namespace (com.example/…). Unset: 404.
export const REGISTRY_PROOF_PATH = "/.well-known/mcp-registry-auth";

export function registryProof(request: Request, url: URL, env: Env): Response | null {
  if (url.pathname !== REGISTRY_PROOF_PATH || !["GET", "HEAD"].includes(request.method)) {
    return null;
  }
  const proof = env.MCP_REGISTRY_AUTH?.trim();
  if (!proof) return new Response("Not found\n", { status: 404 });
  return new Response(request.method === "HEAD" ? null : proof, {
    headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" },
  });
}
