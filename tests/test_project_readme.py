"""The generated README's "Add to your client" section, filled in between its markers, and
the one-line commands it gives run by the clients' own CLIs (pinned, offline)."""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path

import pytest

from cfmcp.project import Project
from cfmcp.project_readme import END, START, cli_commands, client_section, fill_client_section
from tests.conftest import run_cfmcp

URL = "https://demo-mcp.me.workers.dev/mcp"


@pytest.fixture
def project(tmp_path) -> Path:
    root = tmp_path / "demo-mcp"
    made = run_cfmcp("init", str(root), "--no-install", "--no-git", "--yes")
    assert made.returncode == 0, made.stderr
    return root


def around(text: str) -> tuple[str, str]:
    head, rest = text.split(START)
    return head, rest.split(END)[1]


def test_the_section_is_filled_between_the_markers_and_nothing_else_moves(project):
    readme = project / "README.md"
    original = readme.read_text()
    assert START in original and END in original
    assert fill_client_section(Project(project), "demo-mcp", URL) == "updated"
    filled = readme.read_text()
    assert around(filled) == around(original)
    assert client_section("demo-mcp", URL) in filled
    assert len(list(project.glob("README.md.*.bak"))) == 1  # the old one, kept
    assert fill_client_section(Project(project), "demo-mcp", URL) == "unchanged"
    assert len(list(project.glob("README.md.*.bak"))) == 1

    # Moved to the top by its owner, with their words around it: still found, still theirs.
    section = START + filled.split(START)[1].split(END)[0] + END
    moved = "# Our server\n\n" + section + "\n\nOur words.\n\n" + filled.replace(section, "")
    readme.write_text(moved)
    other = "https://other.me.workers.dev/mcp"
    assert fill_client_section(Project(project), "demo-mcp", other) == "updated"
    assert around(readme.read_text()) == around(moved) and other in readme.read_text()


def test_without_its_markers_the_readme_is_left_alone(project):
    readme = project / "README.md"
    readme.write_text(readme.read_text().replace(END, ""))
    before = readme.read_bytes()
    assert fill_client_section(Project(project), "demo-mcp", URL) is None
    assert readme.read_bytes() == before
    readme.unlink()
    assert fill_client_section(Project(project), "demo-mcp", URL) is None


def test_crlf_stays_crlf(project):
    readme = project / "README.md"
    readme.write_bytes(readme.read_bytes().replace(b"\n", b"\r\n"))
    assert fill_client_section(Project(project), "demo-mcp", URL) == "updated"
    data = readme.read_bytes()
    assert data.count(b"\n") == data.count(b"\r\n")


def test_odd_names_are_quoted_for_the_shell():
    for _, command in cli_commands("it's mine; rm -rf ~", URL):
        words = shlex.split(command)
        assert "it's mine; rm -rf ~" in words and URL in words


@pytest.mark.integration
def test_the_readmes_commands_add_what_client_config_writes(tmp_path, current_node):
    """Codex and Gemini CLI run the README's own lines in a scratch home; the entries they
    write equal the ones `cfmcp client-config` writes."""
    from tests import nodes
    from tests.test_client_clis import CODEX, GEMINI

    commands = dict(cli_commands("demo", URL))
    home = tmp_path / "home"
    home.mkdir()
    env = {
        "PATH": f"{nodes.npm_tools(CODEX)}:{nodes.npm_tools(GEMINI)}:{current_node}:/usr/bin:/bin",
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "GEMINI_CLI_TRUST_WORKSPACE": "true",
        "GEMINI_CLI_NO_RELAUNCH": "true",
        "NO_COLOR": "1",
    }
    for client in ("Codex", "Gemini CLI"):
        done = subprocess.run(
            shlex.split(commands[client]), env=env, cwd=home, text=True, capture_output=True,
            timeout=180, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr

    import tomllib

    codex = tomllib.loads((home / ".codex" / "config.toml").read_text())["mcp_servers"]["demo"]
    gemini = json.loads((home / ".gemini" / "settings.json").read_text())["mcpServers"]["demo"]
    ours = {}
    for client in ("codex", "gemini"):
        printed = run_cfmcp("client-config", client, "--print", "--json", "--url", URL,
                            "--name", "demo", "--scope", "user")  # fmt: skip
        ours[client] = json.loads(printed.stdout)["entry"]["demo"]
    assert codex["url"] == ours["codex"]["url"]
    assert {k: v for k, v in gemini.items() if k in ours["gemini"]} == ours["gemini"]
