"""No sign-in (`cfmcp init --auth none`): a public server whose tools anyone can call. It has
no secrets, no OAUTH_KV and nothing for `cfmcp dev` to stand in for."""

from cfmcp.providers import ProviderSpec

SPEC = ProviderSpec(
    name="none",
    title="no sign-in",
    client_id="",
    client_secret="",
    url_vars=(),
    stand_in="",
    client_id_prompt="",
    client_secret_prompt="",
    new_client_hint="",
    public=True,
)
