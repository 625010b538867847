"""`cfmcp client-config`: each client's file and shape, and the safety of every edit.

HOME, APPDATA, LOCALAPPDATA and XDG_CONFIG_HOME point into tmp_path and the platform is
patched, so every OS layout runs on any machine without touching the real config files.
"""

from __future__ import annotations

import difflib
import json
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import cfmcp.clients
from cfmcp import console
from cfmcp.clients import paths

URL = "https://demo.example.workers.dev"
MCP = URL + "/mcp"
SSE = URL + "/sse"
REAL_NPX_FOR_APPS = paths.npx_for_apps
BRIDGE = {"command": "npx", "args": ["-y", "mcp-remote", MCP]}
EARLIER_BRIDGE = {"command": "npx", "args": ["-y", "mcp-remote", SSE]}  # cfmcp before /mcp


@dataclass
class Env:
    home: Path
    work: Path
    monkeypatch: pytest.MonkeyPatch

    def platform(self, name: str) -> None:
        self.monkeypatch.setattr("cfmcp.clients.paths.current_platform", lambda: name)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Env:
    home = tmp_path / "home"
    work = tmp_path / "work"
    home.mkdir()
    work.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("USERPROFILE", str(home))
    monkeypatch.setenv("APPDATA", str(home / "AppData" / "Roaming"))
    monkeypatch.setenv("LOCALAPPDATA", str(home / "AppData" / "Local"))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.chdir(work)
    # Wide, fresh stderr console: messages with long tmp paths stay on one line.
    monkeypatch.setenv("COLUMNS", "1000")
    console.err_console.cache_clear()
    environment = Env(home, work, monkeypatch)
    environment.platform("linux")
    # Entries name npx plainly unless a test gives one (its path is this machine's).
    monkeypatch.setattr("cfmcp.clients.paths.npx_for_apps", lambda: None)
    yield environment
    console.err_console.cache_clear()


@pytest.fixture
def run(cli: Callable[..., Any], env: Env) -> Callable[..., Any]:
    def invoke(*args: str, input: str | None = None) -> Any:
        return cli("client-config", *args, input=input)

    return invoke


def stderr(result: Any) -> str:
    return " ".join(result.stderr.split())


def backups(path: Path) -> list[Path]:
    return sorted(path.parent.glob(path.name + ".*.bak"))


# --- the clients, on Linux ----------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    client: str
    key: str
    entry: dict[str, Any]
    path: Callable[[Env], Path]
    install_dir: Callable[[Env], Path] | None  # None: a project file, folders made freely


CASES = [
    Case(
        "claude",
        "mcpServers",
        BRIDGE,
        lambda e: e.home / ".config" / "Claude" / "claude_desktop_config.json",
        lambda e: e.home / ".config" / "Claude",
    ),
    Case(
        "cursor",
        "mcpServers",
        {"url": MCP},
        lambda e: e.home / ".cursor" / "mcp.json",
        lambda e: e.home / ".cursor",
    ),
    Case(
        "windsurf",
        "mcpServers",
        {"serverUrl": MCP},
        lambda e: e.home / ".codeium" / "windsurf" / "mcp_config.json",
        lambda e: e.home / ".codeium" / "windsurf",
    ),
    Case(
        "vscode",
        "servers",
        {"type": "http", "url": MCP},
        lambda e: e.work / ".vscode" / "mcp.json",
        None,
    ),
    Case(
        "claude-code",
        "mcpServers",
        {"type": "http", "url": MCP},
        lambda e: e.work / ".mcp.json",
        None,
    ),
    Case(
        "copilot",
        "mcpServers",
        {"type": "http", "url": MCP, "tools": ["*"]},
        lambda e: e.home / ".copilot" / "mcp-config.json",
        lambda e: e.home / ".copilot",
    ),
    Case(
        "qwen",
        "mcpServers",
        {"httpUrl": MCP},
        lambda e: e.home / ".qwen" / "settings.json",
        lambda e: e.home / ".qwen",
    ),
    Case(
        "zed",
        "context_servers",
        {"url": MCP},
        lambda e: e.home / ".config" / "zed" / "settings.json",
        lambda e: e.home / ".config" / "zed",
    ),
    Case(
        "kiro",
        "mcpServers",
        {"url": MCP},
        lambda e: e.home / ".kiro" / "settings" / "mcp.json",
        lambda e: e.home / ".kiro",
    ),
    Case(
        "amp",
        "amp.mcpServers",
        {"url": MCP},
        lambda e: e.home / ".config" / "amp" / "settings.json",
        lambda e: e.home / ".config" / "amp",
    ),
    Case(
        "droid",
        "mcpServers",
        {"type": "http", "url": MCP},
        lambda e: e.home / ".factory" / "mcp.json",
        lambda e: e.home / ".factory",
    ),
    Case(
        "warp",
        "mcpServers",
        {"url": MCP},
        lambda e: e.home / ".warp" / ".mcp.json",
        lambda e: e.home / ".warp",
    ),
    Case(
        "roo",
        "mcpServers",
        {"type": "streamable-http", "url": MCP},
        lambda e: e.work / ".roo" / "mcp.json",
        None,
    ),
    Case(
        "cline",
        "mcpServers",
        {"type": "streamableHttp", "url": MCP},
        lambda e: e.home / ".cline" / "data" / "settings" / "cline_mcp_settings.json",
        lambda e: e.home / ".cline",
    ),
]
ids = [case.client for case in CASES]


def installed(case: Case, env: Env) -> Path:
    """Make the client look installed; returns its config file path."""
    if case.install_dir is not None:
        case.install_dir(env).mkdir(parents=True, exist_ok=True)
    path = case.path(env)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def endpoint(case: Case) -> str:
    return case.entry.get("url") or case.entry.get("serverUrl") or MCP


def args(case: Case, *extra: str) -> tuple[str, ...]:
    return (case.client, "--url", URL, "--name", "demo", *extra)


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_fresh_file(run, env, case):
    path = installed(case, env)
    result = run(*args(case))
    assert result.exit_code == 0, result.output
    assert json.loads(path.read_text()) == {case.key: {"demo": case.entry}}
    assert path.read_text() == json.dumps({case.key: {"demo": case.entry}}, indent=2) + "\n"
    assert backups(path) == []


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_other_servers_and_keys_are_kept(run, env, case):
    path = installed(case, env)
    original = {
        "globalShortcut": "Ctrl+Space",
        case.key: {
            "other": {"command": "uvx", "args": ["other-server"], "env": {"TOKEN": "x"}},
            "remote": {"url": "https://other.example.com/mcp"},
        },
        "zzz": [1, 2.5, {"nested": True, "empty": {}}],
    }
    old_text = json.dumps(original, indent=2) + "\n"
    path.write_text(old_text)

    result = run(*args(case))

    assert result.exit_code == 0, result.output
    data = json.loads(path.read_text())
    assert list(data) == ["globalShortcut", case.key, "zzz"]
    assert list(data[case.key]) == ["other", "remote", "demo"]
    assert data[case.key]["demo"] == case.entry
    del data[case.key]["demo"]
    assert data == original
    # Byte for byte, only lines were added (and the comma after the previous last entry).
    removed = [
        line
        for line in difflib.ndiff(old_text.splitlines(), path.read_text().splitlines())
        if line.startswith("- ")
    ]
    assert set(removed) <= {"-     }"}
    assert len(backups(path)) == 1
    assert backups(path)[0].read_text() == old_text


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_running_twice_changes_nothing(run, env, case):
    path = installed(case, env)
    assert run(*args(case)).exit_code == 0
    before = path.read_bytes()
    os.utime(path, (1_000_000, 1_000_000))

    result = run(*args(case), "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["action"] == "unchanged"
    assert json.loads(result.stdout)["backup"] is None
    assert path.read_bytes() == before
    assert path.stat().st_mtime == 1_000_000
    assert backups(path) == []
    assert list(json.loads(before)[case.key]) == ["demo"]


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_same_name_conflict_needs_force(run, env, case):
    path = installed(case, env)
    old_text = json.dumps({case.key: {"demo": {"url": "https://old.example.com/mcp"}}}, indent=4)
    path.write_text(old_text)

    refused = run(*args(case))

    assert refused.exit_code == 1
    assert "--force" in stderr(refused)
    assert "https://old.example.com/mcp" in stderr(refused)  # the diff of the entry
    assert path.read_text() == old_text
    assert backups(path) == []

    replaced = run(*args(case, "--force", "--json"))

    assert replaced.exit_code == 0, replaced.output
    report = json.loads(replaced.stdout)
    assert report["action"] == "updated"
    assert json.loads(path.read_text()) == {case.key: {"demo": case.entry}}
    assert [str(p) for p in backups(path)] == [report["backup"]]
    assert backups(path)[0].read_text() == old_text


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_an_entry_cfmcp_wrote_for_sse_moves_to_mcp_without_force(run, env, case):
    """Earlier cfmcp pointed the mcp-remote bridge at /sse: writing the bridge again moves it
    to /mcp as cfmcp's own (Claude Desktop always has the bridge; the others with --bridge)."""
    path = installed(case, env)
    stdio_type = cfmcp.clients.CLIENTS[case.client].stdio_type
    earlier = {"type": stdio_type, **EARLIER_BRIDGE} if stdio_type else EARLIER_BRIDGE
    old_text = json.dumps({"other": 1, case.key: {"demo": earlier, "mine": {"url": "x"}}}, indent=2)
    path.write_text(old_text)
    bridge = () if case.client == "claude" else ("--bridge",)

    moved = run(*args(case, *bridge))

    assert moved.exit_code == 0, moved.output
    message = stderr(moved)
    assert "cfmcp's own earlier entry" in message and SSE in message and MCP in message  # shown
    data = json.loads(path.read_text())
    assert data["other"] == 1 and data[case.key]["mine"] == {"url": "x"}
    assert data[case.key]["demo"] == {**earlier, "args": ["-y", "mcp-remote", MCP]}
    assert [p.read_text() for p in backups(path)] == [old_text]
    again = run(*args(case, *bridge, "--json"))
    assert json.loads(again.stdout)["action"] == "unchanged"


def test_a_native_entry_over_an_earlier_bridge_is_a_change_to_confirm(run, env):
    """The user once chose the bridge: replacing it with Cursor's native entry is asked."""
    path = installed(CASES[1], env)
    path.write_text(json.dumps({"mcpServers": {"demo": EARLIER_BRIDGE}}))
    refused = run(*args(CASES[1]))
    assert refused.exit_code == 1 and "--force" in stderr(refused)
    assert json.loads(path.read_text())["mcpServers"]["demo"] == EARLIER_BRIDGE
    assert run(*args(CASES[1], "--force")).exit_code == 0
    assert json.loads(path.read_text())["mcpServers"]["demo"] == {"url": MCP}


def test_moving_from_sse_reports_it_in_json(run, env):
    path = installed(CASES[0], env)
    path.write_text(json.dumps({"mcpServers": {"demo": EARLIER_BRIDGE}}))
    result = run(*args(CASES[0], "--json"))
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["action"] == "updated" and report["moved_from_sse"] is True
    assert report["url"] == MCP


def test_a_bridge_to_another_servers_sse_still_needs_force(run, env):
    path = installed(CASES[0], env)
    other = {"command": "npx", "args": ["-y", "mcp-remote", "https://other.example.com/sse"]}
    path.write_text(json.dumps({"mcpServers": {"demo": other}}))
    result = run(*args(CASES[0]))
    assert result.exit_code == 1 and "--force" in stderr(result)
    assert json.loads(path.read_text())["mcpServers"]["demo"] == other


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_invalid_json_is_left_untouched(run, env, case):
    path = installed(case, env)
    broken = '{\n  "KEY": {\n    "a": {"url": "x"},,\n  }\n}\n'.replace("KEY", case.key)
    path.write_text(broken)

    result = run(*args(case, "--force"))

    assert result.exit_code == 1
    message = stderr(result)
    assert str(path) in message
    assert "line 3, column 23" in message
    assert path.read_text() == broken
    assert backups(path) == []


@pytest.mark.parametrize("case", CASES, ids=ids)
@pytest.mark.parametrize(
    "content",
    ['["not", "an", "object"]', '{"KEY": ["a"]}', '{"KEY": null}', '"text"'],
)
def test_wrong_shapes_are_left_untouched(run, env, case, content):
    path = installed(case, env)
    text = content.replace("KEY", case.key)
    path.write_text(text)

    result = run(*args(case, "--force"))

    assert result.exit_code == 1
    assert str(path) in stderr(result)
    assert "not" in stderr(result) and "object" in stderr(result)
    assert path.read_text() == text
    assert backups(path) == []


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_duplicate_keys_are_refused(run, env, case):
    path = installed(case, env)
    text = '{"KEY": {}, "x": 1, "x": 2}'.replace("KEY", case.key)
    path.write_text(text)

    result = run(*args(case))

    assert result.exit_code == 1
    assert '"x" appears twice' in stderr(result)
    assert path.read_text() == text


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_print_touches_nothing(run, env, case):
    result = run(*args(case, "--print"))

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"demo": case.entry}
    assert not case.path(env).exists()
    assert list(env.work.iterdir()) == []
    assert list(env.home.iterdir()) == []


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_print_json(run, env, case):
    result = run(*args(case, "--print", "--json"))

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "ok": True,
        "client": case.client,
        "path": str(case.path(env)),
        "name": "demo",
        "url": endpoint(case),
        "action": "printed",
        "backup": None,
        "warning": None,
        "entry": {"demo": case.entry},
    }


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_dry_run_touches_nothing(run, env, case):
    path = installed(case, env)
    old_text = '{"KEY": {"demo": {"url": "https://old.example.com"}}}'.replace("KEY", case.key)
    path.write_text(old_text)

    result = run(*args(case, "--dry-run"))

    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    added = [line for line in result.stderr.splitlines() if line.startswith("+")]
    assert any(endpoint(case) in line for line in added)
    assert path.read_text() == old_text
    assert backups(path) == []

    as_json = run(*args(case, "--dry-run", "--json"))
    assert json.loads(as_json.stdout)["action"] == "dry-run"
    assert "https://old.example.com" in json.loads(as_json.stdout)["diff"]
    assert path.read_text() == old_text
    assert backups(path) == []


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_dry_run_of_a_new_file_creates_nothing(run, env, case):
    installed(case, env)
    result = run(*args(case, "--dry-run"))
    assert result.exit_code == 0, result.output
    assert "+++" in result.stderr
    assert not case.path(env).exists()


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_file_mode_is_kept(run, env, case):
    path = installed(case, env)
    path.write_text(json.dumps({case.key: {"other": {"url": "https://o.example.com/mcp"}}}))
    path.chmod(0o600)

    assert run(*args(case)).exit_code == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    path.write_text(json.dumps({case.key: {"demo": {"url": "https://old.example.com/mcp"}}}))
    assert run(*args(case, "--force")).exit_code == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())[case.key]["demo"] == case.entry


@pytest.mark.parametrize("case", [c for c in CASES if c.install_dir], ids=lambda c: c.client)
def test_missing_client_folder_needs_force(run, env, case):
    folder = case.install_dir(env)

    refused = run(*args(case))

    assert refused.exit_code == 1
    assert str(folder) in stderr(refused)
    assert "--force" in stderr(refused)
    assert not folder.exists()

    created = run(*args(case, "--force"))

    assert created.exit_code == 0, created.output
    assert json.loads(case.path(env).read_text()) == {case.key: {"demo": case.entry}}


@pytest.mark.parametrize(
    ("client", "extra", "path"),
    [
        ("vscode", (), ".vscode/mcp.json"),
        ("cursor", ("--scope", "project"), ".cursor/mcp.json"),
        ("claude-code", (), ".mcp.json"),
    ],
)
def test_project_folders_are_created_freely(run, env, client, extra, path):
    result = run(client, "--url", URL, "--name", "demo", *extra)
    assert result.exit_code == 0, result.output
    assert (env.work / path).is_file()
    assert not (env.home / ".cursor").exists()


def test_json_result(run, env):
    path = installed(CASES[1], env)
    result = run("cursor", "--url", URL, "--name", "demo", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "ok": True,
        "client": "cursor",
        "path": str(path),
        "name": "demo",
        "url": MCP,
        "action": "created",
        "backup": None,
        "warning": None,
        "moved_from_sse": False,
    }
    path.write_text('{"mcpServers": {"x": {"url": "https://x.example.com/mcp"}}}')
    report = json.loads(run("cursor", "--url", URL, "--name", "demo", "--json").stdout)
    assert report["action"] == "added"
    assert Path(report["backup"]).read_text() == (
        '{"mcpServers": {"x": {"url": "https://x.example.com/mcp"}}}'
    )


# --- per-OS layouts -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("platform", "folder", "entry"),
    [
        ("darwin", "Library/Application Support/Claude", BRIDGE),
        ("linux", ".config/Claude", BRIDGE),
        (
            "windows",
            "AppData/Roaming/Claude",
            {"command": "cmd", "args": ["/c", "npx", "-y", "mcp-remote", MCP]},
        ),
    ],
)
def test_claude_desktop_per_platform(run, env, platform, folder, entry):
    env.platform(platform)
    (env.home / folder).mkdir(parents=True)

    result = run("claude", "--url", URL, "--name", "demo")

    assert result.exit_code == 0, result.output
    written = json.loads((env.home / folder / "claude_desktop_config.json").read_text())
    assert written == {"mcpServers": {"demo": entry}}
    assert "Restart Claude Desktop" in stderr(result)
    assert "overwrite" in stderr(result)


def test_claude_desktop_linux_honours_xdg_config_home(run, env, tmp_path):
    xdg = tmp_path / "xdg"
    (xdg / "Claude").mkdir(parents=True)
    env.monkeypatch.setenv("XDG_CONFIG_HOME", str(xdg))

    assert run("claude", "--url", URL, "--name", "demo").exit_code == 0
    assert (xdg / "Claude" / "claude_desktop_config.json").is_file()
    assert not (env.home / ".config").exists()


def test_claude_desktop_windows_store_path_is_preferred(run, env):
    env.platform("windows")
    classic = env.home / "AppData" / "Roaming" / "Claude"
    classic.mkdir(parents=True)
    (classic / "claude_desktop_config.json").write_text('{"mcpServers": {}}')
    package = env.home / "AppData" / "Local" / "Packages" / "Claude_pzs8sxrjxfjjc"
    package.mkdir(parents=True)

    result = run("claude", "--url", URL, "--name", "demo", "--json")

    assert result.exit_code == 0, result.output
    store_file = package / "LocalCache" / "Roaming" / "Claude" / "claude_desktop_config.json"
    assert json.loads(result.stdout)["path"] == str(store_file)
    assert json.loads(store_file.read_text())["mcpServers"]["demo"]["command"] == "cmd"
    assert (classic / "claude_desktop_config.json").read_text() == '{"mcpServers": {}}'


def test_claude_desktop_windows_store_path_from_localappdata(run, env, tmp_path):
    env.platform("windows")
    local = tmp_path / "elsewhere" / "Local"
    package = local / "Packages" / "Claude_pzs8sxrjxfjjc"
    package.mkdir(parents=True)
    env.monkeypatch.setenv("LOCALAPPDATA", str(local))

    result = run("claude", "--url", URL, "--name", "demo", "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["path"].startswith(str(package))


@pytest.mark.parametrize(
    ("platform", "folder"),
    [
        ("darwin", "Library/Application Support/Code/User"),
        ("windows", "AppData/Roaming/Code/User"),
        ("linux", ".config/Code/User"),
    ],
)
def test_vscode_user_scope_per_platform(run, env, platform, folder):
    env.platform(platform)
    (env.home / folder).mkdir(parents=True)

    result = run("vscode", "--scope", "user", "--url", URL, "--name", "demo")

    assert result.exit_code == 0, result.output
    written = json.loads((env.home / folder / "mcp.json").read_text())
    assert written == {"servers": {"demo": {"type": "http", "url": MCP}}}
    assert not (env.work / ".vscode").exists()


@pytest.mark.parametrize("platform", ["darwin", "windows", "linux"])
def test_home_folder_clients_per_platform(run, env, platform):
    env.platform(platform)
    (env.home / ".cursor").mkdir()
    (env.home / ".codeium" / "windsurf").mkdir(parents=True)

    assert run("cursor", "--url", URL, "--name", "demo").exit_code == 0
    assert run("windsurf", "--url", URL, "--name", "demo").exit_code == 0

    cursor = json.loads((env.home / ".cursor" / "mcp.json").read_text())
    windsurf = json.loads((env.home / ".codeium" / "windsurf" / "mcp_config.json").read_text())
    assert cursor == {"mcpServers": {"demo": {"url": MCP}}}
    assert windsurf == {"mcpServers": {"demo": {"serverUrl": MCP}}}


# --- scopes, bridge, config path ----------------------------------------------------------


@pytest.mark.parametrize("client", ["claude", "windsurf"])
def test_project_scope_is_a_usage_error_for_user_only_clients(run, env, client):
    result = run(client, "--scope", "project", "--url", URL, "--name", "demo")
    assert result.exit_code == 2
    assert "project" in stderr(result)
    assert list(env.work.iterdir()) == []


def test_claude_code_user_scope_points_to_the_claude_cli(run, env):
    result = run("claude-code", "--scope", "user", "--url", URL, "--name", "demo")
    assert result.exit_code == 2
    assert f"claude mcp add --transport http demo {MCP} --scope user" in stderr(result)
    assert list(env.work.iterdir()) == []
    assert list(env.home.iterdir()) == []


def test_unknown_scope_and_client_are_usage_errors(run, env):
    bad_scope = run("cursor", "--scope", "global", "--url", URL, "--name", "demo")
    assert bad_scope.exit_code == 2
    bad_client = run("notepad", "--url", URL, "--name", "demo")
    assert bad_client.exit_code == 2
    for client in cfmcp.clients.CLIENTS:
        assert client in stderr(bad_client)


def test_help_lists_every_client(cli):
    result = cli("client-config", "--help")
    assert result.exit_code == 0
    for client in cfmcp.clients.CLIENTS:
        assert client in result.output


def test_cursor_user_and_project_scopes(run, env):
    (env.home / ".cursor").mkdir()
    assert run("cursor", "--url", URL, "--name", "demo").exit_code == 0
    assert run("cursor", "--scope", "project", "--url", URL, "--name", "demo").exit_code == 0
    assert json.loads((env.home / ".cursor" / "mcp.json").read_text())["mcpServers"]["demo"]
    assert json.loads((env.work / ".cursor" / "mcp.json").read_text())["mcpServers"]["demo"]


@pytest.mark.parametrize(
    "text",
    [
        '{\n  // mine\n  "mcpServers": {}\n}\n',
        '{"mcpServers": {"a": {"url": "https://a.dev/mcp"},}}',
    ],
    ids=["comment", "trailing-comma"],
)
def test_cursor_edits_plain_json_and_says_cursor_does_too(run, env, text):
    """Cursor's mcp.json is plain JSON to Cursor itself (a trailing comma stops it loading the
    servers), so cfmcp does not read it as JSON with comments: it refuses, says why, and leaves
    the file as it was."""
    path = env.home / ".cursor" / "mcp.json"
    path.parent.mkdir()
    path.write_text(text)
    result = run("cursor", "--url", URL, "--name", "demo")
    assert result.exit_code == 1
    message = stderr(result)
    assert "is not valid JSON" in message and "Cursor reads this file as plain JSON" in message
    assert path.read_text() == text and backups(path) == []


@pytest.mark.parametrize(
    ("client", "entry"),
    [
        ("cursor", BRIDGE),
        ("windsurf", BRIDGE),
        ("claude-code", BRIDGE),
        ("vscode", {"type": "stdio", **BRIDGE}),
        ("claude", BRIDGE),
    ],
)
def test_bridge_entry(run, env, client, entry):
    result = run(client, "--url", URL, "--name", "demo", "--bridge", "--print")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"demo": entry}


def test_windows_wraps_npx_in_cmd_only_for_claude_desktop(run, env):
    env.platform("windows")
    claude = run("claude", "--url", URL, "--name", "demo", "--print")
    assert json.loads(claude.stdout)["demo"]["args"][:3] == ["/c", "npx", "-y"]
    # A project's .mcp.json is shared across systems: no Windows-only command in it.
    code = run("claude-code", "--url", URL, "--name", "demo", "--bridge", "--print")
    assert json.loads(code.stdout) == {"demo": BRIDGE}


def test_config_path_overrides_the_location(run, env, tmp_path):
    target = tmp_path / "custom" / "my.json"
    target.parent.mkdir()

    result = run("cursor", "--url", URL, "--name", "demo", "--config-path", str(target))

    assert result.exit_code == 0, result.output
    assert json.loads(target.read_text()) == {"mcpServers": {"demo": {"url": MCP}}}
    assert not (env.home / ".cursor").exists()


def test_config_path_in_a_missing_folder_needs_force(run, env, tmp_path):
    target = tmp_path / "nowhere" / "my.json"
    refused = run("cursor", "--url", URL, "--name", "demo", "--config-path", str(target))
    assert refused.exit_code == 1
    assert not target.parent.exists()
    forced = run("cursor", "--url", URL, "--name", "demo", "--config-path", str(target), "--force")
    assert forced.exit_code == 0
    assert target.is_file()


def test_symlinked_config_stays_a_symlink(run, env, tmp_path):
    (env.home / ".cursor").mkdir()
    real = tmp_path / "dotfiles" / "mcp.json"
    real.parent.mkdir()
    real.write_text('{"mcpServers": {}}\n')
    link = env.home / ".cursor" / "mcp.json"
    link.symlink_to(real)

    assert run("cursor", "--url", URL, "--name", "demo").exit_code == 0

    assert link.is_symlink()
    assert json.loads(real.read_text())["mcpServers"]["demo"] == {"url": MCP}
    assert [p.read_text() for p in backups(real)] == ['{"mcpServers": {}}\n']


@pytest.mark.parametrize("how", ["file", "dangling file", "folder"])
def test_a_project_file_that_leads_outside_the_project_is_refused(run, env, tmp_path, how):
    """A cloned repository may carry .vscode/mcp.json (or .vscode itself) as a link to any
    file of the user's: writing the project's config must not write there."""
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    victim = outside / "mcp.json"
    if how == "folder":
        victim.write_text('{"servers": {}}\n')
        (env.work / ".vscode").symlink_to(outside, target_is_directory=True)
    else:
        if how == "file":
            victim.write_text('{"servers": {}}\n')
        (env.work / ".vscode").mkdir()
        (env.work / ".vscode" / "mcp.json").symlink_to(victim)
    before = victim.read_text() if victim.exists() else None

    refused = run("vscode", "--url", URL, "--name", "demo")
    assert refused.exit_code == 1
    assert "leads outside the project" in stderr(refused) and str(victim) in stderr(refused)
    assert "--force" in stderr(refused)
    assert (victim.read_text() if victim.exists() else None) == before

    forced = run("vscode", "--url", URL, "--name", "demo", "--force")
    assert forced.exit_code == 0, forced.output
    assert json.loads(victim.read_text())["servers"]["demo"]["url"] == MCP


def test_a_link_within_the_project_is_fine(run, env):
    (env.work / "shared").mkdir()
    (env.work / "shared" / "mcp.json").write_text('{"servers": {}}\n')
    (env.work / ".vscode").mkdir()
    (env.work / ".vscode" / "mcp.json").symlink_to(env.work / "shared" / "mcp.json")
    assert run("vscode", "--url", URL, "--name", "demo").exit_code == 0
    assert "demo" in (env.work / "shared" / "mcp.json").read_text()


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root")
def test_another_users_file_is_refused_or_keeps_its_owner(run, env):
    path = installed(CASES[1], env)  # cursor, user scope
    path.write_text('{"mcpServers": {}}\n')
    os.chown(path, 4321, 4321)
    refused = run("cursor", "--url", URL, "--name", "demo")
    assert refused.exit_code == 1
    assert "belongs to another user (uid 4321)" in stderr(refused)
    assert path.read_text() == '{"mcpServers": {}}\n'
    forced = run("cursor", "--url", URL, "--name", "demo", "--force")
    assert forced.exit_code == 0, forced.output
    assert (path.stat().st_uid, path.stat().st_gid) == (4321, 4321)
    assert json.loads(path.read_text())["mcpServers"]["demo"] == {"url": MCP}


def test_claude_desktop_gets_npx_by_its_path_and_a_path_for_node(run, env, tmp_path):
    """Claude Desktop starts servers with a minimal PATH: "spawn npx ENOENT", or npx's
    `#!/usr/bin/env node` finding the oldest of several nvm versions. The entry names npx by
    its path and gives a PATH with the shell's node first."""
    bin_dir = tmp_path / "nvm" / "v24" / "bin"
    bin_dir.mkdir(parents=True)
    for program in ("npx", "node"):
        (bin_dir / program).write_text("#!/bin/sh\n")
        (bin_dir / program).chmod(0o755)
    env.monkeypatch.setattr("cfmcp.clients.paths.npx_for_apps", REAL_NPX_FOR_APPS)
    env.monkeypatch.setenv("PATH", str(bin_dir))  # the real one, on a PATH of our making
    path = installed(CASES[0], env)
    path.write_text(json.dumps({"mcpServers": {"demo": BRIDGE}}))  # an earlier, plain entry
    result = run("claude", "--url", URL, "--name", "demo")
    assert result.exit_code == 0, result.output  # cfmcp's own earlier entry: no --force
    entry = json.loads(path.read_text())["mcpServers"]["demo"]
    assert entry == {
        "command": str(bin_dir / "npx"),
        "args": ["-y", "mcp-remote", MCP],
        "env": {"PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin"},
    }


def test_crlf_and_non_ascii_are_kept(run, env):
    path = installed(CASES[1], env)
    path.write_bytes('{\r\n  "mcpServers": {},\r\n  "note": "café ✓"\r\n}\r\n'.encode())
    assert run("cursor", "--url", URL, "--name", "demo").exit_code == 0
    text = path.read_bytes().decode()
    assert "\n" not in text.replace("\r\n", "")
    assert '"note": "café ✓"' in text


def test_numbers_keep_their_text(run, env):
    path = installed(CASES[1], env)
    path.write_text('{"mcpServers": {}, "n": [1.0, 1e5, -0, 12345678901234567890123]}')
    assert run("cursor", "--url", URL, "--name", "demo").exit_code == 0
    assert '"n": [\n    1.0,\n    1e5,\n    -0,\n    12345678901234567890123\n  ]' in (
        path.read_text()
    )


def test_not_utf8_is_left_untouched(run, env):
    path = installed(CASES[1], env)
    data = b'{"mcpServers": {},\n "x": "\xff"}'
    path.write_bytes(data)
    result = run("cursor", "--url", URL, "--name", "demo")
    assert result.exit_code == 1
    assert "UTF-8" in stderr(result) and "line 2" in stderr(result)
    assert path.read_bytes() == data


def test_empty_file_is_filled(run, env):
    path = installed(CASES[1], env)
    path.write_text("")
    result = run("cursor", "--url", URL, "--name", "demo", "--json")
    assert json.loads(result.stdout)["action"] == "added"
    assert json.loads(path.read_text()) == {"mcpServers": {"demo": {"url": MCP}}}


# --- the prompt ---------------------------------------------------------------------------


@pytest.fixture
def conflict(env) -> Path:
    path = env.home / ".cursor" / "mcp.json"
    path.parent.mkdir()
    path.write_text('{"mcpServers": {"demo": {"url": "https://old.example.com/mcp"}}}')
    return path


def test_prompt_yes_replaces(run, env, conflict):
    env.monkeypatch.setattr(cfmcp.clients, "stdin_is_interactive", lambda: True)
    result = run("cursor", "--url", URL, "--name", "demo", input="y\n")
    assert result.exit_code == 0, result.output
    assert json.loads(conflict.read_text())["mcpServers"]["demo"] == {"url": MCP}
    assert len(backups(conflict)) == 1


def test_prompt_no_leaves_the_file(run, env, conflict):
    env.monkeypatch.setattr(cfmcp.clients, "stdin_is_interactive", lambda: True)
    before = conflict.read_text()
    result = run("cursor", "--url", URL, "--name", "demo", input="n\n")
    assert result.exit_code == 1
    assert conflict.read_text() == before
    assert backups(conflict) == []


def test_no_prompt_without_a_terminal(run, env, conflict):
    result = run("cursor", "--url", URL, "--name", "demo", input="y\n")
    assert result.exit_code == 1
    assert "--force" in stderr(result)
    assert "https://old.example.com/mcp" in conflict.read_text()


# --- option errors ------------------------------------------------------------------------


def test_url_and_local_together_is_a_usage_error(run, env):
    result = run("cursor", "--url", URL, "--local", "--name", "demo")
    assert result.exit_code == 2


def test_print_and_dry_run_together_is_a_usage_error(run, env):
    result = run("cursor", "--url", URL, "--name", "demo", "--print", "--dry-run")
    assert result.exit_code == 2


def test_visual_studio_is_for_windows(run, env):
    linux = run("visualstudio", "--url", URL, "--name", "demo")
    assert linux.exit_code == 2 and "runs on Windows only" in linux.stderr
    assert "--config-path" in linux.stderr
    env.platform("windows")
    result = run("visualstudio", "--url", URL, "--name", "demo", "--force")
    assert result.exit_code == 0, result.output
    written = json.loads((env.home / ".mcp.json").read_text())
    assert written == {"servers": {"demo": {"type": "http", "url": MCP}}}
