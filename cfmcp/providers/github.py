"""GitHub: an OAuth app (or a GitHub App's user sign-in) that the developer registers at
https://github.com/settings/developers; GitHub has no API to create one."""

from cfmcp.providers import ProviderSpec

SPEC = ProviderSpec(
    name="github",
    title="GitHub",
    client_id="GITHUB_CLIENT_ID",
    client_secret="GITHUB_CLIENT_SECRET",
    url_vars=("GITHUB_OAUTH_URL", "GITHUB_API_URL"),
    stand_in_paths=("/login/oauth", ""),
    stand_in="cfmcp.dev.local_github:LocalGitHub",
    client_id_prompt="GITHUB_CLIENT_ID (your GitHub OAuth app's client id)",
    client_secret_prompt="GITHUB_CLIENT_SECRET (its client secret; not shown as you type)",
    register_url="https://github.com/settings/applications/new",
    register_steps="register an OAuth app, once, at https://github.com/settings/applications/new "
    "with the homepage URL {url} and the authorization callback URL {url}/callback.",
    new_client_hint="Register an OAuth app at https://github.com/settings/applications/new "
    "with the callback URL https://<your server>/callback.",
)
