"""`cfmcp up`: a fresh generated project to a recorded URL against the fake Cloudflare API with
the real wrangler; a second run creates nothing new."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys

import pytest

from cfmcp.project import Project
from tests.conftest import copy_project, ctrl_c_as_at_a_terminal, run_cfmcp
from tests.fake_cloudflare import isolated_env

pytestmark = pytest.mark.integration


def first_index(summary: list[str], wanted: str) -> int:
    return next(i for i, line in enumerate(summary) if line == wanted)


def last_index(summary: list[str], wanted: str) -> int:
    return max(i for i, line in enumerate(summary) if line == wanted)


def test_up_from_a_fresh_project_then_again(worker_project, tmp_path, api):
    project = copy_project(worker_project, tmp_path / "p")
    worker = Project(project).worker_name()
    env = isolated_env(tmp_path, api)

    first = run_cfmcp("up", "--yes", "--json", cwd=project, env=env)
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["ok"] is True
    url = f"https://{worker}.{api.subdomain}.workers.dev"
    assert report["url"] == url
    assert {s["name"]: s["status"] for s in report["steps"]} == {
        "Packages": "skipped",
        "KV namespace": "done",
        "OAuth client": "done",
        "Secrets": "done",
        "Deploy": "done",
        "README": "done",  # its "Add to your client", for the deployed URL
        "Redirect URI": "skipped",  # the client was made with the URL the deploy then got
    }
    assert f"{url}/mcp" in (project / "README.md").read_text()
    state = json.loads((project / "cfmcp.json").read_text())["environments"]["production"]
    assert state["url"] == url
    (client_id,) = api.oauth_clients
    assert state["oauth_client"]["id"] == client_id
    assert api.oauth_clients[client_id]["redirect_uris"] == [f"{url}/callback"]

    # Every request in the expected order.
    summary = api.summary()
    scripts = f"/accounts/{{account}}/workers/scripts/{worker}"
    kv_created = first_index(summary, "POST /accounts/{account}/storage/kv/namespaces")
    client_created = first_index(summary, "POST /accounts/{account}/oauth_clients")
    first_secret = first_index(summary, f"PUT {scripts}/secrets")
    last_secret = last_index(summary, f"PUT {scripts}/secrets")
    # The refresh gate's Durable Object migration goes up in one upload (PUT), after the draft
    # Worker that the first secret made.
    deployed = last_index(summary, f"PUT {scripts}")
    assert kv_created < client_created < first_secret <= last_secret < deployed
    assert not any(line.startswith("PATCH /accounts/{account}/oauth_clients") for line in summary)

    # The Worker has the client's id and secret and a generated cookie key; the upload binds
    # the KV namespace that was created (and no session object: the project is stateless).
    secrets = api.scripts[worker].secrets
    assert secrets["CLOUDFLARE_CLIENT_ID"] == client_id
    assert secrets["CLOUDFLARE_CLIENT_SECRET"] == api.oauth_secrets[client_id][0]
    assert re.fullmatch(r"[0-9a-f]{64}", secrets["COOKIE_ENCRYPTION_KEY"])
    bindings = {b["name"]: b for b in api.scripts[worker].metadata["bindings"]}
    assert "MCP_OBJECT" not in bindings
    (namespace_id,) = api.namespaces
    assert bindings["OAUTH_KV"] == {**bindings["OAUTH_KV"], "namespace_id": namespace_id}
    for name in ("CLOUDFLARE_CLIENT_SECRET", "COOKIE_ENCRYPTION_KEY"):  # the id is public
        assert secrets[name] not in first.stdout + first.stderr

    # Again: nothing new but the deploy.
    before = len(api.requests)
    second = run_cfmcp("up", "--yes", "--json", cwd=project, env=env)
    assert second.returncode == 0, second.stderr
    statuses = {s["name"]: s["status"] for s in json.loads(second.stdout)["steps"]}
    assert statuses == {
        "Packages": "skipped",
        "KV namespace": "skipped",
        "OAuth client": "skipped",
        "Secrets": "skipped",
        "Deploy": "done",
        "README": "skipped",  # the same URL: nothing to change
        "Redirect URI": "skipped",
    }
    again = api.summary()[before:]
    touched = ("POST /accounts/{account}/storage", "PATCH /accounts/{account}/oauth_clients")
    assert not any(line.startswith(touched) for line in again)
    assert "POST /accounts/{account}/oauth_clients" not in again
    assert f"PUT {scripts}/secrets" not in again
    # Its migration applied, the next deploy is a version, then a deployment (wrangler 4.1xx).
    assert f"POST {scripts}/deployments" in again
    assert len(api.oauth_clients) == 1 and len(api.namespaces) == 1


def test_up_without_a_keyring(worker_project, tmp_path, api):
    """A headless machine with no keyring backend: the new client's values still reach the
    Worker, and a second run still finds everything done."""
    project = copy_project(worker_project, tmp_path / "p")
    env = isolated_env(tmp_path, api, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    first = run_cfmcp("up", "--yes", cwd=project, env=env)
    assert first.returncode == 0, first.stderr
    assert "Live at https://" in first.stderr
    worker = Project(project).worker_name()
    assert set(api.scripts[worker].secrets) == {
        "CLOUDFLARE_CLIENT_ID",
        "CLOUDFLARE_CLIENT_SECRET",
        "COOKIE_ENCRYPTION_KEY",
    }
    second = run_cfmcp("up", "--yes", cwd=project, env=env)
    assert second.returncode == 0, second.stderr
    assert len(api.oauth_clients) == 1


# Where a first `up` is stopped (Ctrl-C), by the request it is making then: each step in turn.
INTERRUPTIONS = {
    "after the KV namespace": ("POST", "/accounts/{account}/oauth_clients", 1),
    "after the OAuth client": ("PUT", "{scripts}/secrets", 1),
    "between two secrets": ("PUT", "{scripts}/secrets", 2),
    "after the secrets": ("PUT", "{scripts}$", 2),  # the first is the draft a secret makes
    "after the deploy": ("GET", "/accounts/{account}/oauth_clients/", 1),
}


@pytest.mark.parametrize("where", list(INTERRUPTIONS))
def test_an_interrupted_up_finishes_next_time_without_a_keyring(
    worker_project, tmp_path, api, where
):
    """Nothing on this machine keeps a secret: the client id comes from cfmcp.json, and a
    client secret that was only in the stopped process is re-issued by rotation."""
    project = copy_project(worker_project, tmp_path / "p")
    wrangler_toml = project / "wrangler.toml"
    wrangler_toml.write_text(
        wrangler_toml.read_text().replace("https://dash.cloudflare.com/oauth2", api.oauth_url)
    )
    worker = Project(project).worker_name()
    env = isolated_env(tmp_path, api, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    method, path, nth = INTERRUPTIONS[where]
    hold = api.hold(
        method, path.replace("{scripts}", f"/accounts/{{account}}/workers/scripts/{worker}"), nth
    )

    first = subprocess.Popen(
        [sys.executable, "-m", "cfmcp", "up", "--yes"],
        cwd=project,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own terminal group, as a shell runs it
        preexec_fn=ctrl_c_as_at_a_terminal,
    )
    try:
        assert hold.reached.wait(240), first.communicate(timeout=5)
        os.killpg(first.pid, signal.SIGINT)  # Ctrl-C
        _, stderr = first.communicate(timeout=60)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
            first.wait()
        hold.released.set()
    assert first.returncode == 130, stderr
    assert "Traceback" not in stderr

    again = run_cfmcp("up", "--yes", "--json", cwd=project, env=env)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["url"] == f"https://{worker}.{api.subdomain}.workers.dev"
    (client_id,) = api.oauth_clients  # one client, one namespace: nothing made twice
    assert len(api.namespaces) == 1
    secrets = api.scripts[worker].secrets
    assert secrets["CLOUDFLARE_CLIENT_ID"] == client_id
    assert secrets["CLOUDFLARE_CLIENT_SECRET"] in api.oauth_secrets[client_id]
    assert len(secrets["COOKIE_ENCRYPTION_KEY"]) == 64
    assert api.oauth_clients[client_id]["redirect_uris"] == [
        f"https://{worker}.{api.subdomain}.workers.dev/callback"
    ]
    if where in ("after the OAuth client", "between two secrets"):
        # The secret was only in the stopped process: a new one, verified, the lost one gone.
        assert api.oauth_secrets[client_id] == [secrets["CLOUDFLARE_CLIENT_SECRET"]]
        assert api.requests_to("POST", "/oauth2/token")
        assert "new client secret" in json.dumps(json.loads(again.stdout)["steps"])


def test_up_needs_a_token(worker_project, tmp_path):
    project = copy_project(worker_project, tmp_path / "p")
    result = run_cfmcp("up", "--yes", cwd=project, env=isolated_env(tmp_path))
    assert result.returncode == 1
    assert "CLOUDFLARE_API_TOKEN is not set" in result.stderr


def test_up_api_down(worker_project, tmp_path, api):
    project = copy_project(worker_project, tmp_path / "p")
    env = isolated_env(tmp_path, api)
    api.stop()
    result = run_cfmcp("up", "--yes", cwd=project, env=env)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "reach" in result.stderr.lower() or "network" in result.stderr.lower()


def test_up_a_new_environment(worker_project, tmp_path, api):
    project = copy_project(worker_project, tmp_path / "p")
    result = run_cfmcp(
        "up", "--env", "qa", "--create-env", "--yes", "--json",
        cwd=project, env=isolated_env(tmp_path, api),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    worker = Project(project).worker_name("qa")
    assert worker.endswith("-qa")
    assert json.loads(result.stdout)["url"] == f"https://{worker}.{api.subdomain}.workers.dev"
    state = json.loads((project / "cfmcp.json").read_text())["environments"]
    assert state["qa"]["oauth_client"]["id"] in api.oauth_clients
    assert set(api.scripts[worker].secrets) >= {"CLOUDFLARE_CLIENT_ID", "COOKIE_ENCRYPTION_KEY"}
