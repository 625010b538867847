"""`cfmcp oauth-client`: create, sync, rotate, show, delete against the fake Cloudflare API, with
the real wrangler putting the Worker's secrets."""

from __future__ import annotations

import json
import stat

import pytest

from cfmcp.errors import CfmcpError
from cfmcp.project import Project
from tests.conftest import copy_project, run_cfmcp
from tests.fake_cloudflare import FakeCloudflare, error, isolated_env
from tests.keyring_backend import FileKeyring, read_keyring, use_backend

pytestmark = pytest.mark.integration

CLIENTS = "/accounts/{account}/oauth_clients"


@pytest.fixture
def live(worker_project, tmp_path, api, monkeypatch, child_argvs):
    """A project copy as the working folder, wired to the fake API and a file keyring, with
    every child process's argv recorded."""
    project = copy_project(worker_project, tmp_path / "p")
    wrangler_toml = project / "wrangler.toml"
    wrangler_toml.write_text(
        wrangler_toml.read_text().replace("https://dash.cloudflare.com/oauth2", api.oauth_url)
    )
    for key, value in isolated_env(tmp_path, api).items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(project)
    keyring = use_backend(monkeypatch, FileKeyring(tmp_path / "keyring.json"))
    argvs = child_argvs

    class Live:
        root = project
        worker = Project(project).worker_name()
        keyring_path = tmp_path / "keyring.json"

        @staticmethod
        def state() -> dict:
            return json.loads((project / "cfmcp.json").read_text())

        @staticmethod
        def never_leaked(value: str, *outputs: str) -> None:
            assert not any(value in arg for argv in argvs for arg in argv)
            for output in outputs:
                assert value not in output

    Live.argvs = argvs
    Live.keyring = keyring
    return Live


def secret_puts(api: FakeCloudflare, worker: str) -> list[dict]:
    puts = api.requests_to("PUT", f"/accounts/{{account}}/workers/scripts/{worker}/secrets")
    return [put.json() for put in puts]


def test_create_twice_gives_one_client_and_the_secret_goes_only_where_it_should(live, api, cli):
    first = cli("oauth-client", "create", "--json")
    assert first.exit_code == 0, first.output
    report = json.loads(first.stdout)
    assert report["action"] == "created"
    (client_id,) = api.oauth_clients
    secret = api.oauth_secrets[client_id][0]

    (create_request,) = api.requests_to("POST", CLIENTS)
    body = create_request.json()
    assert body["grant_types"] == ["authorization_code", "refresh_token"]
    assert body["response_types"] == ["code"]
    assert body["token_endpoint_auth_method"] == "client_secret_basic"
    assert body["scopes"] == ["user-details.read", "account.read"]
    # No deploy yet: the redirect URI is the workers.dev URL the first deploy will get.
    expected_uri = f"https://{live.worker}.{api.subdomain}.workers.dev/callback"
    assert body["redirect_uris"] == [expected_uri]
    assert report["redirect_uris"] == [expected_uri]

    # The id and secret reached the Worker (stdin → wrangler → the secrets API) and the keyring.
    puts = {put["name"]: put["text"] for put in secret_puts(api, live.worker)}
    assert puts == {"CLOUDFLARE_CLIENT_ID": client_id, "CLOUDFLARE_CLIENT_SECRET": secret}
    saved = read_keyring(live.keyring_path)[f"cfmcp:{live.worker}:production"]
    assert saved["CLOUDFLARE_CLIENT_ID"] == client_id
    assert saved["CLOUDFLARE_CLIENT_SECRET"] == secret
    # Recorded without the secret.
    record = live.state()["environments"]["production"]["oauth_client"]
    assert record["id"] == client_id and secret not in json.dumps(live.state())

    puts_before = len(secret_puts(api, live.worker))
    second = cli("oauth-client", "create")
    assert second.exit_code == 0, second.output
    assert "Reusing OAuth client" in second.output
    assert len(api.oauth_clients) == 1
    assert len(api.requests_to("POST", CLIENTS)) == 1
    assert len(secret_puts(api, live.worker)) == puts_before  # nothing put again
    live.never_leaked(secret, first.output, second.output)


def test_dev_client_goes_to_dev_vars(live, api, cli):
    result = cli("oauth-client", "create", "--dev", "--scopes", "workers-scripts.read")
    assert result.exit_code == 0, result.output
    (client_id,) = api.oauth_clients
    secret = api.oauth_secrets[client_id][0]
    body = api.requests_to("POST", CLIENTS)[0].json()
    assert body["redirect_uris"] == ["http://localhost:8788/callback"]
    assert body["scopes"] == ["user-details.read", "account.read", "workers-scripts.read"]
    dev_vars = live.root / ".dev.vars"
    assert stat.S_IMODE(dev_vars.stat().st_mode) == 0o600
    text = dev_vars.read_text()
    assert f"CLOUDFLARE_CLIENT_ID={client_id}" in text and secret in text
    assert secret_puts(api, live.worker) == []  # the dev client never reaches the Worker
    assert (
        read_keyring(live.keyring_path)[f"cfmcp:{live.worker}:local"]["CLOUDFLARE_CLIENT_SECRET"]
        == secret
    )
    assert live.state()["environments"]["local"]["oauth_client"]["id"] == client_id
    live.never_leaked(secret, result.output)

    # cfmcp dev --upstream real finds it.
    from cfmcp.secrets import dev_upstream_credentials

    credentials = dev_upstream_credentials(Project(live.root))
    assert credentials["CLOUDFLARE_CLIENT_ID"] == client_id
    assert credentials["CLOUDFLARE_CLIENT_SECRET"] == secret


def test_colon_scopes_are_refused_before_any_request(live, api, cli):
    result = cli("oauth-client", "create", "--scopes", "user:read")
    assert result.exit_code == 2
    assert "colon-delimited" in result.output and "'user.read'" in result.output
    assert api.requests_to("POST", CLIENTS) == []


def test_cloudflare_refusals_are_reported(live, api, cli):
    result = cli("oauth-client", "create", "--scopes", "made-up.scope")
    assert result.exit_code == 1
    assert "Cloudflare refused to create the OAuth client" in result.output
    assert "unknown scope 'made-up.scope'" in result.output
    assert api.oauth_clients == {}


def test_sync_patches_only_the_redirect_uris(live, api, cli):
    assert cli("oauth-client", "create").exit_code == 0
    project = Project(live.root)
    project.update_env_state(None, url="https://mcp.example.com")
    result = cli("oauth-client", "sync", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["changed"] is True
    (client_id,) = api.oauth_clients
    (patch,) = api.requests_to("PATCH", f"{CLIENTS}/{client_id}")
    assert patch.json() == {"redirect_uris": ["https://mcp.example.com/callback"]}
    assert api.oauth_clients[client_id]["redirect_uris"] == ["https://mcp.example.com/callback"]
    again = cli("oauth-client", "sync")
    assert again.exit_code == 0 and "nothing to do" in again.output
    assert len(api.requests_to("PATCH", f"{CLIENTS}/{client_id}")) == 1


def test_rotate_puts_the_new_secret_verifies_it_and_retires_the_old(live, api, cli):
    assert cli("oauth-client", "create").exit_code == 0
    (client_id,) = api.oauth_clients
    old_secret = api.oauth_secrets[client_id][0]

    rotated = cli("oauth-client", "rotate")
    assert rotated.exit_code == 0, rotated.output
    old, new_secret = api.oauth_secrets[client_id]
    assert old == old_secret
    last_put = secret_puts(api, live.worker)[-1]
    assert last_put == {
        "name": "CLOUDFLARE_CLIENT_SECRET",
        "text": new_secret,
        "type": "secret_text",
    }
    saved = read_keyring(live.keyring_path)[f"cfmcp:{live.worker}:production"]
    assert saved["CLOUDFLARE_CLIENT_SECRET"] == new_secret
    # Verified against the token endpoint with the new secret.
    assert api.requests_to("POST", "/oauth2/token")
    assert "old secret still works" in rotated.output

    refused = cli("oauth-client", "rotate")
    assert refused.exit_code == 1 and "--retire-old" in refused.output

    retired = cli("oauth-client", "rotate", "--retire-old")
    assert retired.exit_code == 0, retired.output
    assert api.oauth_secrets[client_id] == [new_secret]
    live.never_leaked(old_secret, rotated.output, retired.output)
    live.never_leaked(new_secret, rotated.output, retired.output)


def test_rotate_fails_when_cloudflare_does_not_take_the_new_secret(live, api, cli):
    assert cli("oauth-client", "create").exit_code == 0

    @api.route("POST", "/oauth2/token")
    def always_invalid_client(request):
        from tests.fake_cloudflare import Reply

        return Reply(status=401, raw=b'{"error": "invalid_client"}')

    result = cli("oauth-client", "rotate")
    assert result.exit_code == 1
    assert "does not accept the new client secret" in result.output


def test_show_and_delete(live, api, cli):
    assert cli("oauth-client", "create").exit_code == 0
    (client_id,) = api.oauth_clients
    shown = cli("oauth-client", "show", "--json")
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.stdout)
    assert data["recorded"]["id"] == client_id
    assert data["cloudflare"]["client_id"] == client_id
    assert '"client_secret"' not in shown.stdout
    assert api.oauth_secrets[client_id][0] not in shown.stdout

    unconfirmed = cli("oauth-client", "delete")  # no terminal, no --yes
    assert unconfirmed.exit_code == 1 and "--yes" in unconfirmed.output
    assert client_id in api.oauth_clients

    deleted = cli("oauth-client", "delete", "--yes")
    assert deleted.exit_code == 0, deleted.output
    assert api.oauth_clients == {}
    assert "oauth_client" not in live.state()["environments"]["production"]
    assert "CLOUDFLARE_CLIENT_SECRET" not in read_keyring(live.keyring_path).get(
        f"cfmcp:{live.worker}:production", {}
    )


def test_missing_permission_names_it(live, api, cli):
    real_before = api.before

    def refuse_oauth_clients(request):
        if "/oauth_clients" in request.path:
            return error(403, 10000, "Authentication error")
        return real_before(request) if real_before else None

    api.before = refuse_oauth_clients
    result = cli("oauth-client", "create")
    assert result.exit_code == 1
    assert "Authentication error" in result.output
    assert '"OAuth Client Write"' in result.output
    assert "dash.cloudflare.com/profile/api-tokens" in result.output


def test_an_invalid_token_is_called_invalid(live, api, cli, monkeypatch):
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "a-token-cloudflare-never-issued")
    result = cli("oauth-client", "create")
    assert result.exit_code == 1
    assert "CLOUDFLARE_API_TOKEN: it is not valid" in result.output
    assert "needs the Account permission" not in result.output  # not a permission problem
    assert api.requests_to("POST", CLIENTS) == []


def test_verbose_shows_each_api_call_and_never_the_secret(live, api, cli):
    result = cli("--verbose", "oauth-client", "create", "--json")
    assert result.exit_code == 0, result.output
    secret = live.keyring.get_password(
        f"cfmcp:{live.worker}:production", "CLOUDFLARE_CLIENT_SECRET"
    )
    assert secret and secret not in result.stderr
    assert f"· API POST /accounts/{api.account_id}/oauth_clients → 200" in result.stderr
    assert "· $ wrangler secret put CLOUDFLARE_CLIENT_SECRET" in result.stderr
    json.loads(result.stdout)  # stdout stays the JSON result alone


def test_several_accounts_need_a_choice(live, api, cli, monkeypatch):
    monkeypatch.setenv("CLOUDFLARE_ACCOUNT_ID", "")
    api.other_accounts.append({"id": "f" * 32, "name": "Other Account"})
    result = cli("oauth-client", "create")
    assert result.exit_code == 1
    assert "2 accounts" in result.output and "Other Account" in result.output
    assert "CLOUDFLARE_ACCOUNT_ID" in result.output
    assert api.requests_to("POST", CLIENTS) == []


def test_api_down(live, api, cli):
    api.stop()
    result = cli("oauth-client", "create")
    assert result.exit_code == 1
    assert "Traceback" not in result.output


def test_no_token(tmp_path, worker_project):
    project = copy_project(worker_project, tmp_path / "p")
    result = run_cfmcp("oauth-client", "create", cwd=project, env=isolated_env(tmp_path))
    assert result.returncode == 1
    assert "CLOUDFLARE_API_TOKEN is not set" in result.stderr
    assert "OAuth Client Write" in result.stderr


def test_nothing_recorded(tmp_path, worker_project, api):
    project = copy_project(worker_project, tmp_path / "p")
    env = isolated_env(tmp_path, api)
    for command in ("sync", "rotate", "delete"):
        result = run_cfmcp("oauth-client", command, "--yes" if command == "delete" else "--json",
                           cwd=project, env=env)  # fmt: skip
        assert result.returncode == 1, (command, result.stderr)
        assert "No OAuth client is recorded" in result.stderr
        assert "cfmcp oauth-client create" in result.stderr


def test_the_secret_check_needs_https(cli, tmp_path):
    from cfmcp.errors import CfmcpError
    from cfmcp.oauth_client import _verify_client_secret

    root = tmp_path / "plain-http"
    assert cli("init", str(root), "--no-install", "--no-git", "-y").exit_code == 0
    wrangler_toml = root / "wrangler.toml"
    wrangler_toml.write_text(
        wrangler_toml.read_text().replace(
            "https://dash.cloudflare.com/oauth2", "http://oauth.example.com/oauth2"
        )
    )
    with pytest.raises(CfmcpError, match="without https"):
        _verify_client_secret(Project(root), None, "client", "secret")


def test_the_next_lines_lead_to_a_deploy(live, api, cli):
    """oauth-client create, then what each command says next, with no terminal and nothing
    in the environment: a live Worker, and nothing asked twice."""
    created = cli("oauth-client", "create")
    assert created.exit_code == 0, created.output
    assert "Next: cfmcp secrets set" in created.stderr and "cfmcp deploy" in created.stderr
    (client_id,) = api.oauth_clients
    puts_before = len(secret_puts(api, live.worker))

    put = cli("secrets", "set", "--json")
    assert put.exit_code == 0, put.output
    report = json.loads(put.stdout)
    assert [s["name"] for s in report["secrets"]] == ["COOKIE_ENCRYPTION_KEY"]
    assert report["kept"] == ["CLOUDFLARE_CLIENT_ID", "CLOUDFLARE_CLIENT_SECRET"]
    assert [p["name"] for p in secret_puts(api, live.worker)[puts_before:]] == [
        "COOKIE_ENCRYPTION_KEY"
    ]

    again = cli("secrets", "set")
    assert again.exit_code == 0, again.output
    assert "Kept CLOUDFLARE_CLIENT_ID, CLOUDFLARE_CLIENT_SECRET, COOKIE_ENCRYPTION_KEY" in (
        " ".join(again.stderr.split())
    )
    assert len(secret_puts(api, live.worker)) == puts_before + 1  # nothing put
    assert "Next: cfmcp deploy" in again.stderr

    deployed = cli("deploy", "--json")
    assert deployed.exit_code == 0, deployed.output
    secrets = api.scripts[live.worker].secrets
    assert secrets["CLOUDFLARE_CLIENT_ID"] == client_id
    assert secrets["CLOUDFLARE_CLIENT_SECRET"] == api.oauth_secrets[client_id][0]


def test_force_replaces_and_a_name_is_always_set(live, api, cli):
    assert cli("oauth-client", "create").exit_code == 0
    assert cli("secrets", "set").exit_code == 0
    cookie = api.scripts[live.worker].secrets["COOKIE_ENCRYPTION_KEY"]

    named = cli("secrets", "set", "COOKIE_ENCRYPTION_KEY", env={"COOKIE_ENCRYPTION_KEY": "k" * 40})
    assert named.exit_code == 0, named.output
    assert api.scripts[live.worker].secrets["COOKIE_ENCRYPTION_KEY"] == "k" * 40

    forced = cli("secrets", "set", "--force", "--json")
    assert forced.exit_code == 0, forced.output
    report = json.loads(forced.stdout)
    assert report["kept"] == []
    sources = {s["name"]: s["source"] for s in report["secrets"]}
    assert sources == {
        "CLOUDFLARE_CLIENT_ID": "keyring",
        "CLOUDFLARE_CLIENT_SECRET": "keyring",
        "COOKIE_ENCRYPTION_KEY": "keyring",
    }
    assert api.scripts[live.worker].secrets["COOKIE_ENCRYPTION_KEY"] == "k" * 40 != cookie


# --- a secret is never lost ------------------------------------------------------------------


def no_keyring(monkeypatch) -> None:
    from keyring.backends import fail

    use_backend(monkeypatch, fail.Keyring())


def test_no_secrets_and_no_keyring_creates_nothing(live, api, cli, monkeypatch):
    no_keyring(monkeypatch)
    result = cli("oauth-client", "create", "--no-secrets")
    assert result.exit_code == 1
    assert "Nowhere to keep a new client secret" in result.stderr
    assert "Nothing was created" in result.stderr
    assert api.oauth_clients == {} and api.requests_to("POST", CLIENTS) == []


def test_no_secrets_and_no_keyring_at_a_terminal_shows_it_once(live, api, cli, monkeypatch):
    import cfmcp.cli.oauth_client

    no_keyring(monkeypatch)
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(
        cfmcp.cli.oauth_client, "_reveal", lambda as_json: lambda n, v: shown.append((n, v))
    )
    result = cli("oauth-client", "create", "--no-secrets")
    assert result.exit_code == 0, result.output
    (client_id,) = api.oauth_clients
    assert shown == [("CLOUDFLARE_CLIENT_SECRET", api.oauth_secrets[client_id][0])]
    assert secret_puts(api, live.worker) == []


def test_a_failed_put_leaves_the_secret_in_the_keyring(live, api, cli):
    @api.route("PUT", "/accounts/{account}/workers/scripts/(?P<name>[^/]+)/secrets")
    def refuse(request, name):
        return error(400, 10021, "Could not set the secret")

    result = cli("oauth-client", "create")
    assert result.exit_code == 1
    message = " ".join(result.stderr.split())
    assert "was issued, but putting it failed" in message
    assert "saved in the keyring: `cfmcp secrets set CLOUDFLARE_CLIENT_SECRET` puts it" in message
    (client_id,) = api.oauth_clients
    saved = read_keyring(live.keyring_path)[f"cfmcp:{live.worker}:production"]
    assert saved["CLOUDFLARE_CLIENT_SECRET"] == api.oauth_secrets[client_id][0]

    api.routes.pop(0)  # the cause is fixed
    put = cli("secrets", "set", "CLOUDFLARE_CLIENT_SECRET")
    assert put.exit_code == 0, put.output
    assert (
        api.scripts[live.worker].secrets["CLOUDFLARE_CLIENT_SECRET"]
        == (api.oauth_secrets[client_id][0])
    )


def test_rotate_without_a_keyring_says_where_the_secret_went(live, api, cli, monkeypatch):
    assert cli("oauth-client", "create").exit_code == 0
    no_keyring(monkeypatch)
    result = cli("oauth-client", "rotate")
    assert result.exit_code == 0, result.output
    (client_id,) = api.oauth_clients
    assert (
        api.scripts[live.worker].secrets["CLOUDFLARE_CLIENT_SECRET"]
        == (api.oauth_secrets[client_id][1])
    )
    message = " ".join(result.stderr.split())
    assert f"put on Cloudflare (Worker {live.worker})" in message
    assert "Not saved to the keyring: no usable keyring backend" in message


def test_retire_old_needs_a_verified_rotation(live, api, cli):
    assert cli("oauth-client", "create").exit_code == 0
    (client_id,) = api.oauth_clients
    first_secret = api.oauth_secrets[client_id][0]

    @api.route("POST", "/oauth2/token")
    def always_invalid_client(request):
        from tests.fake_cloudflare import Reply

        return Reply(status=401, raw=b'{"error": "invalid_client"}')

    failed = cli("oauth-client", "rotate")
    assert failed.exit_code == 1
    assert "nothing is broken" in " ".join(failed.stderr.split())
    refused = cli("oauth-client", "rotate", "--retire-old")
    assert refused.exit_code == 1 and "was not verified" in refused.stderr
    assert first_secret in api.oauth_secrets[client_id]  # still there

    assert cli("oauth-client", "rotate", "--force").exit_code == 2
    forced = cli("oauth-client", "rotate", "--retire-old", "--force")
    assert forced.exit_code == 0, forced.output
    assert first_secret not in api.oauth_secrets[client_id]


# --- --scopes reaches the Worker ---------------------------------------------------------------


def scopes_line(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("CLOUDFLARE_SCOPES")]


def test_scopes_reach_wrangler_toml_with_everything_else_kept(live, api, cli):
    path = live.root / "wrangler.toml"
    before = path.read_text()
    result = cli("oauth-client", "create", "--scopes", "workers-scripts.read")
    assert result.exit_code == 0, result.output
    after = path.read_text()
    # Only that line changed; its comment, the others and the layout are kept.
    changed = [
        (old, new)
        for old, new in zip(before.splitlines(), after.splitlines(), strict=True)
        if old != new
    ]
    assert changed == [
        (
            'CLOUDFLARE_SCOPES = "user-details.read account.read offline_access"',
            'CLOUDFLARE_SCOPES = "user-details.read account.read offline_access '
            'workers-scripts.read"',
        )
    ]
    message = " ".join(result.stderr.split())
    assert "Added workers-scripts.read to CLOUDFLARE_SCOPES in wrangler.toml ([vars])" in message
    assert "deploy (cfmcp deploy) to use it" in message

    again = cli("oauth-client", "create", "--scopes", "workers-scripts.read")
    assert again.exit_code == 0 and "CLOUDFLARE_SCOPES" not in again.stderr
    assert path.read_text() == after

    # A scope added to the existing client later reaches the file the same way.
    more = cli("oauth-client", "create", "--scopes", "zone.read")
    assert more.exit_code == 0, more.output
    assert "zone.read" in scopes_line(path.read_text())[0]
    (client_id,) = api.oauth_clients
    assert "zone.read" in api.oauth_clients[client_id]["scopes"]


def test_scopes_of_an_environment_go_to_its_vars(live, api, cli):
    result = cli(
        "oauth-client", "create", "--env", "staging", "--create-env", "--scopes", "zone.read"
    )
    assert result.exit_code == 0, result.output
    document = Project(live.root).load_wrangler()
    assert document["env"]["staging"]["vars"]["CLOUDFLARE_SCOPES"].split()[-1] == "zone.read"
    assert "zone.read" not in document["vars"]["CLOUDFLARE_SCOPES"]


# --- untrusted ids ------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["id", "account_id"])
def test_an_id_from_cfmcp_json_never_leaves_its_path_segment(live, api, cli, field):
    """cfmcp.json is the user's file: an id like x/../../workers/services/app must not turn a
    DELETE of an OAuth client into a DELETE of a Worker, made with the user's token."""
    assert cli("oauth-client", "create").exit_code == 0
    state = live.state()
    record = state["environments"]["production"]["oauth_client"]
    client_id = record["id"]
    record[field] = "x/../../workers/services/app"
    (live.root / "cfmcp.json").write_text(json.dumps(state))
    before = len(api.requests)
    for command in (("delete", "--yes"), ("sync",), ("rotate",), ("show",)):
        result = cli("oauth-client", *command)
        assert result.exit_code == 1, (command, result.output)
        assert f"has {field} 'x/../../workers/services/app', which is not an id" in result.output
    assert api.requests[before:] == []  # nothing sent at all
    assert client_id in api.oauth_clients


def test_a_bad_account_id_in_the_environment_is_refused(live, api, cli, monkeypatch):
    monkeypatch.setenv("CLOUDFLARE_ACCOUNT_ID", "../../user")
    result = cli("oauth-client", "create")
    assert result.exit_code == 1
    assert "is not an account id (32 hex digits)" in result.output
    assert api.requests == []


@pytest.mark.parametrize(
    "value", ["", ".", "..", "a/b", "a%2Fb", "a?b", "a#b", "a b", "é", "x" * 129, None, 7]
)
def test_id_segment_refuses_what_is_not_an_id(value):
    from cfmcp.cloudflare_api import id_segment

    with pytest.raises(CfmcpError, match="is not a valid OAuth client id"):
        id_segment(value, "OAuth client id")


def test_id_segment_keeps_an_id_as_it_is():
    from cfmcp.cloudflare_api import account_path, id_segment

    assert id_segment("a1B2-c3_d4.e5~f6", "OAuth client id") == "a1B2-c3_d4.e5~f6"
    assert account_path("0" * 32, "oauth_clients") == f"/accounts/{'0' * 32}/oauth_clients"
