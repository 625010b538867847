"""An MCP App end to end: `cfmcp add app` in a signed-in project, under `cfmcp dev`. Real
clients see the tool name its view (`cfmcp check`, MCP Inspector's `--app-info` probe) and
read the view as an MCP App; and in headless Chromium a host page built on ext-apps' own
AppBridge (tests/apps_host/) renders the view in a sandboxed iframe, hands it the tool's
result, which the view shows, and carries the view's own call to a server tool back to the
server. MCP Inspector 2.x has no renderer for Apps in its CLI ("the CLI cannot render an
App"), so the host is ours, on the library hosts are built with."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.conftest import copy_project, run_cfmcp
from tests.test_browser import (
    CHROMIUM,
    browser,  # noqa: F401 - the module's Chromium
)

pytestmark = pytest.mark.integration

HOST = Path(__file__).with_name("apps_host")
ARGS = {"name": "Ada"}
EXPECTED = 'hello: not written yet (got {"name":"Ada"})'
VIEW = "ui://hello/view.html"


@pytest.fixture(scope="module")
def app_dev(worker_project, tmp_path_factory):
    from tests.devserver import cfmcp_dev

    project = copy_project(worker_project, tmp_path_factory.mktemp("app") / "app-mcp")
    added = run_cfmcp("-C", str(project), "add", "app", "hello", "--param", "name:string")
    assert added.returncode == 0, added.stderr
    with cfmcp_dev(project, "--user", "ada@example.dev") as running:
        yield running


@pytest.fixture(scope="module")
def token(app_dev) -> str:
    from tests.signin import tokens_for

    return tokens_for(app_dev.url)["access_token"]


def test_clients_see_the_tool_name_its_view_and_read_it(app_dev, token, tmp_path):
    from tests import nodes
    from tests.test_real_clients import INSPECTOR, MCP_REMOTE, private_file, quiet_home

    called = run_cfmcp("check", app_dev.url, "--headless", "--json", "--transport", "mcp",
                       "--tool", "hello", "--args", json.dumps(ARGS), "--expect", EXPECTED,
                       timeout=120)  # fmt: skip
    assert called.returncode == 0, called.stdout + called.stderr
    read = run_cfmcp("check", app_dev.url, "--headless", "--json", "--transport", "mcp",
                     "--resource", VIEW, timeout=120)  # fmt: skip
    assert read.returncode == 0, read.stdout + read.stderr
    details = [
        s["detail"] for s in json.loads(read.stdout)["steps"] if "resources/read" in s["name"]
    ]
    assert details and all(
        d.startswith("text/html;profile=mcp-app: <!doctype html>") for d in details
    )

    inspector = nodes.npm_tools(INSPECTOR, MCP_REMOTE) / "mcp-inspector"
    entry = {"type": "streamable-http", "url": f"{app_dev.url}/mcp",
             "headers": {"Authorization": f"Bearer {token}"}}  # fmt: skip
    config = private_file(tmp_path / "servers.json", json.dumps({"mcpServers": {"s": entry}}))
    probe = subprocess.run(
        [str(inspector), "--cli", "--config", str(config), "--server", "s", "--method",
         "tools/call", "--tool-name", "hello", "--app-info", "--advertise-apps"],
        capture_output=True, text=True, timeout=120, env=quiet_home(tmp_path),
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert probe.returncode == 0, probe.stdout + probe.stderr
    info = json.loads(probe.stdout.strip().splitlines()[-1])
    assert info["resourceUri"] == VIEW, info


@pytest.fixture(scope="module")
def host(app_dev, tmp_path_factory):
    """The host page, bundled with the project's own esbuild, on a loopback server."""
    from starlette.applications import Starlette
    from starlette.routing import Mount
    from starlette.staticfiles import StaticFiles

    from cfmcp.dev.server import BackgroundServer

    folder = tmp_path_factory.mktemp("host")
    shutil.copy(HOST / "host.html", folder / "host.html")
    build = (
        "require('esbuild').build({entryPoints: [process.argv[1]], outfile: process.argv[2], "
        "bundle: true, format: 'esm', platform: 'browser', target: 'es2022', logLevel: 'error', "
        "nodePaths: [process.argv[3]]}).catch(() => process.exit(1))"
    )
    modules = app_dev.project / "node_modules"
    built = subprocess.run(
        ["node", "-e", build, str(HOST / "host.ts"), str(folder / "host.js"), str(modules)],
        cwd=app_dev.project, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    with BackgroundServer(Starlette(routes=[Mount("/", StaticFiles(directory=folder))])) as server:
        yield server


def host_log(driver) -> list[str]:  # type: ignore[no-untyped-def]
    return driver.execute_script("return window.hostLog || []")


def wait_for(condition, seconds: float = 30):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_a_host_renders_the_view_which_shows_the_result_and_calls_back(
    browser,  # noqa: F811 - the fixture imported above
    app_dev,
    token,
    host,
):
    from selenium.webdriver.common.by import By

    if not Path(CHROMIUM).exists():
        pytest.skip("needs Debian's chromium")
    given = {"server": f"{app_dev.url}/mcp", "token": token, "tool": "hello"}
    given["args"] = json.dumps(ARGS)
    fragment = "&".join(f"{key}={quote(value)}" for key, value in given.items())
    browser.get(f"{host.url}/host.html#{fragment}")
    wait_for(
        lambda: (
            "result sent" in host_log(browser)
            or any(line.startswith("error") for line in host_log(browser))
        )
    )
    log = host_log(browser)
    assert log[:3] == [f"view {VIEW}", "mimeType text/html;profile=mcp-app", "view initialized"]
    assert "result sent" in log, log

    frame = browser.find_element(By.TAG_NAME, "iframe")
    assert frame.get_attribute("sandbox") == "allow-scripts"
    browser.switch_to.frame(frame)
    result = browser.find_element(By.ID, "result")
    wait_for(lambda: result.text == EXPECTED)
    # The view calls the server's tool itself, through the host.
    browser.execute_script("document.getElementById('result').textContent = ''")
    browser.find_element(By.ID, "again").click()
    wait_for(lambda: result.text == EXPECTED)
    browser.switch_to.default_content()
    assert "view called hello" in host_log(browser)

    # Nothing failed in the page or the view (no script refused, no error), but for the MCP
    # client's GET for a stream of server messages, which a stateless server answers 405.
    problems = [
        entry for entry in browser.get_log("browser")
        if entry["level"] == "SEVERE"
        and not entry["message"].startswith(f"{app_dev.url}/mcp - Failed to load resource: "
                                            "the server responded with a status of 405")
    ]  # fmt: skip
    assert problems == [], problems
