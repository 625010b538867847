"""The clients' own CLIs read what `cfmcp client-config` wrote: Codex (`codex mcp get`), Gemini
CLI (`gemini mcp list`), OpenCode (`opencode debug config`), GitHub Copilot CLI (`copilot mcp
get`), Qwen Code (`qwen mcp list`), Amp (`amp mcp list`) and Claude Code (`claude mcp get`),
each from npm at a pinned version, in a scratch home, offline (none of these commands needs an
account; some run in a network namespace of their own where this machine can make one, as they
try to connect). Continue's CLI (`cn`) has no command that lists servers: it is run against a
loopback stand-in for its model and for the server, and must open the MCP session at the URL
cfmcp wrote; a workspace block file goes through Continue's own config loader. Goose
ships no CLI on npm or PyPI: its file is checked against goose's own rules in
test_client_config_more. Crush is left out: it now reads a shell script (`crushrc`), its JSON
file deprecated, and its package fetches its binary from GitHub at install.
"""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import ClassVar

import pytest

from tests import nodes

pytestmark = pytest.mark.integration

CODEX = "@openai/codex@0.169.0"
GEMINI = "@google/gemini-cli@0.61.0"
OPENCODE = "opencode-ai@1.18.33"
COPILOT = "@github/copilot@1.0.102"
QWEN = "@qwen-code/qwen-code@0.24.4"
AMP = "@ampcode/cli@0.0.1790142911-g7618fb"
CLAUDE_CODE = "@anthropic-ai/claude-code@2.1.328"
CONTINUE = ("@continuedev/cli@1.5.47", "@continuedev/config-yaml@1.42.0")
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


def cfmcp(env: dict[str, str], client: str, *extra: str, url: str = URL) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cfmcp", "client-config", client, "--url", url, "--name", "demo",
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


def test_claude_code_reads_the_entry(home):
    claude = str(nodes.npm_tools(CLAUDE_CODE) / "claude")
    cfmcp(home, "claude-code")  # the project's .mcp.json (the scratch home is the project)
    result = offline([claude, "mcp", "get", "demo"], home)
    assert result.returncode == 0, result.stderr
    assert "Scope: Project config (shared via .mcp.json)" in result.stdout, result.stdout
    assert "Type: http" in result.stdout and f"URL: {MCP}" in result.stdout
    # The README's line for the user scope, which cfmcp leaves to Claude Code's own command.
    added = offline(
        [claude, "mcp", "add", "--transport", "http", "mine", MCP, "--scope", "user"], home
    )
    assert added.returncode == 0, added.stderr
    state = json.loads((Path(home["HOME"]) / ".claude.json").read_text())
    assert state["mcpServers"]["mine"] == {"type": "http", "url": MCP}


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Stands in for Continue's model and for the MCP server: records each POST, answers 401
    (the server wants a sign-in, which a headless `cn` does not attempt)."""

    posts: ClassVar[list[tuple[str, dict]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            self.posts.append((self.path, json.loads(body)))
        except ValueError:
            self.posts.append((self.path, {}))
        self.send_response(401)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def recorder():
    _Recorder.posts = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_continue_cli_connects_to_the_entry(home, recorder):
    folder = nodes.npm_tools(*CONTINUE).parent
    config = Path(home["HOME"]) / ".continue" / "config.yaml"
    config.parent.mkdir()
    config.write_text(  # the user's own config: a model (here the loopback stand-in)
        "name: Local Config\nversion: 1.0.0\nschema: v1\nmodels:\n  - name: stand-in\n"
        f"    provider: openai\n    model: gpt-4o\n    apiBase: {recorder}/v1/\n    apiKey: x\n"
        "    roles: [chat]\n"
    )
    cfmcp(home, "continue", url=recorder)
    env = {**home, "CONTINUE_API_BASE": recorder + "/", "CONTINUE_CLI_ENABLE_TELEMETRY": "0",
           "CONTINUE_METRICS_ENABLED": "0"}  # fmt: skip
    result = run(["node", str(folder / "@continuedev" / "cli" / "dist" / "cn.js"), "-p", "hi"], env)
    initialize = [body for path, body in _Recorder.posts if path == "/mcp"]
    assert initialize and initialize[0]["method"] == "initialize", (_Recorder.posts, result)
    assert "demo" in result.stdout + result.stderr  # it names the server it could not open


UNROLL = """
import { pathToFileURL } from "node:url";
const [lib, config, block] = process.argv.slice(2);
const { unrollAssistant, RegistryClient } = await import(pathToFileURL(lib).href);
const file = (path) => ({ uriType: "file", fileUri: pathToFileURL(path).href });
const result = await unrollAssistant(file(config), new RegistryClient(), {
  renderSecrets: false,
  injectBlocks: [file(block)],  // as Continue's extensions add each .continue/mcpServers file
});
console.log(JSON.stringify({ errors: result.errors, servers: result.config?.mcpServers }));
"""


def test_continue_loads_the_projects_block_file(home, tmp_path):
    folder = nodes.npm_tools(*CONTINUE).parent
    config = Path(home["HOME"]) / ".continue" / "config.yaml"
    config.parent.mkdir()
    config.write_text("name: Local Config\nversion: 1.0.0\nschema: v1\n")
    cfmcp(home, "continue", "--scope", "project")
    block = Path(home["HOME"]) / ".continue" / "mcpServers" / "mcp.yaml"
    script = tmp_path / "unroll.mjs"
    script.write_text(UNROLL)
    library = folder / "@continuedev" / "config-yaml" / "dist" / "index.js"
    result = run(["node", str(script), str(library), str(config), str(block)], home)
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert loaded["errors"] == []
    assert loaded["servers"] == [
        {"name": "demo", "type": "streamable-http", "url": MCP, "sourceFile": block.as_uri()}
    ]
