"""The clients' own CLIs read what `cfmcp client-config` wrote: Codex (`codex mcp get`), Gemini
CLI (`gemini mcp list`) and OpenCode (`opencode debug config`), each from npm at a pinned
version, in a scratch home, offline (none of these commands needs an account). Goose ships no
CLI on npm or PyPI: its file is checked against goose's own rules in test_client_config_more.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import nodes

pytestmark = pytest.mark.integration

CODEX = "@openai/codex@0.169.0"
GEMINI = "@google/gemini-cli@0.61.0"
OPENCODE = "opencode-ai@1.18.33"
URL = "https://demo.example.workers.dev"
MCP = URL + "/mcp"


@pytest.fixture
def home(tmp_path: Path, current_node: Path) -> dict[str, str]:
    """A scratch home, its XDG folders inside it, and nothing of the developer's."""
    home = tmp_path / "home"
    home.mkdir()
    return {
        **os.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "NO_COLOR": "1",
    }


def cfmcp(env: dict[str, str], client: str, *extra: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cfmcp", "client-config", client, "--url", URL, "--name", "demo",
         "--force", *extra],
        env=env, capture_output=True, text=True, timeout=120, cwd=env["HOME"],
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, env=env, capture_output=True, text=True, timeout=180, cwd=env["HOME"],
        stdin=subprocess.DEVNULL,
    )  # fmt: skip


def test_codex_reads_the_entry(home):
    codex = nodes.npm_tools(CODEX) / "codex"
    cfmcp(home, "codex")  # --force: ~/.codex need not exist yet
    result = run([str(codex), "mcp", "get", "demo", "--json"], home)
    assert result.returncode == 0, result.stderr
    server = json.loads(result.stdout)
    assert server["transport"] == {**server["transport"], "type": "streamable_http", "url": MCP}
    assert server["enabled"] is True
    listed = run([str(codex), "mcp", "list", "--json"], home)
    assert [entry["name"] for entry in json.loads(listed.stdout)] == ["demo"]


def test_gemini_cli_reads_the_entry(home):
    gemini = nodes.npm_tools(GEMINI) / "gemini"
    cfmcp(home, "gemini")
    env = {**home, "GEMINI_CLI_TRUST_WORKSPACE": "true", "GEMINI_CLI_NO_RELAUNCH": "true"}
    result = run([str(gemini), "mcp", "list"], env)
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr  # it prints the list on stderr
    assert f"demo: {MCP} (http)" in output, output


def test_opencode_reads_the_entry(home):
    opencode = nodes.npm_tools(OPENCODE) / "opencode"
    cfmcp(home, "opencode")
    env = {**home, "OPENCODE_DISABLE_AUTOUPDATE": "1"}
    result = run([str(opencode), "debug", "config"], env)
    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout[result.stdout.index("{") :])
    assert config["mcp"]["demo"] == {"type": "remote", "url": MCP, "enabled": True}
