"""Any OpenID Connect issuer (Entra ID, Okta, Auth0, WorkOS, Keycloak, ...), found from
OIDC_ISSUER's discovery document. Clients are registered in the issuer's own console."""

from cfmcp.providers import ProviderSpec

SPEC = ProviderSpec(
    name="oidc",
    title="OpenID Connect",
    client_id="OIDC_CLIENT_ID",
    client_secret="OIDC_CLIENT_SECRET",
    url_vars=("OIDC_ISSUER",),
    stand_in_paths=("",),
    stand_in="cfmcp.dev.local_oidc:LocalOIDC",
    client_id_prompt="OIDC_CLIENT_ID (your OpenID Connect client's id)",
    client_secret_prompt="OIDC_CLIENT_SECRET (its client secret; not shown as you type)",
    register_url="your identity provider's console",
    register_steps="register a confidential web client, once, in your identity provider's "
    "console, with the redirect URI {url}/callback and the scopes openid, email, profile and "
    'offline_access (the README\'s "Any OpenID Connect issuer" says where for Entra ID, Okta, '
    "Auth0, WorkOS and Keycloak).",
    new_client_hint="Register a confidential web client with your identity provider, with the "
    "redirect URI https://<your server>/callback and the scopes openid email profile "
    "offline_access.",
)
