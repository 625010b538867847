"""`cfmcp deploy`: preflight, the upload the real wrangler makes to the fake Cloudflare API, the
recorded URL, and every failure explained."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cfmcp.errors import CfmcpError
from cfmcp.project import KV_PLACEHOLDER, Project
from cfmcp.wrangler import WranglerResult, explain_failure
from tests.conftest import copy_project, run_cfmcp
from tests.fake_cloudflare import FakeCloudflare, error, isolated_env

SECRET_VALUES = {
    "CLOUDFLARE_CLIENT_ID": "client-id-7f3a",
    "CLOUDFLARE_CLIENT_SECRET": "client-secret-9c2e",
    "COOKIE_ENCRYPTION_KEY": "ab" * 32,
}


@pytest.fixture
def project(worker_project, tmp_path) -> Path:
    return copy_project(worker_project, tmp_path / "p")


@pytest.fixture
def stateful(stateful_project, tmp_path) -> Path:
    return copy_project(stateful_project, tmp_path / "s")


def cfmcp(project: Path, env: dict[str, str], *args: str):
    return run_cfmcp(*args, cwd=project, env=env)


def uploads(api: FakeCloudflare, worker: str):
    """The Worker's code as sent: one PUT (a new Worker, or one with Durable Object
    migrations), or a new version to deploy (wrangler 4.1xx, an existing Worker)."""
    script = f"/accounts/{{account}}/workers/scripts/{worker}"
    return [
        r
        for r in api.requests_to("PUT", script) + api.requests_to("POST", script + "/versions")
        if "multipart/form-data" in r.headers.get("content-type", "")
    ]


def ready(api: FakeCloudflare, project: Path, worker: str | None = None) -> str:
    """Seed the fake with the namespace and a Worker holding every secret; write the id."""
    namespace_id = "1" * 32
    api.namespaces[namespace_id] = "seeded"
    path = project / "wrangler.toml"
    path.write_text(path.read_text().replace(KV_PLACEHOLDER, namespace_id))
    api.add_script(worker or Project(project).worker_name(), **SECRET_VALUES)
    return namespace_id


# --- the whole way, as a user goes ----------------------------------------------------------


@pytest.mark.integration
def test_first_deploy_from_a_new_project(project, tmp_path, api):
    worker = Project(project).worker_name()
    env = isolated_env(tmp_path, api)

    # 1. No KV id, no Worker, no secrets: the secrets stop it before anything is created.
    first = cfmcp(project, env, "deploy")
    assert first.returncode == 1
    assert f"Worker {worker} is not on Cloudflare yet" in first.stderr
    assert "CLOUDFLARE_CLIENT_ID, CLOUDFLARE_CLIENT_SECRET, COOKIE_ENCRYPTION_KEY" in first.stderr
    assert "cfmcp secrets set" in first.stderr
    assert api.namespaces == {}
    assert Project(project).kv_namespace_id() == KV_PLACEHOLDER
    assert uploads(api, worker) == []

    # 2. The secrets, from the environment (a placeholder Worker holds them).
    put = cfmcp(project, {**env, **SECRET_VALUES}, "secrets", "set")
    assert put.returncode == 0, put.stderr
    assert api.scripts[worker].secrets == SECRET_VALUES
    assert api.scripts[worker].draft

    # 3. Deploy: the KV namespace is made first (as `cfmcp kv create` does).
    result = cfmcp(project, env, "deploy", "--json")
    assert result.returncode == 0, result.stderr
    assert "creating it (as `cfmcp kv create` does)" in result.stderr
    [(namespace_id, title)] = api.namespaces.items()
    assert title == f"{worker}-OAUTH_KV"
    assert Project(project).kv_namespace_id() == namespace_id
    report = json.loads(result.stdout)
    assert report["ok"] is True  # the one --json shape (tests/test_json_contract.py)
    url = f"https://{worker}.test-sub.workers.dev"
    assert report["url"] == url
    assert report["endpoints"] == {"mcp": f"{url}/mcp"}  # a stateless server's /sse is an alias
    assert report["redirect_uri"] == f"{url}/callback"
    assert report["targets"] == [url, "schedule: 17 4 * * *"]  # the daily purge
    assert report["env"] == "production" and report["worker"] == worker
    assert len(report["version_id"]) == 36
    assert report["next"] == ["cfmcp client-config claude", "cfmcp check"]
    # The README's "Add to your client" now names this server; the rest of it is as it was.
    assert report["readme"] == "updated"
    readme = (project / "README.md").read_text()
    section = readme.split("<!-- cfmcp:add-to-client -->")[1].split("<!-- /cfmcp:add-to-")[0]
    assert f"codex mcp add {worker} --url {url}/mcp" in section
    assert "https://cursor.com/en/install-mcp?" in section

    # What reached Cloudflare: the real bundle with its KV binding; no session object, only the
    # refresh gate and its migration.
    upload = uploads(api, worker)[-1]
    parts = upload.multipart()
    metadata = json.loads(parts["metadata"])
    bindings = {b["name"]: b for b in metadata["bindings"]}
    assert "MCP_OBJECT" not in bindings
    assert bindings["REFRESH_GATE"] == {
        "name": "REFRESH_GATE",
        "type": "durable_object_namespace",
        "class_name": "RefreshGate",
    }
    assert metadata["migrations"]["steps"] == [{"new_sqlite_classes": ["RefreshGate"]}]
    assert bindings["OAUTH_KV"] == {
        "name": "OAUTH_KV",
        "type": "kv_namespace",
        "namespace_id": namespace_id,
    }
    assert bindings["CLOUDFLARE_OAUTH_URL"]["type"] == "plain_text"
    assert bindings["REGISTRATION_LIMIT"]["type"] == "ratelimit"
    assert api.scripts[worker].crons == ["17 4 * * *"]
    assert metadata["main_module"] in parts and len(parts[metadata["main_module"]]) > 100_000
    assert not api.scripts[worker].draft
    assert api.scripts[worker].secrets == SECRET_VALUES  # kept across the upload
    assert api.scripts[worker].subdomain_enabled

    # Recorded for `cfmcp client-config` and `cfmcp check`.
    state = Project(project).env_state(None)
    assert state["url"] == url
    assert state["version_id"] == report["version_id"]
    assert state["deployed_at"] == report["deployed_at"]

    # Human output (stderr): the endpoints, the redirect URI, what next.
    again = cfmcp(project, env, "deploy")
    assert again.returncode == 0, again.stderr
    assert again.stdout == ""
    for expected in (f"{url}/mcp", f"{url}/callback", "inspector", "client-config"):
        assert expected in again.stderr
    assert f"{url}/sse" not in again.stderr

    assert api.unknown == []  # every request wrangler made has a route in the fake

    # No secret value in anything cfmcp printed.
    for value in SECRET_VALUES.values():
        for output in (first, put, result, again):
            assert value not in output.stdout + output.stderr


@pytest.mark.integration
def test_deploy_an_environment(project, tmp_path, api):
    worker = f"{Project(project).worker_name()}-staging"
    env = isolated_env(tmp_path, api)
    # A typo creates nothing: not the environment, not a namespace, not a secret.
    before = (project / "wrangler.toml").read_bytes()
    typo = cfmcp(project, env, "deploy", "--env", "stagging")
    assert typo.returncode == 2
    assert "defines no environment 'stagging' (defined: none, only the top level)" in typo.stderr
    assert "--create-env" in typo.stderr
    assert (project / "wrangler.toml").read_bytes() == before
    assert api.namespaces == {} and api.scripts == {}

    put = cfmcp(
        project, {**env, **SECRET_VALUES}, "secrets", "set", "--env", "staging", "--create-env"
    )
    assert put.returncode == 0, put.stderr
    copied = "with vars, durable_objects, ratelimits copied"
    assert f"Added [env.staging] to wrangler.toml, {copied}" in put.stderr
    assert Project(project).environments() == ["staging"]
    assert set(api.scripts[worker].secrets) == set(SECRET_VALUES)

    result = cfmcp(project, env, "deploy", "--env", "staging", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["env"] == "staging" and report["worker"] == worker
    assert report["kv"]["title"] == f"{worker}-OAUTH_KV"
    assert report["next"] == [
        "cfmcp client-config claude --env staging",
        "cfmcp check --env staging",
    ]
    # [env.staging] got the bindings wrangler does not inherit: the upload has them all.
    metadata = json.loads(uploads(api, worker)[-1].multipart()["metadata"])
    names = {b["name"] for b in metadata["bindings"]}
    assert {"OAUTH_KV", "CLOUDFLARE_OAUTH_URL"} <= names
    assert Project(project).env_state("staging")["url"] == report["url"]
    assert Project(project).env_state(None) == {}
    # The README names the production server only.
    assert report["readme"] is None and report["url"] not in (project / "README.md").read_text()


@pytest.mark.integration
def test_deploy_a_stateful_project(stateful, tmp_path, api):
    """The Durable Object and its migration reach Cloudflare; /sse is a real endpoint."""
    worker = Project(stateful).worker_name()
    namespace_id = ready(api, stateful)
    result = cfmcp(stateful, isolated_env(tmp_path, api), "deploy", "--json")
    assert result.returncode == 0, result.stderr
    url = f"https://{worker}.test-sub.workers.dev"
    assert json.loads(result.stdout)["endpoints"] == {"mcp": f"{url}/mcp", "sse": f"{url}/sse"}
    metadata = json.loads(uploads(api, worker)[-1].multipart()["metadata"])
    bindings = {b["name"]: b for b in metadata["bindings"]}
    assert bindings["MCP_OBJECT"] == {
        "name": "MCP_OBJECT",
        "type": "durable_object_namespace",
        "class_name": "MyMCP",
    }
    assert bindings["OAUTH_KV"]["namespace_id"] == namespace_id
    assert bindings["REFRESH_GATE"]["class_name"] == "RefreshGate"
    assert metadata["migrations"]["steps"] == [
        {"new_sqlite_classes": ["MyMCP"]},
        {"new_sqlite_classes": ["RefreshGate"]},
    ]
    assert not api.scripts[worker].draft and api.scripts[worker].subdomain_enabled
    assert api.unknown == []


@pytest.mark.integration
def test_dry_run_needs_no_account(project, tmp_path):
    result = cfmcp(project, isolated_env(tmp_path), "deploy", "--dry-run", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["dry_run"] is True
    assert "index.js" in report["files"]
    assert report["bundle_bytes"] > 100_000
    assert 0 < report["gzip_bytes"] < report["bundle_bytes"]
    assert report["kv_placeholder"] is True
    human = cfmcp(project, isolated_env(tmp_path), "deploy", "--dry-run")
    assert human.returncode == 0 and "KiB" in human.stderr and "nothing uploaded" in human.stderr


# --- failures -------------------------------------------------------------------------------


@pytest.mark.integration
def test_not_signed_in(project, tmp_path):
    result = cfmcp(project, isolated_env(tmp_path), "deploy")
    assert result.returncode == 1
    assert "Not signed in to Cloudflare" in result.stderr
    assert "CLOUDFLARE_API_TOKEN" in result.stderr and "wrangler login" in result.stderr


@pytest.mark.integration
def test_auth_error(project, tmp_path, api):
    api.fail_with(403, 10000, "Authentication error")
    result = cfmcp(project, isolated_env(tmp_path, api), "deploy")
    assert result.returncode == 1
    assert "Cloudflare refused the credentials (authentication error)" in result.stderr
    assert "Workers Scripts Edit" in result.stderr


@pytest.mark.integration
def test_an_invalid_token_is_called_invalid(project, tmp_path, api):
    env = isolated_env(tmp_path, api, CLOUDFLARE_API_TOKEN="a-token-cloudflare-never-issued")
    result = cfmcp(project, env, "deploy")
    assert result.returncode == 1
    assert "it is not valid (mistyped, expired or revoked)" in result.stderr
    assert "refused the credentials" not in result.stderr
    assert not [r for r in api.requests if r.method == "PUT"]  # nothing uploaded


@pytest.mark.integration
def test_api_unreachable(project, tmp_path, api):
    env = isolated_env(tmp_path, api)
    api.stop()
    result = cfmcp(project, env, "deploy", "--json")
    assert result.returncode == 1
    assert "network error" in result.stderr
    # With --json a script reads the failure on stdout too, the same words as on stderr.
    failure = json.loads(result.stdout)
    assert failure["ok"] is False and failure["exit_code"] == 1
    assert "network error" in failure["error"] and failure["error"] in " ".join(
        result.stderr.split()
    )
    assert failure["hint"]


@pytest.mark.integration
def test_durable_object_migration_refused(stateful, tmp_path, api):
    project = stateful
    worker = Project(project).worker_name()
    ready(api, project)

    @api.route("PUT", "/accounts/{account}/workers/scripts/(?P<name>[^/]+)")
    def refuse(request, name):
        return error(400, 10099, "Cannot apply new-sqlite-class migration to class 'MyMCP'")

    result = cfmcp(project, isolated_env(tmp_path, api), "deploy")
    assert result.returncode == 1, result.stderr
    assert "Durable Object migration" in result.stderr
    assert "[[migrations]]" in result.stderr
    assert Project(project).env_state(None) == {}
    assert len(api.requests_to("PUT", f"/accounts/{{account}}/workers/scripts/{worker}")) == 1


@pytest.mark.integration
def test_placeholder_kv_id_is_explained(project, tmp_path, api, monkeypatch):
    """Straight `wrangler deploy` with the placeholder id (what cfmcp deploy prevents): the API
    refuses it with 10042 and the driver says what to run."""
    from cfmcp import wrangler

    api.add_script(Project(project).worker_name(), **SECRET_VALUES)
    for key, value in isolated_env(tmp_path, api).items():
        monkeypatch.setenv(key, value)
    with pytest.raises(CfmcpError) as caught:
        wrangler.deploy(Project(project))
    assert "still the placeholder" in caught.value.message
    assert "cfmcp kv create" in caught.value.hint


def test_wrangler_missing(cli, tmp_path):
    project = tmp_path / "p"
    assert cli("init", str(project), "--no-install", "--no-git", "--yes").exit_code == 0
    for args in (["deploy"], ["deploy", "--dry-run"]):
        result = cfmcp(project, isolated_env(tmp_path), *args)
        assert result.returncode == 1
        assert "wrangler is not installed" in result.stderr and "npm ci" in result.stderr


def test_malformed_wrangler_toml_is_left_untouched(cli, tmp_path):
    project = tmp_path / "p"
    assert cli("init", str(project), "--no-install", "--no-git", "--yes").exit_code == 0
    path = project / "wrangler.toml"
    broken = path.read_bytes() + b"\n[vars\n"
    path.write_bytes(broken)
    result = cfmcp(project, isolated_env(tmp_path), "deploy")
    assert result.returncode == 1
    assert "is not valid TOML (line" in result.stderr
    assert path.read_bytes() == broken


def test_outside_a_project(tmp_path):
    result = cfmcp(tmp_path, isolated_env(tmp_path), "deploy")
    assert result.returncode == 1
    assert "No wrangler.toml" in result.stderr


# --- explain_failure on what wrangler 4.86 prints (captured from runs against the fake) -------


def failed(message: str, stderr: str = "", code: int | None = None) -> WranglerResult:
    record = {"type": "command-failed", "version": 1, "message": message}
    if code is not None:
        record["code"] = code
    return WranglerResult(["deploy"], 1, "", stderr, [record])


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        (
            failed(
                "In a non-interactive environment, it's necessary to set a CLOUDFLARE_API_TOKEN "
                "environment variable for wrangler to work."
            ),
            "Not signed in",
        ),
        (
            failed(
                "A request to the Cloudflare API (/user/tokens/verify) failed.",
                "\x1b[31m✘ \x1b[41;31m[\x1b[41;97mERROR\x1b[41;31m]\x1b[0m A request to the "
                "Cloudflare API failed.\n  Authentication error [code: 10000]\n",
                code=10000,
            ),
            "authentication error",
        ),
        (
            failed("fetch failed", "A fetch request failed, likely due to a connectivity issue."),
            "network",
        ),
        (failed("Connection error."), "network"),
        (
            failed(
                'Worker "demo" not found.\n\nIf this is a new Worker, run `wrangler deploy` first.'
            ),
            "does not exist",
        ),
        (
            failed(
                "More than one account available but unable to select one in non-interactive mode."
            ),
            "CLOUDFLARE_ACCOUNT_ID",
        ),
        (failed("A request to the Cloudflare API failed.", "[code: 10061]"), "Durable Object"),
        (
            failed("KV namespace 'REPLACE_WITH_KV_NAMESPACE_ID' is not valid.", code=10042),
            "placeholder",
        ),
        (failed("Something new went wrong.\nmore lines"), "Something new went wrong."),
    ],
)
def test_explain_failure(result, expected):
    explained = explain_failure(result)
    assert expected in explained.message + (explained.hint or "")
    assert "\x1b" not in explained.message and "\n" not in explained.message


def test_unexplained_failures_name_the_command():
    result = WranglerResult(["secret", "put", "NAME"], 1, "", "", [])
    assert explain_failure(result).message.startswith("wrangler secret put failed (exit 1)")
