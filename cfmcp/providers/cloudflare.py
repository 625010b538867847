"""Cloudflare's own OAuth (the default): clients made by `cfmcp oauth-client` through
Cloudflare's API, the user and their accounts from /user and /accounts."""

from cfmcp.providers import ProviderSpec

SPEC = ProviderSpec(
    name="cloudflare",
    title="Cloudflare",
    client_id="CLOUDFLARE_CLIENT_ID",
    client_secret="CLOUDFLARE_CLIENT_SECRET",
    url_vars=("CLOUDFLARE_OAUTH_URL", "CLOUDFLARE_API_URL"),
    stand_in_paths=("/oauth2", "/client/v4"),
    stand_in="cfmcp.dev.local_cloudflare:LocalCloudflare",
    client_id_prompt="CLOUDFLARE_CLIENT_ID (your Cloudflare OAuth client's id)",
    client_secret_prompt="CLOUDFLARE_CLIENT_SECRET (its secret; not shown as you type)",
    new_client_hint="`cfmcp oauth-client create` makes one and sets both.",
)
