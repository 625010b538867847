"""One JSON shape for every command's --json, as the README promises: on success an object
with `"ok": true` and the command's fields; on failure `"ok": false` with `error`, `hint` and
`exit_code` (the process's own), and the command's fields when it has a result to show (a check
that failed a step, a doctor report with a failed check). Commands that need wrangler to
succeed are held to it in their own integration tests; their failures are here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cfmcp import console
from tests.conftest import free_port


@pytest.fixture
def work(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    (home / ".cursor").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("MCP_REMOTE_CONFIG_DIR", str(tmp_path / "mcp-auth"))
    for name in ("CLOUDFLARE_API_TOKEN", "CLOUDFLARE_ACCOUNT_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CLOUDFLARE_API_BASE_URL", f"http://127.0.0.1:{free_port()}/client/v4")
    project = tmp_path / "demo"
    assert cli("init", str(project), "--no-install", "--no-git").exit_code == 0
    monkeypatch.chdir(project)
    console.err_console.cache_clear()
    yield project
    console.err_console.cache_clear()


def envelope(result) -> dict:  # type: ignore[no-untyped-def]
    data = json.loads(result.stdout)
    assert isinstance(data, dict), data
    if result.exit_code == 0:
        assert data["ok"] is True, data
    else:
        assert data["ok"] is False, data
        assert isinstance(data["error"], str) and data["error"], data
        assert "hint" in data, data
        assert data["exit_code"] == result.exit_code, data
        if set(data) == {"ok", "error", "hint", "exit_code"}:  # an error, with no result to show
            assert f"error: {data['error']}" in " ".join(result.stderr.split())
    return data


URL = "https://demo.example.workers.dev"

SUCCEEDING = [
    ("client-config", "cursor", "--url", URL, "--json"),
    ("client-config", "cursor", "--url", URL, "--print", "--json"),
    ("client-config", "vscode", "--url", URL, "--dry-run", "--json"),
    ("client-config", "--list", "--json"),
    ("client-config", "--reset-auth", "--url", URL, "--dry-run", "--json"),
    ("client-config", "claude-ai", "--url", URL, "--json"),
    ("secrets", "set", "COOKIE_ENCRYPTION_KEY", "--local", "--no-save", "--json"),
    ("oauth-client", "show", "--json"),  # nothing recorded yet
]

FAILING = [
    ("init", "../Not A Name!", "--name", "Bad Name", "--no-install", "--json"),
    ("client-config", "cursor", "--scope", "planet", "--url", URL, "--json"),
    ("client-config", "chatgpt", "--url", "http://localhost:8788", "--json"),
    ("secrets", "set", "--env", "nope", "--json"),
    ("secrets", "list", "--json"),
    ("kv", "create", "--json"),
    ("deploy", "--env", "nope", "--json"),
    ("oauth-client", "delete", "--yes", "--json"),  # nothing recorded to delete
    ("up", "--yes", "--json"),
    ("check", "--era", "future", "--json"),
    ("check", "--headless", "--json"),  # no cfmcp dev running
]


@pytest.mark.parametrize("args", SUCCEEDING, ids=" ".join)
def test_a_success_is_an_ok_object(cli, work, args):
    result = cli(*args, input="a-cookie-key-of-at-least-32-characters\n")
    assert result.exit_code == 0, result.output
    envelope(result)


@pytest.mark.parametrize("args", FAILING, ids=" ".join)
def test_a_failure_is_an_error_object(cli, work, args):
    result = cli(*args)
    assert result.exit_code != 0, result.output
    envelope(result)


def test_init_succeeds_with_ok(cli, tmp_path):
    result = cli("init", str(tmp_path / "fresh"), "--no-install", "--no-git", "--json")
    assert result.exit_code == 0, result.output
    assert envelope(result)["name"] == "fresh"


def test_a_failed_check_keeps_its_steps_and_says_why(cli, work):
    result = cli("check", f"http://127.0.0.1:{free_port()}", "--json")
    assert result.exit_code == 1
    data = envelope(result)
    assert data["steps"] and not data["steps"][-1]["ok"]
    assert "nothing answers there" in data["error"] and "running" in data["hint"]


def test_a_failed_doctor_keeps_its_checks_and_says_which(cli, work):
    result = cli("doctor", "--offline", "--json")  # no npm packages: wrangler is missing
    assert result.exit_code == 1, result.output
    data = envelope(result)
    failed = [check["name"] for check in data["checks"] if check["status"] == "fail"]
    assert failed and all(name in data["error"] for name in failed)
