"""Third-party MCP clients on the stateless server's /mcp under `cfmcp dev`: MCP Inspector 2.x
(`--cli`) in each protocol era, mcp-remote (the bridge Claude Desktop runs) and the Python MCP
SDK's old line (`mcp<2`, in a venv of its own). Each gets a token from the test's own OAuth
walk, through a file or the environment (never its command line), and calls `add` for 42."""

import json
import os
import queue
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests import nodes
from tests.conftest import copy_project
from tests.devserver import cfmcp_dev
from tests.signin import tokens_for

pytestmark = pytest.mark.integration

INSPECTOR = "@modelcontextprotocol/inspector@2.12.0"
MCP_REMOTE = "mcp-remote@0.15.1"
OLD_SDK = "mcp==1.30.0"  # the newest of the 1.x line


@pytest.fixture(scope="module")
def tools(current_node: Path) -> Path:
    return nodes.npm_tools(INSPECTOR, MCP_REMOTE)


@pytest.fixture(scope="module")
def dev(worker_project: Path, tmp_path_factory):
    project = copy_project(worker_project, tmp_path_factory.mktemp("clients") / "clients-mcp")
    with cfmcp_dev(project, "--user", "ada@example.dev") as running:
        yield running


@pytest.fixture(scope="module")
def token(dev) -> str:
    return tokens_for(dev.url)["access_token"]


def private_file(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(0o600)
    return path


def quiet_home(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return {**os.environ, "HOME": str(home), "MCP_INSPECTOR_SECRET_STORE": "memory"}


@pytest.mark.parametrize("era", ["modern", "legacy"])
def test_mcp_inspector_cli(tools, dev, token, tmp_path, era):
    entry = {"type": "streamable-http", "url": f"{dev.url}/mcp"}
    entry["headers"] = {"Authorization": f"Bearer {token}"}
    config = private_file(tmp_path / "servers.json", json.dumps({"mcpServers": {"demo": entry}}))
    result = subprocess.run(
        [str(tools / "mcp-inspector"), "--cli", "--config", str(config), "--server", "demo",
         "--protocol-era", era, "--method", "tools/call", "--tool-name", "add",
         "--tool-args-json", '{"a": 20, "b": 22}', "--format", "json"],
        capture_output=True, text=True, timeout=120, env=quiet_home(tmp_path),
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    answer = json.loads(result.stdout)["result"]
    assert answer["content"] == [{"type": "text", "text": "42"}]
    # A 2026-07-28 result carries the server's identity in its _meta; a 2025 one does not.
    stamped = "io.modelcontextprotocol/serverInfo" in answer.get("_meta", {})
    assert stamped is (era == "modern")


def talk_over_stdio(
    command: list[str], messages: list[dict], env: dict[str, str], *, timeout: float = 60
) -> tuple[list[dict], str]:
    """Send JSON-RPC lines to a stdio MCP bridge, each request after the answer to the one
    before; return the answers and what the bridge logged. Reads run in threads, so a stalled
    or chatty bridge fails the test instead of hanging it."""
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=env, start_new_session=True,
    )  # fmt: skip
    lines: queue.Queue[str | None] = queue.Queue()
    log: list[str] = []

    def pump(stream, sink) -> None:  # type: ignore[no-untyped-def]
        for line in stream:
            sink(line)
        if stream is process.stdout:
            lines.put(None)

    threads = [
        threading.Thread(target=pump, args=(process.stdout, lines.put), daemon=True),
        threading.Thread(target=pump, args=(process.stderr, log.append), daemon=True),
    ]
    for thread in threads:
        thread.start()
    answers: list[dict] = []
    deadline = time.monotonic() + timeout
    try:
        assert process.stdin
        for message in messages:
            process.stdin.write(json.dumps(message) + "\n")
            process.stdin.flush()
            while "id" in message:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
                assert line is not None, f"the bridge stopped: {''.join(log)}"
                reply = json.loads(line)
                if reply.get("id") == message["id"]:
                    answers.append(reply)
                    break
    finally:
        process.stdin.close()  # type: ignore[union-attr]
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
        for thread in threads:
            thread.join(timeout=5)
    return answers, "".join(log)


HANDSHAKE = [
    {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": "test", "version": "0"},
        },
    },
    {"jsonrpc": "2.0", "method": "notifications/initialized"},
    {
        "jsonrpc": "2.0",
        "id": 2,
        "method": "tools/call",
        "params": {"name": "add", "arguments": {"a": 20, "b": 22}},
    },
]


@pytest.mark.parametrize("protocol", ["legacy", "auto"])
def test_mcp_remote(tools, dev, token, tmp_path, protocol):
    """What Claude Desktop runs: `npx -y mcp-remote <url>/mcp`, here with the token in a header
    file; `--protocol auto` makes it speak 2026-07-28 upstream."""
    header_file = private_file(tmp_path / "headers", f"Authorization: Bearer {token}\n")
    env = {**quiet_home(tmp_path), "MCP_REMOTE_CONFIG_DIR": str(tmp_path / "mcp-auth")}
    command = [str(tools / "mcp-remote"), f"{dev.url}/mcp", "--header-file", str(header_file),
               "--protocol", protocol]  # fmt: skip
    (hello, added), log = talk_over_stdio(command, HANDSHAKE, env)
    assert hello["result"]["serverInfo"]["name"] == "demo-mcp"
    assert added["result"]["content"] == [{"type": "text", "text": "42"}]
    assert ("speaks MCP 2026-07-28" in log) is (protocol == "auto")
    assert token not in " ".join(command) and token not in log


OLD_SDK_CLIENT = """
import asyncio, os
from mcp import ClientSession
from mcp.client.streamable_http import streamablehttp_client

async def main():
    headers = {"Authorization": "Bearer " + os.environ["MCP_TOKEN"]}
    async with streamablehttp_client(os.environ["MCP_URL"], headers=headers) as (read, write, _):
        async with ClientSession(read, write) as session:
            hello = await session.initialize()
            added = await session.call_tool("add", {"a": 20, "b": 22})
            print(hello.protocolVersion, added.content[0].text)

asyncio.run(main())
"""


def test_python_mcp_sdk_old_line(dev, token, tmp_path):
    python = nodes.python_venv("mcp1", OLD_SDK)
    version = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('mcp'))"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert version.startswith("1.")
    script = tmp_path / "old_client.py"
    script.write_text(OLD_SDK_CLIENT)
    result = subprocess.run(
        [str(python), str(script)],
        capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
        env={**os.environ, "MCP_TOKEN": token, "MCP_URL": f"{dev.url}/mcp"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    protocol, answer = result.stdout.split()
    assert answer == "42" and protocol.startswith("2025-")
