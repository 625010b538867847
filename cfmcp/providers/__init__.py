"""Sign-in providers: what cfmcp needs to know of each one. The Worker's side is the template's
`upstreams/<name>.ts`, rendered to `src/upstream.ts`; `cfmcp.json` records the project's
provider as `options.auth` (projects from before providers existed sign in with Cloudflare).

One module per provider holds its `SPEC`; `PROVIDERS` lists them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from cfmcp.errors import CfmcpError

if TYPE_CHECKING:
    from cfmcp.dev.local_oauth import LocalOAuth
    from cfmcp.project import Project

COOKIE_KEY = "COOKIE_ENCRYPTION_KEY"
DEFAULT = "cloudflare"


@dataclass(frozen=True)
class ProviderSpec:
    name: str  # as `cfmcp init --auth` takes it
    title: str  # as people call it
    client_id: str  # the Worker secret holding the OAuth client's id
    client_secret: str  # and its secret
    url_vars: tuple[str, ...]  # the vars naming where it is (base URLs, or an issuer)
    stand_in: str  # "module:Class" of the local stand-in `cfmcp dev` runs
    client_id_prompt: str
    client_secret_prompt: str
    new_client_hint: str  # how to get an OAuth client when there is none
    # Where a person registers an OAuth client by hand ("": cfmcp makes them through an API).
    register_url: str = ""
    # What to register there, once; {url} is the Worker's URL.
    register_steps: str = ""
    # No sign-in at all: a public server, with no secrets, no OAUTH_KV and no stand-in.
    public: bool = False
    # Where each of url_vars points on the local stand-in, after its base URL.
    stand_in_paths: tuple[str, ...] = ()

    def stand_in_values(self, base_url: str) -> dict[str, str]:
        """The vars that point the Worker at the local stand-in served on `base_url` (known
        here, so `cfmcp dev` starts wrangler before it loads the stand-in's web framework)."""
        paths = zip(self.url_vars, self.stand_in_paths, strict=True)
        return {name: f"{base_url}{path}" for name, path in paths}

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every secret the Worker needs with this provider."""
        return () if self.public else (self.client_id, self.client_secret, COOKIE_KEY)

    @property
    def client_secrets(self) -> tuple[str, ...]:
        return () if self.public else (self.client_id, self.client_secret)

    def stand_in_class(self) -> type[LocalOAuth]:
        """The local stand-in's class (imported only when `cfmcp dev` needs it)."""
        import importlib

        module, _, name = self.stand_in.partition(":")
        return getattr(importlib.import_module(module), name)


def _specs() -> dict[str, ProviderSpec]:
    from cfmcp.providers import cloudflare, github, google, none, oidc

    specs = (cloudflare.SPEC, github.SPEC, google.SPEC, oidc.SPEC, none.SPEC)
    return {spec.name: spec for spec in specs}


PROVIDERS = _specs()


def provider_of(project: Project) -> ProviderSpec:
    """The provider the project signs in with, from `cfmcp.json`."""
    state = project.read_state() if project.state_path.is_file() else {}
    name = (state.get("options") or {}).get("auth", DEFAULT)
    spec = PROVIDERS.get(name)
    if spec is None:
        known = ", ".join(PROVIDERS)
        raise CfmcpError(
            f"cfmcp.json names the sign-in provider {name!r}, which this cfmcp does not know.",
            hint=f"Set options.auth to one of: {known} (or update cfmcp).",
        )
    return spec


def require_location(project: Project, env: str | None = None) -> None:
    """Stop before a deploy whose provider does not know where its issuer is (OIDC_ISSUER)."""
    spec = provider_of(project)
    unset = unset_url_vars(project, spec, env)
    if unset:
        raise CfmcpError(
            f"{' and '.join(unset)} in wrangler.toml is empty: the Worker would not know where "
            f"to send users to sign in with {spec.title}.",
            hint=f'Set it under [vars], e.g. {unset[0]} = "https://<tenant>.okta.com"; the '
            "README lists the issuer URL of Entra ID, Okta, Auth0, WorkOS and Keycloak.",
        )


def unset_url_vars(project: Project, spec: ProviderSpec, env: str | None = None) -> list[str]:
    """The provider's location vars (e.g. OIDC_ISSUER) that wrangler.toml leaves empty."""
    from cfmcp.project import binding_table

    document = project.load_wrangler()
    table = binding_table(document, env) if env else None
    # wrangler does not inherit [vars] into an environment: its own table, or nothing.
    variables = (table if table is not None else document).get("vars") or {}
    return [name for name in spec.url_vars if not str(variables.get(name, "")).strip()]
