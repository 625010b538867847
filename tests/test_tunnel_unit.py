"""The parts of `cfmcp dev --tunnel` and of the hosted clients that need no Worker: the web
clients' URL and steps (`client-config claude-ai`, `chatgpt`), the tunnel's options, its
watch (time up, stopped by itself), and which URLs --headless may sign in on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cfmcp import console
from cfmcp.dev.command import _TunnelWatch, run_dev
from cfmcp.dev.tunnel import (
    Tunnel,
    _same_origin,
    check_tunnel_name,
    describe_lifetime,
    parse_lifetime,
)
from cfmcp.errors import UsageError
from cfmcp.headless import is_local_url

PUBLIC = "https://amber-basin-cedar-delta.trycloudflare.com"


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(work)
    monkeypatch.setenv("COLUMNS", "1000")
    console.err_console.cache_clear()
    (work / "wrangler.toml").write_text('name = "demo"\nmain = "src/index.ts"\n')
    yield work
    console.err_console.cache_clear()


def deployed(work: Path, url: str = "https://demo.me.workers.dev", auth: str = "cloudflare"):
    state = {"options": {"auth": auth}, "environments": {"production": {"url": url}}}
    (work / "cfmcp.json").write_text(json.dumps(state))


def running_tunnel(work: Path, url: str = PUBLIC) -> None:
    """The record a running `cfmcp dev --tunnel` keeps (this test's pid: it is "running")."""
    folder = work / ".wrangler"
    folder.mkdir(exist_ok=True)
    record = {"url": "http://localhost:8788", "pid": os.getpid(), "port": 8788, "tunnel_url": url}
    (folder / "cfmcp-dev-8788.json").write_text(json.dumps(record))


def words(result) -> str:
    return " ".join(result.stderr.split())


# --- client-config claude-ai and chatgpt ---------------------------------------------------


def test_claude_ai_gets_the_deployed_url_and_the_steps(cli, work):
    deployed(work)
    result = cli("client-config", "claude-ai")
    assert result.exit_code == 0, result.output
    said = words(result)
    assert "https://demo.me.workers.dev/mcp" in said
    assert "https://claude.ai/settings/connectors" in said and "Add custom connector" in said
    assert "Name: demo" in said
    assert not list(work.rglob("*.bak")), "nothing is written"


def test_chatgpt_json_for_scripts(cli, work):
    deployed(work)
    result = cli("client-config", "chatgpt", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["client"] == "chatgpt" and report["source"] == "deployed"
    assert report["url"] == "https://demo.me.workers.dev/mcp"
    assert report["settings_url"].startswith("https://chatgpt.com/")
    assert any("Developer mode" in step for step in report["steps"])
    assert any("Authentication: OAuth" in step for step in report["steps"])


def test_a_public_server_needs_no_authentication_in_chatgpt(cli, work):
    deployed(work, auth="none")
    report = json.loads(cli("client-config", "chatgpt", "--json").stdout)
    assert any("Authentication: No authentication" in step for step in report["steps"])


def test_the_running_tunnel_before_any_deploy(cli, work):
    (work / "cfmcp.json").write_text(json.dumps({"options": {"auth": "cloudflare"}}))
    running_tunnel(work)
    result = cli("client-config", "claude-ai", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["url"] == f"{PUBLIC}/mcp" and report["source"] == "tunnel"
    assert report["name"] == "demo-dev"
    assert "Not deployed yet" in report["note"] and "changes each time" in report["note"]


def test_local_means_the_tunnel_and_the_deploy_stays_the_default(cli, work):
    deployed(work)
    running_tunnel(work)
    default = json.loads(cli("client-config", "claude-ai", "--json").stdout)
    assert default["source"] == "deployed"
    local = json.loads(cli("client-config", "claude-ai", "--local", "--json").stdout)
    assert local["url"] == f"{PUBLIC}/mcp" and local["source"] == "tunnel"


def test_local_without_a_tunnel_says_to_start_one(cli, work):
    deployed(work)
    result = cli("client-config", "claude-ai", "--local")
    assert result.exit_code == 1
    assert "cannot reach localhost" in words(result) and "cfmcp dev --tunnel" in words(result)


def test_nothing_public_yet(cli, work):
    (work / "cfmcp.json").write_text(json.dumps({"options": {"auth": "cloudflare"}}))
    result = cli("client-config", "chatgpt")
    assert result.exit_code == 1
    assert "No public URL" in words(result) and "cfmcp dev --tunnel" in words(result)


@pytest.mark.parametrize("url", ["http://localhost:8788", "http://127.0.0.1:8788/mcp"])
def test_a_loopback_url_is_refused_for_web_clients(cli, work, url):
    result = cli("client-config", "chatgpt", "--url", url)
    assert result.exit_code == 2
    assert "cannot reach it" in words(result)


@pytest.mark.parametrize("flag", [["--dry-run"], ["--print"], ["--scope", "user"], ["--force"]])
def test_file_options_do_not_apply_to_web_clients(cli, work, flag):
    deployed(work)
    result = cli("client-config", "claude-ai", *flag)
    assert result.exit_code == 2
    assert "it has no config file" in words(result)


def test_open_opens_the_settings_page(cli, work, monkeypatch):
    deployed(work)
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", lambda url: opened.append(url) or True)
    result = cli("client-config", "claude-ai", "--open", "--json")
    assert result.exit_code == 0, result.output
    assert opened == ["https://claude.ai/settings/connectors"]
    assert json.loads(result.stdout)["opened"] is True


def test_open_is_only_for_web_clients(cli, work):
    deployed(work)
    result = cli("client-config", "cursor", "--open")
    assert result.exit_code == 2 and "--open is for the web clients" in words(result)


def test_an_unknown_client_lists_the_web_ones_too(cli, work):
    result = cli("client-config", "notepad")
    assert result.exit_code == 2 and "claude-ai" in words(result) and "chatgpt" in words(result)


# --- the tunnel's options ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"), [("1h", 3600), ("90m", 5400), ("2h30m", 9000), ("never", None)]
)
def test_tunnel_lifetimes(text, seconds):
    assert parse_lifetime(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "30s", "0m", "25h", "-1h", "1h 30m"])
def test_bad_tunnel_lifetimes(text):
    with pytest.raises(UsageError):
        parse_lifetime(text)


def test_lifetimes_in_words():
    assert describe_lifetime(3600) == "1 h"
    assert describe_lifetime(5400) == "1 h 30 min"
    assert describe_lifetime(None) == "until cfmcp dev stops"


@pytest.mark.parametrize("name", ["mcp-dev", "my_tunnel.1", "5f3a2b1c-0d9e-4f8a-9b7c-6d5e4f3a2b1c"])
def test_tunnel_names(name):
    assert check_tunnel_name(name) == name


@pytest.mark.parametrize("name", ["", "-x", "a b", "../x", "x" * 101, "a;b"])
def test_bad_tunnel_names(name):
    with pytest.raises(UsageError):
        check_tunnel_name(name)


@pytest.mark.parametrize(
    ("service", "same"),
    [
        ("http://localhost:8788", True),
        ("http://127.0.0.1:8788", True),
        ("http://localhost:8788/", True),
        ("http://localhost:8789", False),
        ("https://localhost:8788", False),
        ("http_status:404", False),
        (None, False),
    ],
)
def test_a_named_tunnel_route_matches_the_origin_as_wrangler_compares(service, same):
    assert _same_origin(service, "http://127.0.0.1:8788") is same


@pytest.mark.parametrize("value", ["2h", "1h"])
def test_tunnel_expires_needs_tunnel(work, value):
    with pytest.raises(UsageError, match="--tunnel-expires needs --tunnel"):
        run_dev(port=8788, upstream="local", user="dev@localhost", token_ttl=3600,
                tunnel_expires=value)  # fmt: skip


def test_bad_tunnel_options_stop_before_anything_starts(cli, work):
    for args, says in (
        (("--tunnel", "--tunnel-expires", "soon"), "is not a duration"),
        (("--tunnel-name", "../x"), "is not a tunnel name"),
    ):
        result = cli("dev", *args)
        assert result.exit_code == 2 and says in words(result), result.output
    assert not (work / ".wrangler").exists()


def test_a_project_older_than_tunnels_is_told_why(cli, work):
    (work / "cfmcp.json").write_text(
        json.dumps({"template": {"name": "cloudflare", "version": "4"}, "options": {}})
    )
    result = cli("dev", "--tunnel")
    assert result.exit_code == 1
    assert "predates tunnel support" in words(result) and "PUBLIC_URL" in words(result)


# --- the tunnel while cfmcp dev runs ---------------------------------------------------------


class _Server:
    def __init__(self, tunnel: Tunnel):
        self.tunnel = tunnel
        self.url = "http://localhost:8788"
        self.closed = 0

    def close_tunnel(self) -> None:
        self.closed += 1
        self.tunnel.stop()


def _tunnel(expires_in: float | None) -> Tunnel:
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    expires = None if expires_in is None else time.time() + expires_in
    return Tunnel(PUBLIC, "quick", process, expires_at=expires)


def test_the_tunnel_closes_when_its_time_is_up_after_a_warning(capsys):
    tunnel = _tunnel(expires_in=200)  # within the warning's five minutes
    server = _Server(tunnel)
    watch = _TunnelWatch(server)
    watch.check()
    assert "The tunnel closes in 3 min" in capsys.readouterr().err
    assert server.closed == 0 and tunnel.running()
    tunnel.expires_at = time.time() - 1
    watch.check()
    watch.check()
    said = capsys.readouterr().err
    assert "time is up" in said and "still runs on http://localhost:8788" in said
    assert server.closed == 1 and not tunnel.running()


def test_a_tunnel_that_stops_by_itself_is_said_once(capsys):
    tunnel = _tunnel(expires_in=None)
    server = _Server(tunnel)
    watch = _TunnelWatch(server)
    watch.check()
    assert capsys.readouterr().err == ""
    tunnel.process.kill()
    tunnel.process.wait()
    watch.check()
    watch.check()
    said = capsys.readouterr().err
    assert said.count("The tunnel stopped") == 1


# --- where --headless may sign in -------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("http://localhost:8788/mcp", True),
        ("http://127.0.0.1:9/callback", True),
        (f"{PUBLIC}/authorize?x=1", True),
        (f"{PUBLIC.upper()}/mcp", True),
        (PUBLIC.replace("https", "http"), False),  # the tunnel speaks https only
        ("https://other-words-here.trycloudflare.com/mcp", False),
        ("https://example.com/", False),
    ],
)
def test_headless_signs_in_on_loopback_and_our_tunnel_only(url, local):
    assert is_local_url(url, (PUBLIC,)) is local
    assert is_local_url(url) is ("localhost" in url or "127.0.0.1" in url)


def test_cfmcp_check_headless_refuses_another_public_url(cli, work):
    running_tunnel(work)
    result = cli("check", "--headless", "https://other-words-here.trycloudflare.com")
    assert result.exit_code == 2
    assert "not a loopback URL" in words(result)


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("cusor", "cursor"), ("chat-gpt", "chatgpt"), ("claudeai", "claude-ai"), ("vscod", "vscode")],
)
def test_a_mistyped_client_gets_the_nearest_name(cli, work, typed, meant):
    result = cli("client-config", typed)
    assert result.exit_code == 2
    assert f"Did you mean {meant}?" in words(result)
