"""`cfmcp client-config --all`: every client that looks installed gets the entry, nothing is
made for the others, and one row per client says what happened (in a scratch home, as in
test_client_config.py)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.test_client_config import MCP, URL, backups, env, run  # noqa: F401 (fixtures)

INSTALLED = {  # client -> the folder that says so, and the file --all writes there
    "cursor": (".cursor", ".cursor/mcp.json"),
    "vscode": (".config/Code/User", ".config/Code/User/mcp.json"),
    "goose": (".config/goose", ".config/goose/config.yaml"),
}
ABSENT = [".config/Claude", ".codeium", ".codex", ".gemini", ".config/opencode"]


def install(home: Path) -> None:
    for folder, _ in INSTALLED.values():
        (home / folder).mkdir(parents=True)


def all_clients(run, *args: str) -> tuple[int, dict]:  # noqa: F811
    result = run("--all", "--url", URL, "--name", "demo", "--json", *args)
    return result.exit_code, json.loads(result.stdout)


def statuses(report: dict) -> dict[str, str]:
    return {row["client"]: row["status"] for row in report["clients"]}


def test_all_writes_exactly_the_installed_clients(env, run):  # noqa: F811
    install(env.home)
    (env.home / ".claude").mkdir()  # Claude Code too, but it has only project files
    code, report = all_clients(run, "--dry-run")
    assert code == 0 and set(statuses(report).values()) <= {"would be created", "skipped"}
    assert not any((env.home / file).exists() for _, file in INSTALLED.values())

    code, report = all_clients(run)
    assert code == 0, report
    found = statuses(report)
    assert {client for client, status in found.items() if status == "created"} == set(INSTALLED)
    assert found["claude"] == "skipped" and found["codex"] == "skipped"
    why = {row["client"]: row["detail"] for row in report["clients"]}
    assert why["claude"] == "not installed here"
    assert why["claude-code"].startswith("writes the project's file")  # no project here
    for _, file in INSTALLED.values():
        assert MCP in (env.home / file).read_text()
    for folder in ABSENT:
        assert not (env.home / folder).exists()
    assert not (env.work / ".mcp.json").exists()

    code, report = all_clients(run)  # a second run changes nothing
    assert code == 0 and {statuses(report)[c] for c in INSTALLED} == {"unchanged"}


def test_all_leaves_anothers_entry_and_goes_on_past_a_broken_file(env, run):  # noqa: F811
    install(env.home)
    cursor = env.home / ".cursor" / "mcp.json"
    cursor.write_text('{"mcpServers": {"demo": {"url": "https://elsewhere.example/mcp"}}}\n')
    vscode = env.home / ".config" / "Code" / "User" / "mcp.json"
    vscode.write_text('{"servers": {"mine": {"type": "http", "url": "https://a/mcp"}},\n  oops\n')
    broken = vscode.read_bytes()

    code, report = all_clients(run)
    assert code == 1 and report["ok"] is False
    assert "vscode" in report["error"]
    rows = {row["client"]: row for row in report["clients"]}
    assert rows["cursor"]["status"] == "skipped" and "--force" in rows["cursor"]["detail"]
    assert rows["vscode"]["status"] == "failed" and "line 2" in rows["vscode"]["detail"]
    assert rows["goose"]["status"] == "created"
    assert vscode.read_bytes() == broken  # untouched
    assert "elsewhere" in cursor.read_text()

    vscode.write_text('{"servers": {}}\n')
    code, report = all_clients(run, "--force")
    assert code == 0, report
    assert statuses(report)["cursor"] == "updated" and MCP in cursor.read_text()
    assert len(backups(cursor)) == 1


def test_all_refuses_what_does_not_apply(run):  # noqa: F811
    for args, flag in (
        (["cursor", "--all"], "CLIENT"),
        (["--all", "--scope", "user"], "--scope"),
        (["--all", "--print"], "--print"),
        (["--all", "--links"], "--links"),
    ):
        result = run(*args, "--url", URL, "--name", "demo")
        assert result.exit_code == 2, result.stdout
        assert f"{flag} does not apply to --all" in result.stderr


def test_all_in_a_project_writes_its_project_files(env, run, tmp_path):  # noqa: F811
    from tests.conftest import run_cfmcp

    project = tmp_path / "demo-mcp"
    made = run_cfmcp("init", str(project), "--no-install", "--no-git", "--yes")
    assert made.returncode == 0, made.stderr
    (env.home / ".claude").mkdir()
    (env.home / ".config" / "Code" / "User").mkdir(parents=True)
    result = run_cfmcp(
        "-C", str(project), "client-config", "--all", "--url", URL, "--json",
        env={"HOME": str(env.home), "XDG_CONFIG_HOME": ""},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    found = statuses(json.loads(result.stdout))
    assert found["claude-code"] == "created" and found["vscode"] == "created"
    assert json.loads((project / ".mcp.json").read_text())["mcpServers"]["demo-mcp"]["url"] == MCP
    assert (project / ".vscode" / "mcp.json").is_file()
