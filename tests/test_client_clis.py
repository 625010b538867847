"""The clients' own CLIs read what `cfmcp client-config` wrote: Codex (`codex mcp get`), Gemini
CLI (`gemini mcp list`), OpenCode (`opencode debug config`), GitHub Copilot CLI (`copilot mcp
get`), Qwen Code (`qwen mcp list`) and Amp (`amp mcp list`), each from npm at a pinned version,
in a scratch home, offline (none of these commands needs an account; the last three run in a
network namespace of their own where this machine can make one, as they try to connect). Goose
ships no CLI on npm or PyPI: its file is checked against goose's own rules in
test_client_config_more. Crush is left out: it now reads a shell script (`crushrc`), its JSON
file deprecated, and its package fetches its binary from GitHub at install.
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
COPILOT = "@github/copilot@1.0.102"
QWEN = "@qwen-code/qwen-code@0.24.4"
AMP = "@ampcode/cli@0.0.1790142911-g7618fb"
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


def offline(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    from tests.test_project_tests import offline_prefix

    return run([*offline_prefix(), *args], env)


def test_copilot_cli_reads_the_entry(home):
    copilot = str(nodes.npm_tools(COPILOT) / "copilot")
    cfmcp(home, "copilot")
    result = offline([copilot, "mcp", "list", "--json"], home)
    assert result.returncode == 0, result.stderr
    server = json.loads(result.stdout)["mcpServers"]["demo"]
    assert server == {**server, "type": "http", "url": MCP, "enabled": True, "source": "user"}
    cfmcp(home, "copilot", "--bridge", "--name", "bridged")
    bridged = offline([copilot, "mcp", "get", "bridged"], home)
    assert "Type: local" in bridged.stdout and f"npx -y mcp-remote {MCP}" in bridged.stdout


def test_qwen_code_reads_the_entry(home):
    qwen = str(nodes.npm_tools(QWEN) / "qwen")
    cfmcp(home, "qwen")
    result = offline([qwen, "mcp", "list"], {**home, "NO_COLOR": "1"})
    assert result.returncode == 0, result.stderr
    # (http): streamable HTTP; an entry Qwen Code reads as SSE would say (sse).
    assert f"demo: {MCP} (http)" in result.stdout, result.stdout


def test_amp_reads_the_entry(home):
    amp = str(nodes.npm_tools(AMP) / "amp")
    cfmcp(home, "amp")
    result = offline([amp, "mcp", "list"], home)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Global ~/.config/amp/settings.json"
    assert lines[1].split() == ["demo", "url", MCP]
