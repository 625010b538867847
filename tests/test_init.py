"""`cfmcp init` without npm: name rules, the non-empty-folder guard, rendering, records."""

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import tomlkit

from cfmcp.scaffold import blob_id, load_template


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


SOURCES = {
    "src/index.ts",
    "src/tools.ts",
    "src/tools/add.ts",
    "src/tools/whoami.ts",
    "src/resources.ts",
    "src/resources/about.ts",
    "src/prompts.ts",
    "src/prompts/summarize.ts",
    "src/server.ts",
    "src/oauth.ts",
    "src/guards.ts",
    "src/token-reuse.ts",
    "src/token-cache.ts",
    "src/refresh-once.ts",
    "src/refresh-gate.ts",
    "src/resource.ts",
    "src/config.ts",
    "src/env.d.ts",
    "src/auth-handler.ts",
    "src/upstream.ts",
    "src/upstream-kit.ts",
    "src/approval-dialog.ts",
    "src/registry-proof.ts",
}
# The project's own tests (`npm test`); test/worker.ts differs by toolchain.
TESTS = {
    "test/tsconfig.json",
    "test/harness.ts",
    "test/worker.ts",
    "test/upstream-stub.ts",
    "test/stub-kit.ts",
    "test/tools.test.ts",
    "test/about.resource.test.ts",
    "test/summarize.prompt.test.ts",
    "test/oauth.test.ts",
}


@pytest.mark.parametrize("toolchain", ["current", "node20"])
def test_init_renders_a_complete_stateless_project(cli, tmp_path, toolchain):
    target = tmp_path / "Demo Server"
    result = cli("init", str(target), "--no-install", "--no-git", "--yes", "--toolchain", toolchain)
    assert result.exit_code == 0, result.output
    files = set(_tree(target))
    expected = {
        ".dev.vars.example",
        ".gitignore",
        "README.md",
        "cfmcp.json",
        "package-lock.json",
        "package.json",
        "tsconfig.json",
        "wrangler.toml",
        *SOURCES,
        *TESTS,
        # Node 20 runs no TypeScript by itself: npm test loads this first.
        *(["test/typescript.mjs"] if toolchain == "node20" else []),
    }
    assert files == expected
    scripts = json.loads((target / "package.json").read_text())["scripts"]
    assert scripts["typecheck"] == "tsc --noEmit && tsc -p test"
    if toolchain == "node20":
        assert scripts["test"].startswith("node --import ./test/typescript.mjs --test ")
        assert "unstable_startWorker" in (target / "test/worker.ts").read_text()
    else:
        assert scripts["test"].startswith("node --experimental-strip-types ")
        assert "createTestHarness" in (target / "test/worker.ts").read_text()
    for name, content in _tree(target).items():
        text = content.decode()
        assert "{{" not in text and "{%" not in text, f"unrendered Jinja in {name}"

    # The name is derived from the folder and used everywhere it matters.
    assert "demo-server" in result.output
    wrangler = tomlkit.parse((target / "wrangler.toml").read_text()).unwrap()
    assert wrangler["name"] == "demo-server"
    assert wrangler["compatibility_flags"] == ["nodejs_compat", "global_fetch_strictly_public"]
    chosen = load_template().toolchains[toolchain]
    assert wrangler["compatibility_date"] == chosen.compatibility_date
    # No session object: only the gate that orders a sign-in's token refreshes.
    assert wrangler["durable_objects"]["bindings"] == [
        {"name": "REFRESH_GATE", "class_name": "RefreshGate"}
    ]
    assert wrangler["migrations"] == [{"tag": "v1", "new_sqlite_classes": ["RefreshGate"]}]
    assert "MCP_OBJECT" not in (target / "src/env.d.ts").read_text()
    index = (target / "src/index.ts").read_text()
    assert "createMcpHandler" in index and "McpAgent" not in index
    assert "registerTool(" in (target / "src/tools/add.ts").read_text()
    assert wrangler["kv_namespaces"][0]["binding"] == "OAUTH_KV"
    assert wrangler["dev"]["port"] == 8788
    assert wrangler["vars"]["CLOUDFLARE_OAUTH_URL"] == "https://dash.cloudflare.com/oauth2"
    assert wrangler["vars"]["CLOUDFLARE_API_URL"] == "https://api.cloudflare.com/client/v4"
    package = json.loads((target / "package.json").read_text())
    lock = json.loads((target / "package-lock.json").read_text())
    assert package["name"] == lock["name"] == lock["packages"][""]["name"] == "demo-server"
    assert package["engines"]["node"] == chosen.engines_node == f">={chosen.min_node_text}"
    assert package["devDependencies"]["wrangler"] == chosen.wrangler
    assert lock["packages"]["node_modules/wrangler"]["engines"]["node"] == chosen.engines_node
    readme = (target / "README.md").read_text()
    assert "src/tools.ts" in readme and "Stateless" in readme
    assert "MCP over HTTP+SSE" not in readme and "mcp-remote http://localhost:8788/mcp" in readme
    from cfmcp.clients import CLIENTS, WEB_CLIENTS

    for client in [*CLIENTS, *WEB_CLIENTS]:  # every client client-config knows
        assert f"cfmcp client-config {client} " in readme or f"client-config {client}\n" in readme
    assert "cfmcp dev --tunnel" in readme
    # Exact pins, identical in package.json and the lockfile's root entry.
    for section in ("dependencies", "devDependencies"):
        for dep, version in package[section].items():
            assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{dep} is not pinned: {version}"
            assert lock["packages"][""][section][dep] == version
            assert lock["packages"][f"node_modules/{dep}"]["version"] == version
    assert 'SERVER_NAME = "demo-server"' in (target / "src/config.ts").read_text()
    gitignore = (target / ".gitignore").read_text().splitlines()
    assert {".dev.vars", ".wrangler/", "node_modules/"} <= set(gitignore)


def test_init_stateful_writes_the_durable_object_design(cli, tmp_path):
    target = tmp_path / "s"
    result = cli("init", str(target), "--stateful", "--no-install", "--no-git", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["variant"] == "stateful"
    assert set(_tree(target)) >= SOURCES | TESTS | {"test/sessions.test.ts"}
    wrangler = tomlkit.parse((target / "wrangler.toml").read_text()).unwrap()
    assert wrangler["durable_objects"]["bindings"] == [
        {"name": "MCP_OBJECT", "class_name": "MyMCP"},
        {"name": "REFRESH_GATE", "class_name": "RefreshGate"},
    ]
    # Migrations only ever append: MyMCP's v1 predates the gate's v2.
    assert wrangler["migrations"] == [
        {"tag": "v1", "new_sqlite_classes": ["MyMCP"]},
        {"tag": "v2", "new_sqlite_classes": ["RefreshGate"]},
    ]
    assert "MCP_OBJECT" in (target / "src/env.d.ts").read_text()
    index = (target / "src/index.ts").read_text()
    assert "class MyMCP extends McpAgent" in index and "offerAll(" in index
    readme = (target / "README.md").read_text()
    assert "HTTP+SSE" in readme and "Durable Object" in readme
    # One source: the shared files are the same bytes in both variants.
    stateless = tmp_path / "l"
    assert cli("init", str(stateless), "--no-install", "--no-git").exit_code == 0
    for name in (SOURCES | TESTS) - {"src/index.ts", "src/env.d.ts", "src/config.ts"}:
        assert (target / name).read_bytes() == (stateless / name).read_bytes(), name
    assert not (stateless / "test/sessions.test.ts").exists()


def test_init_records_what_was_generated(cli, tmp_path):
    result = cli(
        "init", str(tmp_path / "p"), "--name", "rec-test", "--no-install", "--no-git",
        "--toolchain", "node20",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    state = json.loads((tmp_path / "p" / "cfmcp.json").read_text())
    template = load_template()
    toolchain = template.toolchains["node20"].as_context()
    assert state["template"] == {
        "name": "cloudflare",
        "version": template.version,
        "toolchain": toolchain,
    }
    assert state["options"] == {
        "name": "rec-test",
        "variant": "stateless",
        "toolchain": "node20",
        "auth": "cloudflare",
        "install": False,
        "git": False,
    }
    assert state["environments"] == {}
    # Every file cfmcp wrote, and what it wrote there (git's blob id of the content).
    written = {
        path.relative_to(tmp_path / "p").as_posix()
        for path in (tmp_path / "p").rglob("*")
        if path.is_file() and path.name != "cfmcp.json"
    }
    assert set(state["files"]) == written
    for name, blob in state["files"].items():
        assert blob == blob_id((tmp_path / "p" / name).read_bytes()), name
    # The older set is named once, with the way up.
    assert "Node 20 is end-of-life" in " ".join(result.stderr.split())


def test_the_toolchain_follows_the_node_on_path(cli, tmp_path, monkeypatch):
    """Node 22.12+ gets the current set, Node 20.3 up to 22.11 the Node 20 one; with no Node
    (and no install) the current set is written."""
    cases = {"v24.1.0": "current", "v22.12.0": "current", "v22.11.0": "node20", "v20.3.0": "node20"}
    for version, expected in cases.items():
        bin_dir = fake_node(tmp_path / version, version)
        monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
        target = tmp_path / f"p-{version}"
        result = cli("init", str(target), "--no-install", "--no-git", "--json")
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["toolchain"]["name"] == expected, version
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    result = cli("init", str(tmp_path / "none"), "--no-install", "--no-git", "--json")
    assert json.loads(result.stdout)["toolchain"]["name"] == "current"


def test_too_old_a_node_stops_init_before_writing(cli, tmp_path, monkeypatch):
    bin_dir = fake_node(tmp_path / "old", "v20.1.0")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    target = tmp_path / "p"
    result = cli("init", str(target), "--no-git")
    assert result.exit_code == 1
    message = " ".join(result.output.split())
    assert "Node.js 20.1.0 is too old" in message and "22.12.0" in message
    assert "nodejs.org" in message and "nvm install" in message
    assert not target.exists()
    assert cli("init", str(target), "--no-git", "--toolchain", "nope").exit_code == 2


def fake_node(folder: Path, version: str) -> Path:
    """A `node` that only reports `version`, and an `npm` beside it."""
    folder.mkdir(parents=True)
    for name, output in (("node", version), ("npm", "11.0.0")):
        tool = folder / name
        tool.write_text(f"#!/bin/sh\necho {output}\n")
        tool.chmod(0o755)
    return folder


def test_explicit_invalid_name_is_a_usage_error_and_writes_nothing(cli, tmp_path):
    target = tmp_path / "p"
    result = cli("init", str(target), "--name", "Bad_Name", "--no-install")
    assert result.exit_code == 2
    assert "Invalid --name 'Bad_Name'" in result.output
    assert "--name bad-name" in result.output
    assert not target.exists()


def test_an_accented_name_suggests_its_plain_letters(cli, tmp_path):
    result = cli("init", str(tmp_path / "p"), "--name", "café", "--no-install", "--no-git")
    assert result.exit_code == 2
    assert "--name cafe" in result.output
    assert not (tmp_path / "p").exists()


def test_non_empty_folder_is_refused_and_left_alone(cli, tmp_path):
    target = tmp_path / "p"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    before = _tree(target)
    result = cli("init", str(target), "--no-install", "--no-git")
    assert result.exit_code == 1
    assert "not empty" in result.output and "--force" in result.output
    assert _tree(target) == before


def test_force_writes_template_files_and_deletes_nothing(cli, tmp_path):
    target = tmp_path / "p"
    (target / "src").mkdir(parents=True)
    (target / "notes.txt").write_text("mine")
    (target / "src" / "extra.ts").write_text("export const x = 1;\n")
    (target / "README.md").write_text("old readme")
    result = cli("init", str(target), "--force", "--no-install", "--no-git")
    assert result.exit_code == 0, result.output
    assert (target / "notes.txt").read_text() == "mine"
    assert (target / "src" / "extra.ts").read_text() == "export const x = 1;\n"
    assert (target / "README.md").read_text() != "old readme"
    assert "README.md" in result.output  # the replaced file is named
    kept = list(target.glob("README.md.*.bak"))
    assert [p.read_text() for p in kept] == ["old readme"]
    assert kept[0].name in result.output
    assert "*.bak" in (target / ".gitignore").read_text().splitlines()


def test_force_never_writes_through_a_symlink(cli, tmp_path):
    """A file planted as a link (in a cloned repository, say) is replaced by the project's
    file, and the link is kept aside; its target is not touched. A linked folder is refused
    before anything is written."""
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / "victim.txt"
    victim.write_text("precious")
    target = tmp_path / "p"
    target.mkdir()
    (target / "package.json").symlink_to(victim)
    (target / "tsconfig.json").symlink_to(outside / "dangling.json")  # points at nothing yet
    result = cli("init", str(target), "--force", "--no-install", "--no-git", "--json")
    assert result.exit_code == 0, result.output
    assert victim.read_text() == "precious"
    assert not (outside / "dangling.json").exists()
    for name in ("package.json", "tsconfig.json"):
        assert not (target / name).is_symlink()
        assert (target / name).read_text().startswith("{")
    backups = json.loads(result.stdout)["backups"]
    assert sorted(b.split(".")[0] for b in backups) == ["package", "tsconfig"]

    linked = tmp_path / "linked"
    linked.mkdir()
    (linked / "src").symlink_to(outside, target_is_directory=True)
    refused = cli("init", str(linked), "--force", "--no-install", "--no-git")
    assert refused.exit_code == 1
    assert "is a symlink" in refused.output and "nothing was written" in refused.output
    assert sorted(p.name for p in outside.iterdir()) == ["victim.txt"]
    assert sorted(p.name for p in linked.iterdir()) == ["src"]


def git_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    """git with this global config and nothing from the machine's (skipped without git)."""
    import shutil

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    config = tmp_path / "gitconfig"
    config.write_text(text)
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL",
                 "EMAIL"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)


IDENTITY = "[user]\n\tname = T\n\temail = t@x\n"


def test_the_first_branch_is_main(cli, tmp_path, monkeypatch):
    git_config(tmp_path, monkeypatch, "[init]\n\tdefaultBranch = trunk\n" + IDENTITY)
    target = tmp_path / "p"
    assert cli("init", str(target), "--no-install", "--git").exit_code == 0
    branch = subprocess.run(
        ["git", "branch", "--show-current"], cwd=target, capture_output=True, text=True
    )
    assert branch.stdout.strip() == "main"


def test_git_without_an_identity_says_how_and_records_no_repository(cli, tmp_path, monkeypatch):
    git_config(tmp_path, monkeypatch, "[user]\n\tuseConfigOnly = true\n")  # none guessed
    target = tmp_path / "p"
    result = cli("init", str(target), "--no-install", "--git")
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "git config --global user.email" in said
    assert json.loads((target / "cfmcp.json").read_text())["options"]["git"] is False


def test_git_outside_a_repository_is_recorded_as_it_went(cli, tmp_path, monkeypatch):
    git_config(tmp_path, monkeypatch, IDENTITY)
    committed = tmp_path / "committed"
    assert cli("init", str(committed), "--no-install", "--git").exit_code == 0
    assert json.loads((committed / "cfmcp.json").read_text())["options"]["git"] is True
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=committed, capture_output=True, text=True
    )
    assert status.stdout == "", "the first commit holds cfmcp.json as it stays"
    # The recorded ids are git's own: the first commit gives back what cfmcp wrote.
    tree = subprocess.run(
        ["git", "ls-tree", "-r", "HEAD"], cwd=committed, capture_output=True, text=True
    ).stdout
    committed_blobs = {line.split("\t")[1]: line.split()[2] for line in tree.splitlines()}
    recorded = json.loads((committed / "cfmcp.json").read_text())["files"]
    assert recorded and all(committed_blobs[name] == blob for name, blob in recorded.items())
    inside = committed / "nested"  # inside that repository: git skipped
    assert cli("init", str(inside), "--no-install", "--git").exit_code == 0
    assert json.loads((inside / "cfmcp.json").read_text())["options"]["git"] is False


def test_json_output(cli, tmp_path):
    result = cli("init", str(tmp_path / "j"), "--no-install", "--no-git", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["name"] == "j"
    assert data["installed"] is False
    assert "wrangler.toml" in data["files"]


def test_missing_node_with_install_is_a_clear_error_before_writing(cli, tmp_path, monkeypatch):
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    monkeypatch.setenv("PATH", str(empty_bin))
    target = tmp_path / "p"
    result = cli("init", str(target), "--no-git")
    assert result.exit_code == 1
    assert "Node.js was not found" in result.output
    assert "22.12" in result.output and "nodejs.org" in result.output
    assert not target.exists()
    # Without install the files are still written.
    result = cli("init", str(target), "--no-git", "--no-install")
    assert result.exit_code == 0, result.output
    assert (target / "wrangler.toml").exists()


def test_too_old_node_is_named(cli, tmp_path, monkeypatch):
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    node = fake_bin / "node"
    node.write_text("#!/bin/sh\necho v18.19.0\n")
    node.chmod(0o755)
    monkeypatch.setenv("PATH", str(fake_bin))
    result = cli("init", str(tmp_path / "p"), "--no-git")
    assert result.exit_code == 1
    assert "Node.js 18.19.0 is too old" in result.output
    assert not (tmp_path / "p").exists()


def test_git_first_commit(cli, tmp_path, monkeypatch):
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", "Test User")
        monkeypatch.setenv(f"GIT_{role}_EMAIL", "test@example.com")
    target = tmp_path / "g"
    result = cli("init", str(target), "--no-install", "--git")
    assert result.exit_code == 0, result.output
    log = subprocess.run(
        ["git", "log", "--oneline"], cwd=target, capture_output=True, text=True, check=True
    )
    assert "Initial commit from cfmcp init" in log.stdout
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=target, capture_output=True, text=True, check=True
    ).stdout.split()
    assert "wrangler.toml" in tracked and "cfmcp.json" in tracked
    assert ".dev.vars" not in tracked


def test_git_skipped_inside_an_existing_repository(cli, tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    result = cli("init", str(tmp_path / "inner"), "--no-install", "--git")
    assert result.exit_code == 0
    assert "already inside a git repository" in result.output
    assert not (tmp_path / "inner" / ".git").exists()


def test_directory_option_runs_elsewhere(cli, tmp_path):
    result = cli("-C", str(tmp_path), "init", "here", "--no-install", "--no-git")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "here" / "wrangler.toml").exists()


def test_default_folder_is_the_current_one(cli, tmp_path, monkeypatch):
    target = tmp_path / "cwd-project"
    target.mkdir()
    monkeypatch.chdir(target)
    result = cli("init", "--no-install", "--no-git", "--yes")
    assert result.exit_code == 0, result.output
    assert (target / "wrangler.toml").exists()
    assert 'name = "cwd-project"' in (target / "wrangler.toml").read_text()
    assert os.getcwd() == str(target)
