"""Google, through OpenID Connect: an OAuth client ("Web application") that the developer
creates at https://console.cloud.google.com/auth/clients; Google has no API to create one."""

from cfmcp.providers import ProviderSpec

SPEC = ProviderSpec(
    name="google",
    title="Google",
    client_id="GOOGLE_CLIENT_ID",
    client_secret="GOOGLE_CLIENT_SECRET",
    url_vars=("GOOGLE_ISSUER",),
    stand_in_paths=("",),
    stand_in="cfmcp.dev.local_oidc:LocalGoogle",
    client_id_prompt="GOOGLE_CLIENT_ID (your Google OAuth client's id)",
    client_secret_prompt="GOOGLE_CLIENT_SECRET (its client secret; not shown as you type)",
    register_url="https://console.cloud.google.com/auth/clients",
    register_steps="create an OAuth client, once, at https://console.cloud.google.com/auth/clients "
    '(type "Web application") with the authorized redirect URI {url}/callback; the scopes '
    "are openid, email and profile.",
    new_client_hint='Create a "Web application" OAuth client at '
    "https://console.cloud.google.com/auth/clients with the authorized redirect URI "
    "https://<your server>/callback.",
)
