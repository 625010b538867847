"""`cfmcp client-config CLIENT --link` and `--links`: one-click install links that decode to
exactly the entry `cfmcp client-config CLIENT` writes in the client's file."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from cfmcp.clients import cursor, goose, vscode
from cfmcp.clients.links import (
    cursor_link,
    goose_link,
    install_links,
    lmstudio_link,
    visualstudio_link,
    vscode_link,
)
from tests.conftest import run_cfmcp

URL = "https://demo-mcp.example.workers.dev/mcp"
# A name with characters that need escaping in a query, a JSON string and base64's alphabet.
ODD_NAME = 'my "mcp" & co/é?#+ 100%'
ODD_URL = "https://demo.example.dev/base path/mcp?team=a&b=c+d"


def query(link: str) -> dict[str, str]:
    parts = urlsplit(link)
    return {key: values[0] for key, values in parse_qs(parts.query, strict_parsing=True).items()}


def decode_cursor(link: str) -> tuple[str, dict]:
    assert link.startswith("cursor://anysphere.cursor-deeplink/mcp/install?")
    fields = query(link)
    return fields["name"], json.loads(base64.b64decode(fields["config"], validate=True))


def decode_vscode(link: str) -> dict:
    scheme, _, rest = link.partition(":mcp/install?")
    assert scheme in ("vscode", "vscode-insiders") and rest
    return json.loads(unquote(rest))


@pytest.mark.parametrize(("name", "url"), [("demo-mcp", URL), (ODD_NAME, ODD_URL)])
def test_every_link_decodes_to_the_entry_the_clients_file_holds(name, url):
    link = cursor_link(name, url)
    assert decode_cursor(link.link) == (name, cursor.remote_entry(url))
    assert link.web is not None and link.web.startswith("https://cursor.com/en/install-mcp?")
    assert query(link.web) == query(link.link)

    for insiders in (False, True):
        link = vscode_link(name, url, insiders=insiders)
        assert decode_vscode(link.link) == {"name": name, **vscode.remote_entry(url)}
        assert link.link.startswith("vscode-insiders:" if insiders else "vscode:")
        assert link.web is not None
        assert query(link.web) == {"url": link.link}  # VS Code's redirect page, for GitHub

    link = lmstudio_link(name, url)
    assert link.link.startswith("lmstudio://add_mcp?")
    fields = query(link.link)
    assert fields["name"] == name
    assert json.loads(base64.b64decode(fields["config"], validate=True)) == {"url": url}
    assert link.web is not None and query(link.web) == fields

    link = visualstudio_link(name, url)
    scheme, _, rest = link.link.partition(":/install?")
    assert scheme == "vsweb+mcp" and link.web is None
    assert json.loads(unquote(rest)) == {"name": name, "type": "http", "url": url}

    link = goose_link(name, url)
    fields = query(link.link)
    entry = goose.remote_entry(url)
    assert link.link.startswith("goose://extension?")
    assert fields["url"] == entry["uri"] and fields["type"] == entry["type"] == "streamable_http"
    assert fields["id"] == goose.entry_key(name) and fields["name"] == name
    assert fields["timeout"] == str(goose.TIMEOUT_SECONDS)


def test_a_link_adds_what_client_config_writes():
    printed = run_cfmcp("client-config", "cursor", "--print", "--url", URL, "--name", "demo",
                        "--json")  # fmt: skip
    entry = json.loads(printed.stdout)["entry"]["demo"]
    result = run_cfmcp("client-config", "cursor", "--link", "--url", URL, "--name", "demo")
    assert result.returncode == 0, result.stderr
    assert decode_cursor(result.stdout.strip()) == ("demo", entry)
    printed = run_cfmcp("client-config", "vscode", "--print", "--url", URL, "--name", "demo",
                        "--json")  # fmt: skip
    entry = json.loads(printed.stdout)["entry"]["demo"]
    result = run_cfmcp("client-config", "vscode", "--link", "--url", URL, "--name", "demo")
    stable, insiders = result.stdout.split()
    assert decode_vscode(stable) == decode_vscode(insiders) == {"name": "demo", **entry}
    assert "VS Code: adds demo" in result.stderr and "VS Code Insiders" in result.stderr


def test_links_prints_a_markdown_button_for_every_client():
    result = run_cfmcp("client-config", "--links", "--url", URL, "--name", "demo")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split("]")[0] for line in lines] == [
        "[![Add to Cursor", "[![Add to VS Code", "[![Add to VS Code Insiders", "[![Add to Goose",
        "[![Add to LM Studio", "[![Add to Visual Studio",
    ]  # fmt: skip
    expected = install_links("demo", URL)
    for line, link in zip(lines, expected, strict=True):
        assert line.endswith(f"]({link.web or link.link})")
    as_json = json.loads(run_cfmcp("client-config", "--links", "--url", URL, "--name", "demo",
                                   "--json").stdout)  # fmt: skip
    assert as_json["url"] == URL and [item["client"] for item in as_json["links"]] == [
        "cursor", "vscode", "vscode-insiders", "goose", "lmstudio", "visualstudio",
    ]  # fmt: skip


def test_the_link_uses_the_deployed_url_by_default(tmp_path, worker_project):
    from tests.conftest import copy_project

    project = copy_project(worker_project, tmp_path / "p")
    missing = run_cfmcp("client-config", "cursor", "--link", cwd=project)
    assert missing.returncode == 1 and "cfmcp deploy" in missing.stderr
    state = json.loads((project / "cfmcp.json").read_text())
    state["environments"]["production"] = {"url": "https://demo-mcp.me.workers.dev"}
    (project / "cfmcp.json").write_text(json.dumps(state))
    result = run_cfmcp("client-config", "cursor", "--link", cwd=project)
    assert decode_cursor(result.stdout.strip()) == (
        "demo-mcp", {"url": "https://demo-mcp.me.workers.dev/mcp"},
    )  # fmt: skip
    local = run_cfmcp("client-config", "goose", "--link", "--local", cwd=project)
    assert query(local.stdout.strip())["url"] == "http://localhost:8788/mcp"
    assert query(local.stdout.strip())["name"] == "demo-mcp-local"


def test_open_hands_the_link_to_the_browser(tmp_path):
    """Through $BROWSER, as Python's webbrowser does on any desktop."""
    seen = tmp_path / "opened"
    browser = tmp_path / "browser"
    browser.write_text(f'#!/bin/sh\nprintf "%s\\n" "$1" >> "{seen}"\n')
    browser.chmod(browser.stat().st_mode | stat.S_IXUSR)
    env = {"BROWSER": str(browser), "DISPLAY": os.environ.get("DISPLAY", "")}
    result = run_cfmcp("client-config", "cursor", "--link", "--open", "--url", URL, "--name",
                       "demo", "--json", env=env)  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["opened"] == ["cursor"]
    assert seen.read_text().split() == [report["links"][0]["link"]]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["codex", "--link"], "Codex has no documented install link"),
        (["lmstudio"], "with a link, not a file"),
        (["claude-ai", "--link"], "added in its settings"),
        (["cursr", "--link"], "Did you mean cursor"),
        (["--link"], "--link needs a client"),
        (["cursor", "--links"], "takes no CLIENT"),
        (["cursor", "--link", "--dry-run"], "--dry-run does not apply to --link"),
        (["--links", "--open"], "--open does not apply to --links"),
        (["cursor", "--link", "--local", "--url", URL], "cannot be used together"),
    ],
)
def test_bad_link_requests_say_why(tmp_path, args, message):
    url = [] if "--url" in args else ["--url", URL]
    result = run_cfmcp("client-config", *args, "--name", "demo", *url, cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr
    assert result.stdout == "" and "Traceback" not in result.stderr


def test_outside_a_project_a_link_needs_a_url(tmp_path: Path):
    result = run_cfmcp("client-config", "cursor", "--link", "--name", "demo", cwd=tmp_path)
    assert result.returncode == 1 and "--url" in result.stderr
