"""`cfmcp check` imports the MCP SDK's client without its server side, and falls back to the
ordinary import whenever that cannot be done."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from cfmcp import mcp_client

LEAN = """
import json, sys
from cfmcp import mcp_client
{setup}
lean = mcp_client.import_client_modules_only()
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.client.auth import OAuthClientProvider
loaded = sorted(name for name in sys.modules if name.startswith("mcp."))
print(json.dumps({{
    "lean": lean,
    "server": [name for name in loaded if name.startswith("mcp.server")],
    "session": ClientSession.__module__,
    "callable": callable(streamable_http_client) and callable(OAuthClientProvider),
    "left": [name for name in sys.modules if name == "mcp" or name.startswith("mcp.")] != [],
}}))
"""


def run_lean(setup: str = "") -> dict:
    result = subprocess.run(
        [sys.executable, "-c", LEAN.format(setup=setup)],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return json.loads(result.stdout)


def test_the_client_modules_load_without_the_sdk_server():
    report = run_lean()
    assert report["lean"] is True
    assert report["server"] == []
    assert report["session"] == "mcp.client.session"
    assert report["callable"] is True


def test_an_sdk_already_imported_is_left_as_it_is():
    report = run_lean("import mcp")
    assert report["lean"] is False
    assert report["server"] != []  # the ordinary import, untouched


def test_a_layout_it_cannot_load_leaves_no_trace_and_the_ordinary_import_works():
    code = """
import sys
from cfmcp import mcp_client
mcp_client.CLIENT_MODULES = mcp_client.CLIENT_MODULES + ("mcp.client.no_such_module",)
assert mcp_client.import_client_modules_only() is False
assert not [name for name in sys.modules if name == "mcp" or name.startswith("mcp.")]
from mcp import ClientSession, types
import mcp.client.session
assert mcp.client.session.ClientSession is ClientSession
print("ok")
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "ok", result.stderr


def test_only_cfmcp_as_its_own_program_takes_the_lean_import(monkeypatch):
    import gc
    import importlib

    app = importlib.import_module("cfmcp.cli.app")
    assert app.owns_the_process() is False  # inside the test process: never
    monkeypatch.setattr(app, "_owns_the_process", False)  # main() sets it; restored after
    monkeypatch.setattr(gc, "freeze", lambda: None)
    calls = []
    monkeypatch.setattr(mcp_client, "import_client_modules_only", lambda: calls.append(1))
    monkeypatch.setattr(sys, "argv", ["cfmcp", "check", "ftp://nowhere", "--json"])
    with pytest.raises(SystemExit):
        app.main()
    assert calls == [1]
