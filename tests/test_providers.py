"""The sign-in providers' specs (cfmcp/providers/): what each one tells a user to do, and the
vars that say where its issuer is, as `up`, `deploy`, `doctor` and `dev` read them."""

import pytest

from cfmcp.project import Project
from cfmcp.providers import PROVIDERS, unset_url_vars


@pytest.mark.parametrize("name", [n for n, s in PROVIDERS.items() if s.name != "cloudflare"])
def test_providers_without_an_api_say_what_to_register(name):
    spec = PROVIDERS[name]
    if spec.public:
        assert spec.secrets == () and spec.client_secrets == ()
        return
    steps = spec.register_steps.format(url="https://demo.example.workers.dev")
    assert "https://demo.example.workers.dev/callback" in steps
    assert steps.endswith(".") and spec.register_url


def test_every_template_provider_has_a_spec():
    from cfmcp.scaffold import load_template

    assert set(load_template().providers) == set(PROVIDERS)


def write(tmp_path, text: str) -> Project:
    (tmp_path / "wrangler.toml").write_text(text)
    return Project(tmp_path)


def test_an_empty_issuer_is_unset(tmp_path):
    project = write(tmp_path, 'name = "x"\n[vars]\nOIDC_ISSUER = ""\n')
    assert unset_url_vars(project, PROVIDERS["oidc"]) == ["OIDC_ISSUER"]
    project = write(tmp_path, 'name = "x"\n[vars]\nOIDC_ISSUER = "https://idp.example"\n')
    assert unset_url_vars(project, PROVIDERS["oidc"]) == []


def test_an_environment_does_not_inherit_the_top_level_issuer(tmp_path):
    # wrangler does not inherit [vars] into [env.*]: an environment without its own is unset.
    text = 'name = "x"\n[vars]\nOIDC_ISSUER = "https://idp.example"\n[env.staging]\nname = "y"\n'
    project = write(tmp_path, text)
    assert unset_url_vars(project, PROVIDERS["oidc"], "staging") == ["OIDC_ISSUER"]
    text += '[env.staging.vars]\nOIDC_ISSUER = "https://staging.idp.example"\n'
    assert unset_url_vars(write(tmp_path, text), PROVIDERS["oidc"], "staging") == []


@pytest.mark.parametrize(
    ("issuer", "problem"),
    [
        ("https://[abc", "does not parse"),
        ("https://x.example:99999", "does not parse"),
        ("https://x\x7f.example", "control characters"),
        ('https://x.example/"', "quotes"),
        ("http://idp.example.com", "not https"),
        ("https://x.example/#f", "no query, fragment"),
        ("https://user:pw@x.example", "no query, fragment or user name"),
        ("https://login.microsoftonline.com/common/v2.0", "use your tenant's id"),
    ],
)
def test_init_refuses_what_is_not_an_issuer(issuer, problem):
    from cfmcp.errors import UsageError
    from cfmcp.init import check_issuer

    with pytest.raises(UsageError) as refused:
        check_issuer("oidc", issuer)
    assert problem in refused.value.message


@pytest.mark.parametrize(
    "issuer",
    [
        "https://login.microsoftonline.com/6f1e2d3c-0000-4000-8000-000000000000/v2.0",
        "https://tenant.eu.auth0.com/",  # Auth0's has the trailing slash
        "https://sso.example.com/realms/main",
        "http://127.0.0.1:8080",
    ],
)
def test_init_takes_issuers(issuer):
    from cfmcp.init import check_issuer

    assert check_issuer("oidc", f"  {issuer} ") == issuer
