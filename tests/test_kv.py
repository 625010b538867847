"""`cfmcp kv create` with the real wrangler against the fake Cloudflare API; wrangler.toml edits."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import tomlkit

from cfmcp.project import KV_PLACEHOLDER, Project, read_kv_id, write_kv_id
from tests.conftest import copy_project, run_cfmcp
from tests.fake_cloudflare import isolated_env

NAMESPACES = "/accounts/{account}/storage/kv/namespaces"


@pytest.fixture
def project(worker_project, tmp_path) -> Path:
    return copy_project(worker_project, tmp_path / "p")


def kv(project: Path, env: dict[str, str], *args: str):
    return run_cfmcp("kv", "create", *args, cwd=project, env=env)


# --- wrangler.toml edits (no wrangler) ------------------------------------------------------


def test_write_kv_id_keeps_comments_and_layout(worker_project):
    original = (worker_project / "wrangler.toml").read_text()
    document = tomlkit.parse(original)
    assert read_kv_id(document) == KV_PLACEHOLDER
    assert write_kv_id(document, "a" * 32) == []
    edited = tomlkit.dumps(document)
    assert edited == original.replace(KV_PLACEHOLDER, "a" * 32)


def test_write_kv_id_for_an_env_copies_what_wrangler_does_not_inherit(cli, tmp_path):
    project = tmp_path / "stateful"
    assert cli("init", str(project), "--stateful", "--no-install", "--no-git").exit_code == 0
    document = tomlkit.parse((project / "wrangler.toml").read_text())
    assert read_kv_id(document, "staging") is None
    assert write_kv_id(document, "b" * 32, "staging") == ["vars", "durable_objects", "ratelimits"]
    assert read_kv_id(document, "staging") == "b" * 32
    assert read_kv_id(document) == KV_PLACEHOLDER  # the top level is not touched
    staging = tomlkit.parse(tomlkit.dumps(document)).unwrap()["env"]["staging"]
    assert staging["kv_namespaces"] == [{"binding": "OAUTH_KV", "id": "b" * 32}]
    assert staging["durable_objects"]["bindings"] == [
        {"name": "MCP_OBJECT", "class_name": "MyMCP"},
        {"name": "REFRESH_GATE", "class_name": "RefreshGate"},
    ]
    assert staging["vars"]["CLOUDFLARE_OAUTH_URL"] == "https://dash.cloudflare.com/oauth2"
    # Again: the entry is updated, nothing copied twice.
    assert write_kv_id(document, "c" * 32, "staging") == []
    assert tomlkit.dumps(document).count("[[env.staging.kv_namespaces]]") == 1


def test_write_kv_id_in_other_shapes():
    document = tomlkit.parse(
        'name = "x"\nkv_namespaces = [{ binding = "OTHER", id = "1" }, '
        '{ binding = "OAUTH_KV", id = "old" }]\n'
    )
    write_kv_id(document, "d" * 32)
    assert document.unwrap()["kv_namespaces"][1] == {"binding": "OAUTH_KV", "id": "d" * 32}
    bare = tomlkit.parse('name = "x"\n')
    write_kv_id(bare, "e" * 32)
    assert tomlkit.parse(tomlkit.dumps(bare)).unwrap()["kv_namespaces"] == [
        {"binding": "OAUTH_KV", "id": "e" * 32}
    ]


# --- cfmcp kv create against the fake API ---------------------------------------------------


@pytest.mark.integration
def test_kv_create_creates_one_namespace_and_writes_its_id(project, tmp_path, api):
    env = isolated_env(tmp_path, api)
    original = (project / "wrangler.toml").read_text()
    worker = Project(project).worker_name()

    first = kv(project, env)
    assert first.returncode == 0, first.stderr
    second = kv(project, env, "--json")
    assert second.returncode == 0, second.stderr

    creates = api.requests_to("POST", NAMESPACES)
    assert len(creates) == 1
    assert creates[0].json() == {"title": f"{worker}-OAUTH_KV"}
    [(namespace_id, title)] = api.namespaces.items()
    assert title == f"{worker}-OAUTH_KV"
    # The id replaced the placeholder; every comment and line else is as it was.
    assert (project / "wrangler.toml").read_text() == original.replace(KV_PLACEHOLDER, namespace_id)
    assert f"Created KV namespace {title}" in first.stderr
    assert first.stdout == ""
    # The second run asked nothing of Cloudflare.
    assert api.summary() == ["GET /accounts/{account}/storage/kv/namespaces", f"POST {NAMESPACES}"]
    assert api.unknown == []
    assert json.loads(second.stdout) == {
        "ok": True,
        "env": "production",
        "binding": "OAUTH_KV",
        "title": None,
        "id": namespace_id,
        "action": "configured",
        "wrangler_toml": str(project / "wrangler.toml"),
        "copied_into_env": [],
    }


@pytest.mark.integration
def test_kv_create_reuses_a_namespace_with_the_title(project, tmp_path, api):
    worker = Project(project).worker_name()
    api.namespaces["f" * 32] = f"{worker}-OAUTH_KV"
    api.namespaces["0" * 32] = "OAUTH_KV"  # another project's, in wrangler 4's naming: not ours
    result = kv(project, isolated_env(tmp_path, api), "--json")
    assert result.returncode == 0, result.stderr
    assert api.requests_to("POST", NAMESPACES) == []
    assert json.loads(result.stdout)["action"] == "found"
    assert Project(project).kv_namespace_id() == "f" * 32


@pytest.mark.integration
def test_kv_create_for_an_env(project, tmp_path, api):
    typo = kv(project, isolated_env(tmp_path, api), "--env", "staging", "--json")
    assert typo.returncode == 2 and "defines no environment 'staging'" in typo.stderr
    assert api.requests == [] and Project(project).environments() == []

    result = kv(project, isolated_env(tmp_path, api), "--env", "staging", "--create-env", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    worker = Project(project).worker_name()
    assert report["title"] == f"{worker}-staging-OAUTH_KV"
    assert report["action"] == "created"
    # wrangler does not inherit these: the new environment got them (the refresh gate's
    # Durable Object binding among them).
    copied = "with vars, durable_objects, ratelimits copied"
    assert f"Added [env.staging] to wrangler.toml, {copied}" in result.stderr
    table = Project(project).load_wrangler()["env"]["staging"]
    assert {"vars", "durable_objects", "ratelimits", "kv_namespaces"} <= set(table)
    assert api.requests_to("POST", NAMESPACES)[0].json() == {"title": f"{worker}-staging-OAUTH_KV"}
    assert Project(project).kv_namespace_id("staging") == report["id"]
    assert Project(project).kv_namespace_id() == KV_PLACEHOLDER


# --- failures -------------------------------------------------------------------------------


@pytest.mark.integration
def test_malformed_wrangler_toml_is_named_and_left_untouched(project, tmp_path, api):
    path = project / "wrangler.toml"
    broken = path.read_bytes().replace(b'binding = "OAUTH_KV"', b'binding = "OAUTH_KV', 1)
    line = broken.split(b"\n").index(b'binding = "OAUTH_KV') + 1
    path.write_bytes(broken)
    result = kv(project, isolated_env(tmp_path, api))
    assert result.returncode == 1
    assert f"wrangler.toml is not valid TOML (line {line}, column" in result.stderr
    assert "left it untouched" in result.stderr
    assert path.read_bytes() == broken
    assert api.requests == []


@pytest.mark.integration
def test_auth_error_is_explained(project, tmp_path, api):
    api.fail_with(403, 10000, "Authentication error")
    result = kv(project, isolated_env(tmp_path, api))
    assert result.returncode == 1
    assert "authentication error" in result.stderr
    assert "CLOUDFLARE_API_TOKEN" in result.stderr
    assert KV_PLACEHOLDER in (project / "wrangler.toml").read_text()


@pytest.mark.integration
def test_an_invalid_token_is_called_invalid(project, tmp_path, api):
    env = isolated_env(tmp_path, api, CLOUDFLARE_API_TOKEN="a-token-cloudflare-never-issued")
    result = kv(project, env)
    assert result.returncode == 1
    assert "CLOUDFLARE_API_TOKEN: it is not valid" in result.stderr
    assert api.namespaces == {}


@pytest.mark.integration
def test_api_down_is_a_network_error(project, tmp_path, api):
    env = isolated_env(tmp_path, api)
    api.stop()
    result = kv(project, env)
    assert result.returncode == 1
    assert "Could not reach Cloudflare's API (network error)" in result.stderr


@pytest.mark.integration
def test_not_signed_in(project, tmp_path):
    result = kv(project, isolated_env(tmp_path))
    assert result.returncode == 1
    assert "Not signed in to Cloudflare" in result.stderr
    assert "wrangler login" in result.stderr


def test_wrangler_missing(cli, tmp_path, api):
    project = tmp_path / "p"
    assert cli("init", str(project), "--no-install", "--no-git", "--yes").exit_code == 0
    result = kv(project, isolated_env(tmp_path, api))
    assert result.returncode == 1
    assert "wrangler is not installed" in result.stderr and "npm ci" in result.stderr
    assert api.requests == []


@pytest.mark.integration
def test_verbose_shows_each_wrangler_command_and_its_time(project, tmp_path, api):
    result = run_cfmcp("--verbose", "kv", "create", cwd=project, env=isolated_env(tmp_path, api))
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("· $ wrangler")]
    assert any("kv namespace list" in line for line in lines), result.stderr
    assert any("kv namespace create" in line for line in lines), result.stderr
    assert all(re.search(r"\(exit \d+, \d+\.\d\d s\)$", line) for line in lines)
    quiet = run_cfmcp("kv", "create", cwd=project, env=isolated_env(tmp_path, api))
    assert "· $ wrangler" not in quiet.stderr


@pytest.mark.integration
def test_an_existing_namespace_on_a_later_page_is_reused(project, tmp_path, api):
    """An account with many namespaces: the list comes in pages, and ours is on a later one.
    Finding it there means no duplicate is made (the title is per Worker and environment)."""
    worker = Project(project).worker_name()
    for n in range(150):
        api.namespaces[f"{n:032x}"] = f"aaa-other-{n:03d}"  # sorted before ours
    ours = "e" * 32
    api.namespaces[ours] = f"{worker}-OAUTH_KV"
    result = kv(project, isolated_env(tmp_path, api), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["id"] == ours
    assert api.requests_to("POST", NAMESPACES) == []
    pages = [r for r in api.requests if r.path.endswith("/storage/kv/namespaces")]
    assert len(pages) > 1  # it did read past the first page
