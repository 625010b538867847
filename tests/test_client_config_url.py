"""`cfmcp client-config`: where the URL and the name come from, and which URLs are accepted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cfmcp import console
from cfmcp.clients.base import normalise_url
from cfmcp.errors import UsageError


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    (home / ".cursor").mkdir(parents=True)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.setattr("cfmcp.clients.paths.current_platform", lambda: "linux")
    monkeypatch.setattr("cfmcp.clients.paths.npx_for_apps", lambda: None)  # plain npx
    monkeypatch.chdir(work)
    monkeypatch.setenv("COLUMNS", "1000")
    console.err_console.cache_clear()
    yield work
    console.err_console.cache_clear()


def project(root: Path, state: dict | None) -> None:
    (root / "wrangler.toml").write_text(
        'name = "demo"\nmain = "src/index.ts"\n\n[env.staging]\nvars = { A = "1" }\n'
    )
    if state is not None:
        (root / "cfmcp.json").write_text(json.dumps(state))


def printed(cli, *args: str) -> dict:
    result = cli("client-config", *args, "--print")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def message(result) -> str:
    return " ".join(result.stderr.split())


def test_url_and_name_from_the_recorded_deploy(cli, work):
    project(work, {"environments": {"production": {"url": "https://demo.example.workers.dev"}}})

    result = cli("client-config", "vscode", "--json")

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["name"] == "demo"
    assert report["url"] == "https://demo.example.workers.dev/mcp"
    written = json.loads((work / ".vscode" / "mcp.json").read_text())
    assert written == {
        "servers": {"demo": {"type": "http", "url": "https://demo.example.workers.dev/mcp"}}
    }


def test_project_files_go_to_the_project_root_from_a_subfolder(cli, work, monkeypatch):
    project(work, {"environments": {"production": {"url": "https://demo.example.workers.dev"}}})
    (work / "src").mkdir()
    monkeypatch.chdir(work / "src")

    assert cli("client-config", "claude-code").exit_code == 0
    assert (work / ".mcp.json").is_file()
    assert not (work / "src" / ".mcp.json").exists()


def test_env_picks_its_url_and_worker_name(cli, work):
    project(
        work,
        {
            "environments": {
                "production": {"url": "https://demo.example.workers.dev"},
                "staging": {"url": "https://demo-staging.example.workers.dev/mcp"},
            }
        },
    )
    assert printed(cli, "cursor", "--env", "staging") == {
        "demo-staging": {"url": "https://demo-staging.example.workers.dev/mcp"}
    }


def test_no_recorded_url_is_a_clear_error(cli, work):
    project(work, None)
    result = cli("client-config", "cursor")
    assert result.exit_code == 1
    assert "cfmcp deploy" in message(result)
    assert "--url" in message(result)
    assert not (work.parent / "home" / ".cursor" / "mcp.json").exists()


def test_no_recorded_url_for_the_env(cli, work):
    project(work, {"environments": {"production": {"url": "https://demo.example.workers.dev"}}})
    result = cli("client-config", "cursor", "--env", "staging")
    assert result.exit_code == 1
    assert "staging" in message(result) and "cfmcp deploy" in message(result)


def test_an_env_wrangler_toml_does_not_define_is_refused(cli, work):
    project(work, {"environments": {"stagging": {"url": "https://demo-stagging.example.dev"}}})
    result = cli("client-config", "cursor", "--env", "stagging")
    assert result.exit_code == 2
    assert "defines no environment 'stagging' (defined: staging)" in message(result)
    assert not (work.parent / "home" / ".cursor" / "mcp.json").exists()


def test_url_flag_wins_over_the_record(cli, work):
    project(work, {"environments": {"production": {"url": "https://demo.example.workers.dev"}}})
    assert printed(cli, "cursor", "--url", "https://other.example.com") == {
        "demo": {"url": "https://other.example.com/mcp"}
    }


def test_outside_a_project_url_is_required(cli, work):
    result = cli("client-config", "cursor", "--name", "demo")
    assert result.exit_code == 1
    assert "--url" in message(result)


def test_outside_a_project_name_is_required(cli, work):
    result = cli("client-config", "cursor", "--url", "https://x.example.com")
    assert result.exit_code == 2
    assert "--name" in message(result)


def test_local_gets_its_own_name_beside_the_deployed_entry(cli, work):
    """--local never replaces the deployed entry: its default name is NAME-local. Without a
    running cfmcp dev it says so, and writes the entry anyway (dev may start later)."""
    project(work, {"environments": {"production": {"url": "https://demo.example.workers.dev"}}})
    assert cli("client-config", "vscode").exit_code == 0
    local = cli("client-config", "vscode", "--local")
    assert local.exit_code == 0, local.output
    assert "No cfmcp dev is running for this project" in message(local)
    servers = json.loads((work / ".vscode" / "mcp.json").read_text())["servers"]
    assert servers == {
        "demo": {"type": "http", "url": "https://demo.example.workers.dev/mcp"},
        "demo-local": {"type": "http", "url": "http://localhost:8788/mcp"},
    }
    report = json.loads(cli("client-config", "vscode", "--local", "--json").stdout)
    assert report["name"] == "demo-local" and report["action"] == "unchanged"
    assert "No cfmcp dev is running" in report["warning"]


def test_local_is_the_dev_server(cli, work):
    assert printed(cli, "cursor", "--local", "--name", "demo") == {
        "demo": {"url": "http://localhost:8788/mcp"}
    }
    assert printed(cli, "claude", "--local", "--name", "demo") == {
        "demo": {"command": "npx", "args": ["-y", "mcp-remote", "http://localhost:8788/mcp"]}
    }


@pytest.mark.parametrize(
    ("given", "base"),
    [
        ("https://x.workers.dev", "https://x.workers.dev"),
        ("https://x.workers.dev/", "https://x.workers.dev"),
        ("https://x.workers.dev/mcp", "https://x.workers.dev"),
        ("https://x.workers.dev/mcp/", "https://x.workers.dev"),
        ("https://x.workers.dev/sse", "https://x.workers.dev"),
        ("  https://X.Workers.Dev:8443/base/sse  ", "https://x.workers.dev:8443/base"),
        ("HTTPS://x.workers.dev/base/", "https://x.workers.dev/base"),
        ("http://localhost:8788/mcp", "http://localhost:8788"),
        ("http://127.0.0.1:8788", "http://127.0.0.1:8788"),
        ("http://[::1]:8788/sse", "http://[::1]:8788"),
    ],
)
def test_urls_are_normalised(given, base):
    endpoints = normalise_url(given)
    assert endpoints.base == base
    assert endpoints.mcp == base + "/mcp"
    assert endpoints.sse == base + "/sse"


def test_no_double_mcp(cli, work):
    assert printed(cli, "vscode", "--url", "https://x.workers.dev/mcp", "--name", "d") == {
        "d": {"type": "http", "url": "https://x.workers.dev/mcp"}
    }


@pytest.mark.parametrize(
    "given",
    [
        "http://x.workers.dev",
        "http://192.168.1.10:8788",
        "ftp://x.workers.dev",
        "x.workers.dev",
        "localhost:8788",
        "https://",
        "https://x.workers.dev/mcp?token=1",
        "https://user:pw@x.workers.dev",
        "https://x.workers.dev:99999",
        "https://x.workers.dev/a b",
        "",
    ],
)
def test_bad_urls_are_refused(given):
    with pytest.raises(UsageError):
        normalise_url(given)


def test_plain_http_is_refused_with_a_hint(cli, work):
    result = cli("client-config", "cursor", "--url", "http://x.workers.dev", "--name", "d")
    assert result.exit_code == 2
    assert "https" in message(result)
    assert not (work.parent / "home" / ".cursor" / "mcp.json").exists()


def test_a_bad_recorded_url_names_the_state_file(cli, work):
    project(work, {"environments": {"production": {"url": "http://demo.example.workers.dev"}}})
    result = cli("client-config", "cursor")
    assert result.exit_code == 1
    assert "cfmcp.json" in message(result)
