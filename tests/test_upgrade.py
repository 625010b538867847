"""`cfmcp upgrade` on projects as earlier cfmcp versions made them (tests/fixtures/upgrade/,
each a tree `cfmcp init --no-install` wrote, without its lockfile; a leading `_` stands for a
dot), with the edits their owners typically make, committed on top of cfmcp's first commit."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import tomlkit

from cfmcp.scaffold import blob_id, templates_root
from tests.conftest import run_cfmcp

CURRENT = json.loads((templates_root() / "cloudflare" / "template.json").read_text())["version"]
NEXT = str(int(CURRENT) + 1)  # a template change yet to come

FIXTURES = Path(__file__).parent / "fixtures" / "upgrade"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Dev",
    "GIT_AUTHOR_EMAIL": "dev@example.dev",
    "GIT_COMMITTER_NAME": "Dev",
    "GIT_COMMITTER_EMAIL": "dev@example.dev",
}
MY_TOOL = """
  server.registerTool(
    "shout",
    { description: "Say it louder.", inputSchema: z.object({ text: z.string() }) },
    async ({ text }) => ({ content: [{ type: "text", text: text.toUpperCase() }] }),
  );
}
"""
MY_NOTES = "\nOur team's server: ask the demo team before changing its tools.\n"
MY_KV_ID = "0123456789abcdef0123456789abcdef"
MY_ROUTES = 'routes = [{ pattern = "mcp.example.com", custom_domain = true }]  # ours\n'
MY_STAGING = (
    '\n# Staging, ours.\n[env.staging]\nname = "legacy-staging"\nvars = { GREETING = "hi" }\n'
)


def git(root: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, check=True,
        env={**os.environ, **GIT_ENV},
    )  # fmt: skip
    return result.stdout


def generated(name: str, destination: Path, *, with_git: bool = True) -> Path:
    """The fixture `name` as cfmcp's first commit in a repository at `destination`."""
    shutil.copytree(FIXTURES / name, destination)
    for path in list(destination.rglob("_*")):
        path.rename(path.with_name("." + path.name[1:]))
    if with_git:
        git(destination, "init", "-q")
        git(destination, "add", "-A")
        git(destination, "commit", "-qm", "Initial commit from cfmcp init")
    return destination


def edit_as_owner(root: Path, *, conflict: bool = True, commit: bool = True) -> None:
    """What owners do: a tool of their own and a reworded one, a var and a KV binding of their
    own, an npm package, a README paragraph; and (`conflict`) a line the template changed too."""
    tools = root / "src" / "tools.ts"
    text = tools.read_text().replace('"Add two numbers."', '"Add two numbers together."')
    tools.write_text(text.rstrip()[:-1] + MY_TOOL)
    wrangler = root / "wrangler.toml"
    text = wrangler.read_text().replace('PUBLIC_URL = ""', 'PUBLIC_URL = ""\nGREETING = "hello"')
    text = text.replace('main = "src/index.ts"\n', 'main = "src/index.ts"\n' + MY_ROUTES)
    wrangler.write_text(text + f'\n[[kv_namespaces]]\nbinding = "CACHE"\nid = "{MY_KV_ID}"\n'
                        + MY_STAGING)  # fmt: skip
    package = json.loads((root / "package.json").read_text())
    package["dependencies"]["is-odd"] = "3.0.1"
    (root / "package.json").write_text(json.dumps(package, indent=2) + "\n")
    title, rest = (root / "README.md").read_text().split("\n", 1)
    (root / "README.md").write_text(title + "\n" + MY_NOTES + rest)
    if conflict:
        server = root / "src" / "server.ts"
        text = server.read_text()
        old = "new McpServer({ name: SERVER_NAME, version: SERVER_VERSION });"
        assert old in text
        server.write_text(
            text.replace(old, 'new McpServer({ name: SERVER_NAME, version: "2.0.0" });')
        )
    if commit:
        git(root, "commit", "-qam", "Our changes")


def tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def upgrade(root: Path, *args: str):
    result = run_cfmcp("-C", str(root), "upgrade", "--no-install", "--json", *args, timeout=120)
    return result, json.loads(result.stdout) if result.stdout.strip() else None


def assert_refused(root: Path, message: str, *args: str) -> dict:
    """The owner's last change committed, `cfmcp upgrade` stops with `message`, exit 1, and
    not a byte of the project changed."""
    git(root, "add", "-A")
    git(root, "commit", "-qm", "the owner's change", "--allow-empty")
    before = tree(root)
    result, report = upgrade(root, *args)
    assert result.returncode == 1, result.stdout + result.stderr
    assert message in report["error"], report
    assert "Traceback" not in result.stderr and tree(root) == before
    return report


def resolve_taking_template(path: Path) -> None:
    """Resolve every conflict region of `path` with the template's side."""
    resolve(path, "template")


def resolve(path: Path, side: str) -> None:
    """Resolve every conflict region of `path` with one side: "template" or "yours"."""
    lines, region = [], None
    for line in path.read_text().splitlines(keepends=True):
        if line.startswith("<<<<<<< "):
            region = "yours"
        elif line.startswith("=======") and region == "yours":
            region = "template"
        elif line.startswith(">>>>>>> "):
            region = None
        elif region in (None, side):
            lines.append(line)
    path.write_text("".join(lines))


# The owner's edits collide with the template's in these files: server.ts (a line both
# changed) and tools.ts (the owner's tools in it; the template now lists one file per tool).
CONFLICTS = ["src/server.ts", "src/tools.ts"]


def actions(report: dict) -> dict[str, str]:
    return {entry["path"]: entry["action"] for entry in report["files"]}


# --- the plan and the merge ------------------------------------------------------------------


def test_dry_run_shows_the_plan_and_writes_nothing(tmp_path):
    root = generated("v4-github", tmp_path / "legacy")
    edit_as_owner(root)
    before = tree(root)
    result, report = upgrade(root, "--dry-run")
    assert result.returncode == 1, result.stderr  # a conflict would remain
    assert tree(root) == before
    assert report["ok"] is False and report["dry_run"] is True
    assert report["conflicts"] == CONFLICTS
    plan = actions(report)
    assert plan["src/tools.ts"] == "conflict"
    assert plan["src/refresh-gate.ts"] == "add"
    assert plan["src/oauth.ts"] == "replace"
    assert plan["wrangler.toml"] == "merge"
    assert plan["README.md"] == "merge"
    text = run_cfmcp("-C", str(root), "upgrade", "--dry-run").stderr
    assert (
        f"template v4 → v{CURRENT}" in text
        and "src/server.ts" in text
        and "nothing written" in text
    )


# (fixture, template version, variant, the toolchain set to move to)
EDITED = [
    ("v2-stateful", "2", "stateful", None),
    ("v3-stateless", "3", "stateless", None),
    ("v4-github", "4", "stateless", None),
    ("v4-stateful-node20", "4", "stateful", "current"),
]


@pytest.mark.parametrize(("fixture", "version", "variant", "toolchain"), EDITED)
def test_upgrade_keeps_the_owners_work_and_marks_the_conflict(
    tmp_path, current_node, fixture, version, variant, toolchain
):
    root = generated(fixture, tmp_path / "legacy")
    edit_as_owner(root)
    result, report = upgrade(root, *(["--toolchain", toolchain] if toolchain else []))
    assert result.returncode == 1, result.stderr
    assert report["conflicts"] == CONFLICTS
    assert report["template"] == {"from": version, "to": CURRENT}
    assert report["toolchain"]["to"] == "current" and report["variant"] == variant
    server = (root / "src" / "server.ts").read_text()
    assert "<<<<<<< yours" in server and f">>>>>>> cfmcp template v{CURRENT}" in server

    tools = (root / "src" / "tools.ts").read_text()
    assert '"shout"' in tools and "Add two numbers together." in tools
    config = tomlkit.parse((root / "wrangler.toml").read_text()).unwrap()
    assert config["vars"]["GREETING"] == "hello"
    assert config["routes"] == [{"pattern": "mcp.example.com", "custom_domain": True}]
    staging = config["env"]["staging"]
    assert staging["name"] == "legacy-staging" and staging["vars"]["GREETING"] == "hi"
    if "ALLOWED_ORIGINS" not in (FIXTURES / fixture / "wrangler.toml").read_text():
        # wrangler does not inherit vars: a var new in the template reaches staging's own too
        assert staging["vars"]["ALLOWED_ORIGINS"] == ""
    text = (root / "wrangler.toml").read_text()
    assert "# ours" in text and "# Staging, ours." in text
    assert {"binding": "CACHE", "id": MY_KV_ID} in config["kv_namespaces"]
    assert {"name": "REFRESH_GATE", "class_name": "RefreshGate"} in (
        config["durable_objects"]["bindings"]
    )
    sessions = [{"tag": "v1", "new_sqlite_classes": ["MyMCP"]}] if variant == "stateful" else []
    assert config["migrations"] == [
        *sessions,
        {"tag": f"v{len(sessions) + 1}", "new_sqlite_classes": ["RefreshGate"]},
    ]
    assert config["vars"]["ALLOWED_ORIGINS"] == ""  # new in the template
    assert config["compatibility_date"] == "2026-11-24"  # the current set's
    package = json.loads((root / "package.json").read_text())
    assert package["dependencies"]["is-odd"] == "3.0.1"
    assert report["own_packages"] == ["is-odd"]
    readme = (root / "README.md").read_text()
    assert MY_NOTES.strip() in readme and "Revocation" in readme  # theirs and ours
    for added in ("src/refresh-gate.ts", "src/token-cache.ts", "package-lock.json"):
        assert (root / added).is_file()

    state = json.loads((root / "cfmcp.json").read_text())
    assert state["template"]["version"] == CURRENT
    assert state["conflicts"] == CONFLICTS
    assert "upgrading" not in state
    # What the record names is in git's object store: the next upgrade's base.
    blob = state["files"]["src/server.ts"]
    assert git(root, "cat-file", "-t", blob).strip() == "blob"

    # Until the markers go, the command says so (and exits 1).
    result, report = upgrade(root, "--dry-run")
    assert result.returncode == 1 and report["conflicts"] == CONFLICTS

    # Resolved and not yet committed: running again only checks (nothing left to write).
    resolve_taking_template(root / "src" / "server.ts")
    resolve(root / "src" / "tools.ts", "yours")
    result, report = upgrade(root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert set(actions(report).values()) <= {"keep"}
    git(root, "add", "-A")
    git(root, "commit", "-qm", "Upgraded")
    # A second run changes nothing.
    before = tree(root)
    result, report = upgrade(root)
    assert result.returncode == 0 and tree(root) == before
    assert git(root, "status", "--porcelain") == ""


def test_a_project_without_the_owners_edits_is_the_current_template(tmp_path):
    """Untouched, a v2 stateful project becomes what cfmcp init writes today, byte for byte
    (but for wrangler.toml, whose deployed migrations stay as they were: here the same)."""
    root = generated("v2-stateful", tmp_path / "legacy-mcp")
    result, _ = upgrade(root)
    assert result.returncode == 0, result.stderr
    fresh = tmp_path / "fresh" / "legacy-mcp"
    made = run_cfmcp("init", str(fresh), "--stateful", "--no-install", "--no-git", "--yes",
                     "--toolchain", "current", "--json")  # fmt: skip
    assert made.returncode == 0, made.stderr
    ours, theirs = tree(root), tree(fresh)
    ours.pop("cfmcp.json"), theirs.pop("cfmcp.json")
    assert ours == theirs
    state = json.loads((root / "cfmcp.json").read_text())
    fresh_state = json.loads((fresh / "cfmcp.json").read_text())
    assert state["files"] == fresh_state["files"]
    assert state["template"] == fresh_state["template"]


def test_an_mcpagent_project_moves_to_the_stateful_design(tmp_path, current_node):
    root = generated("v1", tmp_path / "legacy-mcp")
    result, report = upgrade(root, "--toolchain", "current")
    assert result.returncode == 0, result.stderr
    plan = actions(report)
    for retired in ("src/cloudflare-handler.ts", "src/cloudflare-upstream.ts"):
        assert plan[retired] == "remove" and not (root / retired).exists()
    config = tomlkit.parse((root / "wrangler.toml").read_text()).unwrap()
    assert config["durable_objects"]["bindings"][0] == {"name": "MCP_OBJECT", "class_name": "MyMCP"}
    assert config["migrations"] == [
        {"tag": "v1", "new_sqlite_classes": ["MyMCP"]},
        {"tag": "v2", "new_sqlite_classes": ["RefreshGate"]},
    ]
    state = json.loads((root / "cfmcp.json").read_text())
    assert state["options"]["variant"] == "stateful"
    assert state["template"]["toolchain"]["name"] == "current"


def test_to_stateless_asks_once_then_deletes_the_session_class(tmp_path, current_node):
    root = generated("v1", tmp_path / "legacy-mcp")
    before = tree(root)
    result, _ = upgrade(root, "--to", "stateless", "--toolchain", "current")
    assert result.returncode == 1
    assert "open MCP sessions end" in result.stdout and "--yes" in result.stdout
    assert tree(root) == before
    result, report = upgrade(root, "--to", "stateless", "--toolchain", "current", "--yes")
    assert result.returncode == 0, result.stderr
    config = tomlkit.parse((root / "wrangler.toml").read_text()).unwrap()
    assert config["durable_objects"]["bindings"] == [
        {"name": "REFRESH_GATE", "class_name": "RefreshGate"}
    ]
    assert config["migrations"] == [
        {"tag": "v1", "new_sqlite_classes": ["MyMCP"]},
        {"tag": "v2", "new_sqlite_classes": ["RefreshGate"]},
        {"tag": "v3", "deleted_classes": ["MyMCP"]},
    ]
    assert report["variant"] == "stateless"
    assert not (root / "test" / "sessions.test.ts").exists()


def test_without_git_a_changed_file_gets_the_template_beside_it(tmp_path):
    root = generated("v4-github", tmp_path / "legacy", with_git=False)
    edit_as_owner(root, commit=False)
    mine = (root / "src" / "tools.ts").read_bytes()
    result, report = upgrade(root)
    assert result.returncode == 0, result.stderr
    assert report["base"].startswith("none")
    assert (root / "src" / "tools.ts").read_bytes() == mine  # never overwritten
    assert actions(report)["src/oauth.ts"] == "beside"
    assert (root / "src" / "oauth.ts.cfmcp-new").is_file()
    assert actions(report)["src/refresh-gate.ts"] == "add"


def test_a_recorded_project_follows_a_template_change(tmp_path, monkeypatch):
    """The record cfmcp init writes: a file the owner never touched follows the template, one
    both changed is merged without conflict, one only the owner changed stays."""
    from cfmcp import scaffold
    from cfmcp.upgrade import upgrade as run_upgrade

    root = tmp_path / "fresh-mcp"
    made = run_cfmcp("init", str(root), "--no-install", "--yes", "--toolchain", "current")
    assert made.returncode == 0, made.stderr
    tools = root / "src" / "tools.ts"
    tools.write_text(tools.read_text().rstrip()[:-1] + MY_TOOL)
    (root / "src" / "guards.ts").write_text((root / "src" / "guards.ts").read_text() + "// mine\n")
    git(root, "commit", "-qam", "Our tool")

    templates = tmp_path / "templates"
    shutil.copytree(scaffold.templates_root(), templates)
    source = templates / "cloudflare"
    meta = json.loads((source / "template.json").read_text())
    meta["version"] = NEXT
    (source / "template.json").write_text(json.dumps(meta))
    text = (source / "src" / "tools.ts").read_text()
    (source / "src" / "tools.ts").write_text("// Version 8 of the tools.\n" + text)
    (source / "src" / "server.ts").write_text((source / "src" / "server.ts").read_text() + "\n")
    monkeypatch.setattr(scaffold, "templates_root", lambda: templates)

    result = run_upgrade(root, install=False)
    plan = {step.path: step.action for step in result.plan.steps}
    assert plan["src/tools.ts"] == "merge" and plan["src/server.ts"] == "replace"
    assert plan["src/guards.ts"] == "keep"
    merged = tools.read_text()
    assert merged.startswith("// Version 8 of the tools.\n") and '"shout"' in merged
    assert result.problem() is None
    assert json.loads((root / "cfmcp.json").read_text())["template"]["version"] == NEXT


# --- bad input -------------------------------------------------------------------------------


def test_bad_projects_are_refused_with_nothing_changed(tmp_path):
    result, report = upgrade(tmp_path)
    assert result.returncode == 1 and "No wrangler.toml" in report["error"]
    (tmp_path / "wrangler.toml").write_text('name = "by-hand"\n')
    result, report = upgrade(tmp_path)
    assert result.returncode == 1 and "No cfmcp.json" in report["error"]

    root = generated("v4-github", tmp_path / "legacy")
    state_path = root / "cfmcp.json"
    original = state_path.read_text()
    cases = {
        "{not json": "not valid JSON",
        json.dumps({**json.loads(original), "files": {"../../etc/passwd": "0" * 40}}): "outside",
        json.dumps({**json.loads(original), "template": {"version": "99"}}): "newer than",
        json.dumps({**json.loads(original), "template": {"version": "seven"}}): "not a number",
        json.dumps({**json.loads(original), "files": {"x": "not-a-blob"}}): "blob ids",
    }
    for text, message in cases.items():
        state_path.write_text(text)
        assert_refused(root, message)

    state_path.write_text(original)
    git(root, "commit", "-qam", "restored")
    (root / "wrangler.toml").write_text("name = \n")
    assert_refused(root, "not valid TOML")
    (root / "wrangler.toml").write_bytes(b'name = "caf\xe9"\n')  # Latin-1, not UTF-8
    assert_refused(root, "not UTF-8")


def test_uncommitted_changes_need_force(tmp_path):
    root = generated("v4-github", tmp_path / "legacy")
    (root / "src" / "tools" / "mine.ts").parent.mkdir()
    (root / "src" / "tools" / "mine.ts").write_text("// half done\n")
    before = tree(root)
    result, report = upgrade(root)
    assert result.returncode == 1
    assert "uncommitted changes (src/tools/mine.ts)" in report["error"]
    assert "--force" in report["hint"]
    assert tree(root) == before
    result, report = upgrade(root, "--force")
    assert result.returncode == 0, result.stderr
    assert (root / "src" / "tools" / "mine.ts").read_text() == "// half done\n"


def test_a_symlinked_file_is_left_alone(tmp_path):
    root = generated("v4-github", tmp_path / "legacy")
    outside = tmp_path / "elsewhere.ts"
    outside.write_text("// not the project's\n")
    (root / "src" / "oauth.ts").unlink()
    (root / "src" / "oauth.ts").symlink_to(outside)
    git(root, "add", "-A")
    git(root, "commit", "-qm", "linked")
    result, report = upgrade(root)
    assert result.returncode == 1
    assert actions(report)["src/oauth.ts"] == "skip"
    assert "symlink" in report["error"] or "symlinks" in report["error"]
    assert outside.read_text() == "// not the project's\n"
    assert (root / "src" / "oauth.ts").is_symlink()


def test_an_interrupted_upgrade_leaves_whole_files_and_finishes_when_run_again(tmp_path):
    from cfmcp import fsutil
    from cfmcp.upgrade import apply_upgrade, plan_upgrade
    from cfmcp.upgrade import upgrade as run_upgrade

    done = generated("v4-github", tmp_path / "done")
    edit_as_owner(done)
    run_upgrade(done, install=False)
    finished = tree(done)

    root = generated("v4-github", tmp_path / "cut")
    edit_as_owner(root)
    before = tree(root)
    real_write = fsutil.atomic_write_bytes
    writes = []

    def write_then_stop(path, data, **kwargs):
        if len(writes) == 6:
            raise KeyboardInterrupt
        writes.append(path)
        real_write(path, data, **kwargs)

    plan = plan_upgrade(root)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fsutil, "atomic_write_bytes", write_then_stop)
        with pytest.raises(KeyboardInterrupt):
            apply_upgrade(plan)
    now = tree(root)
    assert len(writes) == 6
    for path, data in now.items():
        if path != "cfmcp.json":
            assert data in (before.get(path), finished.get(path)), path

    # Run again, as a user would: the tree is not clean, but only with the upgrade's own work.
    # The conflict the stopped run wrote, and the owner's package, are still reported.
    result, report = upgrade(root)
    assert result.returncode == 1, result.stderr  # the conflict, not the uncommitted files
    assert "uncommitted" not in result.stdout
    assert report["conflicts"] == CONFLICTS and report["own_packages"] == ["is-odd"]
    after = tree(root)
    assert {p: d for p, d in after.items() if p != "cfmcp.json"} == {
        p: d for p, d in finished.items() if p != "cfmcp.json"
    }
    record = json.loads(after["cfmcp.json"])
    assert record["files"] == json.loads(finished["cfmcp.json"])["files"]
    assert record["conflicts"] == CONFLICTS and "upgrading" not in record
    assert blob_id(after["src/server.ts"]) != record["files"]["src/server.ts"]


# --- the upgraded project works ----------------------------------------------------------------


@pytest.mark.integration
@pytest.mark.parametrize("fixture", ["v4-github", "v4-stateful-node20"])
def test_the_upgraded_project_builds_tests_itself_and_serves_the_owners_tool(
    tmp_path, worker_project, fixture
):
    from tests.devserver import cfmcp_dev
    from tests.test_project_tests import npm_test

    root = generated(fixture, tmp_path / "legacy-mcp")
    edit_as_owner(root)
    result, _ = upgrade(root, "--toolchain", "current")
    assert result.returncode == 1
    resolve_taking_template(root / "src" / "server.ts")
    # The owner's tool moves into a file of its own, as the new layout has it.
    resolve_taking_template(root / "src" / "tools.ts")
    added = run_cfmcp("-C", str(root), "add", "tool", "shout", "--param", "text:string")
    assert added.returncode == 0, added.stderr
    shout = root / "src" / "tools" / "shout.ts"
    body = re.sub(r"const reply = .*;", "const reply = text.toUpperCase();", shout.read_text())
    shout.write_text(body)
    test = root / "test" / "shout.tool.test.ts"
    expected = 'const expected = "EXAMPLE";'
    test.write_text(re.sub(r"const expected = .*;", expected, test.read_text()))
    (root / "node_modules").symlink_to(worker_project / "node_modules", target_is_directory=True)

    tsc = subprocess.run(["npm", "run", "typecheck"], cwd=root, capture_output=True, text=True,
                         timeout=300)  # fmt: skip
    assert tsc.returncode == 0, tsc.stdout + tsc.stderr
    bundle = run_cfmcp("-C", str(root), "deploy", "--dry-run", "--json", timeout=300)
    assert bundle.returncode == 0, bundle.stdout + bundle.stderr
    code, output = npm_test(root, offline=True)
    assert code == 0, output

    with cfmcp_dev(root, "--user", "ada@example.dev") as running:
        check = run_cfmcp(
            "check", running.url, "--headless", "--json", "--era", "both",
            "--tool", "shout", "--args", '{"text": "hi"}', "--expect", "HI", timeout=120,
        )  # fmt: skip
        assert check.returncode == 0, check.stdout + check.stderr
        assert json.loads(check.stdout)["ok"] is True


def test_doctor_says_when_the_template_is_behind(tmp_path):
    root = generated("v4-github", tmp_path / "legacy")

    def template_check() -> dict:
        doctor = run_cfmcp("-C", str(root), "doctor", "--offline", "--json", timeout=120)
        checks = {check["name"]: check for check in json.loads(doctor.stdout)["checks"]}
        return checks["template"]

    check = template_check()
    assert check["status"] == "warn" and f"v4; this cfmcp writes v{CURRENT}" in check["message"]
    assert "cfmcp upgrade --dry-run" in check["fix"]
    result, _ = upgrade(root)
    assert result.returncode == 0, result.stderr
    assert template_check()["status"] == "pass"

    state = json.loads((root / "cfmcp.json").read_text())
    state["template"]["toolchain"]["wrangler"] = "4.0.0"
    (root / "cfmcp.json").write_text(json.dumps(state))
    check = template_check()
    assert check["status"] == "warn" and "pins behind" in check["message"], check
    assert "wrangler" in check["message"]


@pytest.mark.integration
def test_an_mcpagent_project_moved_to_stateless_deploys_deleting_its_class(
    tmp_path, worker_project, api
):
    """Deployed as McpAgent (migration v1 made MyMCP), upgraded `--to stateless`: the next
    deploy creates RefreshGate and deletes MyMCP, after the tag Cloudflare already has."""
    from tests.fake_cloudflare import isolated_env
    from tests.test_deploy import SECRET_VALUES, uploads

    root = generated("v1", tmp_path / "legacy-mcp")
    result, _ = upgrade(root, "--to", "stateless", "--toolchain", "current", "--yes")
    assert result.returncode == 0, result.stderr
    (root / "node_modules").symlink_to(worker_project / "node_modules", target_is_directory=True)
    wrangler = root / "wrangler.toml"
    wrangler.write_text(wrangler.read_text().replace("REPLACE_WITH_KV_NAMESPACE_ID", "1" * 32))
    api.namespaces["1" * 32] = "seeded"
    deployed = api.add_script("legacy-mcp", **SECRET_VALUES)
    deployed.metadata = {"migrations": {"new_tag": "v1"}}

    result = run_cfmcp("deploy", "--json", cwd=root, env=isolated_env(tmp_path, api), timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    metadata = json.loads(uploads(api, "legacy-mcp")[-1].multipart()["metadata"])
    assert metadata["migrations"]["old_tag"] == "v1"
    assert metadata["migrations"]["new_tag"] == "v3"
    assert metadata["migrations"]["steps"] == [
        {"new_sqlite_classes": ["RefreshGate"]},
        {"deleted_classes": ["MyMCP"]},
    ]
    assert "MCP_OBJECT" not in {b["name"] for b in metadata["bindings"]}


@pytest.mark.integration
def test_the_owners_own_package_joins_the_templates_set(tmp_path, worker_project):
    """package.json keeps the owner's package; the lockfile is the template's set with it
    added by npm install (from npm's cache, which the session's npm ci filled: offline)."""
    root = generated("v4-github", tmp_path / "legacy-mcp")
    (root / "my-lib").mkdir()
    (root / "my-lib" / "package.json").write_text('{"name": "my-lib", "version": "1.0.0"}\n')
    package = json.loads((root / "package.json").read_text())
    package["dependencies"]["my-lib"] = "file:./my-lib"
    (root / "package.json").write_text(json.dumps(package, indent=2) + "\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "Our own package")
    # Installed before: the upgrade installs again (a bare node_modules, as npm would see it).
    (root / "node_modules" / ".bin").mkdir(parents=True)
    (root / "node_modules" / ".bin" / "wrangler").write_text("")

    result = run_cfmcp(
        "-C", str(root), "upgrade", "--json", timeout=600, env={"npm_config_offline": "true"}
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["installed"] == "npm install" and report["own_packages"] == ["my-lib"]
    lock = json.loads((root / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/my-lib"]["resolved"] == "my-lib"
    assert lock["packages"]["node_modules/wrangler"]["version"] == "4.164.0"
    assert (root / "node_modules" / "my-lib" / "package.json").exists()
    assert (root / "node_modules" / ".bin" / "wrangler").stat().st_size > 0


def test_a_node20_project_moves_up_only_with_a_node_that_runs_the_current_set(
    tmp_path, current_node
):
    from tests import nodes

    root = generated("v1", tmp_path / "legacy-mcp")
    # Node 24 on PATH: the project stays on its set unless asked, and is told how to move.
    result, report = upgrade(root, "--dry-run")
    assert report["toolchain"] == {"from": "node20", "to": "node20"}
    assert any("cfmcp upgrade --toolchain current" in note for note in report["notes"])
    # Node 20 on PATH: moving is refused, saying which Node it needs; nothing is written.
    node20 = {"PATH": nodes.path_with(nodes.bin_dir(nodes.NODE20))}
    before = tree(root)
    result = run_cfmcp("-C", str(root), "upgrade", "--toolchain", "current", "--json", env=node20)
    assert result.returncode == 1
    error = json.loads(result.stdout)
    assert "too old" in error["error"] and "22.12" in error["error"]
    assert tree(root) == before
    result = run_cfmcp("-C", str(root), "upgrade", "--dry-run", "--json", env=node20)
    notes = json.loads(result.stdout)["notes"]
    assert any("stays on the node20 set" in note for note in notes), notes


# --- what an attacker or an unlucky user brings ----------------------------------------------


def test_a_crlf_checkout_merges_as_lf_and_stays_crlf(tmp_path):
    """git's core.autocrlf (Windows): the working files have CRLF, git's objects LF."""
    source = generated("v4-github", tmp_path / "source")
    edit_as_owner(source)
    root = tmp_path / "checkout"
    subprocess.run(["git", "-c", "core.autocrlf=true", "clone", "-q", str(source), str(root)],
                   check=True, capture_output=True)  # fmt: skip
    git(root, "config", "core.autocrlf", "true")
    assert b"\r\n" in (root / "src" / "oauth.ts").read_bytes()
    readme = root / "README.md"  # one line added with LF, as some editors do
    readme.write_bytes(readme.read_bytes() + b"A line of ours.\n")
    git(root, "commit", "-qam", "a line")
    result, report = upgrade(root)
    assert result.returncode == 1, result.stderr
    assert report["conflicts"] == CONFLICTS  # the edits that collide, as with LF
    plan = actions(report)
    assert plan["src/oauth.ts"] == "replace"
    oauth = (root / "src" / "oauth.ts").read_bytes()
    assert oauth.count(b"\n") == oauth.count(b"\r\n")  # written back with CRLF
    assert plan["README.md"] == "merge" and b"A line of ours.\r\n" in readme.read_bytes()
    tools = (root / "src" / "tools.ts").read_bytes()
    assert b"<<<<<<< yours" in tools and tools.count(b"\n") == tools.count(b"\r\n")


def test_without_a_base_a_second_run_still_offers_the_template(tmp_path):
    root = generated("v4-github", tmp_path / "legacy", with_git=False)
    upgrade(root)
    for offered in root.rglob("*.cfmcp-new"):
        offered.unlink()
    result, report = upgrade(root)
    assert result.returncode == 0
    assert actions(report)["src/oauth.ts"] == "beside"
    assert (
        "cannot tell whether you changed it"
        in {e["path"]: e["reason"] for e in report["files"]}["src/oauth.ts"]
    )


def test_a_first_commit_someone_else_made_is_no_base(tmp_path):
    """init without git, then the owner's edit, then their first commit: that commit holds the
    edit, so it cannot be what cfmcp wrote."""
    root = generated("v4-github", tmp_path / "legacy", with_git=False)
    oauth = root / "src" / "oauth.ts"
    oauth.write_text("// MY PATCH\n" + oauth.read_text())
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "first")
    result, report = upgrade(root)
    assert result.returncode == 0, result.stderr
    assert report["base"].startswith("none")
    assert oauth.read_text().startswith("// MY PATCH")
    assert (root / "src" / "oauth.ts.cfmcp-new").is_file()


def test_migrations_follow_the_classes_that_are_alive(tmp_path):
    from cfmcp.merge import merge_toml

    base = 'name = "x"\n'
    template = (
        'name = "x"\n\n[[migrations]]\ntag = "v1"\nnew_sqlite_classes = ["MyMCP"]\n\n'
        '[[migrations]]\ntag = "v2"\nnew_sqlite_classes = ["RefreshGate"]\n'
    )
    # The owner deleted MyMCP (a move to stateless) and comes back: it is made again.
    ours = (
        'name = "x"\n\n[[migrations]]\ntag = "v1"\nnew_sqlite_classes = ["MyMCP"]\n\n'
        '[[migrations]]\ntag = "v2"\nnew_sqlite_classes = ["RefreshGate"]\n\n'
        '[[migrations]]\ntag = "v3"\ndeleted_classes = ["MyMCP"]\n'
    )
    merged = tomlkit.parse(merge_toml(base, ours, template).data.decode()).unwrap()
    assert merged["migrations"][-1] == {"tag": "v4", "new_sqlite_classes": ["MyMCP"]}
    # The owner made RefreshGate under a tag of their own: not made twice.
    ours = 'name = "x"\n\n[[migrations]]\ntag = "add-gate"\nnew_classes = ["RefreshGate"]\n'
    merged = tomlkit.parse(merge_toml(base, ours, template).data.decode()).unwrap()
    assert merged["migrations"] == [
        {"tag": "add-gate", "new_classes": ["RefreshGate"]},
        {"tag": "v1", "new_sqlite_classes": ["MyMCP"]},
    ]


def test_an_inline_table_the_template_writes_as_tables_is_a_conflict(tmp_path):
    root = generated("v4-github", tmp_path / "legacy")
    wrangler = root / "wrangler.toml"
    inline = 'durable_objects = { bindings = [{ name = "X", class_name = "X" }] }\n'
    text = wrangler.read_text().replace(
        'main = "src/index.ts"\n', 'main = "src/index.ts"\n' + inline
    )
    wrangler.write_text(text)
    git(root, "commit", "-qam", "inline bindings")
    result, report = upgrade(root)
    assert result.returncode == 1
    assert "wrangler.toml" in report["conflicts"]
    reason = {e["path"]: e["reason"] for e in report["files"]}["wrangler.toml"]
    assert "durable_objects.bindings" in reason and "REFRESH_GATE" in reason
    # Done as it says, and committed: the next run is content.
    gate = '{ name = "REFRESH_GATE", class_name = "RefreshGate" }'
    wrangler.write_text(
        wrangler.read_text().replace('class_name = "X" }', f'class_name = "X" }}, {gate}')
    )
    git(root, "commit", "-qam", "the gate, inline")
    result, report = upgrade(root)
    assert result.returncode == 0, result.stdout
    assert "wrangler.toml" not in report["conflicts"]


def test_a_second_upgrade_at_the_same_time_stops(tmp_path):
    from cfmcp.upgrade import upgrade_lock

    root = generated("v4-github", tmp_path / "legacy")
    before = tree(root)
    with upgrade_lock(root):
        result, report = upgrade(root)
    assert result.returncode == 1 and "Another cfmcp upgrade" in report["error"]
    assert tree(root) == before
    result, _ = upgrade(root)  # once the first is done, the next one runs
    assert result.returncode == 0


def test_an_interrupted_upgrade_in_a_bigger_repository_finishes(tmp_path):
    from cfmcp.record import uncommitted_changes

    repository = tmp_path / "monorepo"
    root = generated("v4-github", repository / "apps" / "mcp", with_git=False)
    git(repository, "init", "-q")
    git(repository, "add", "-A")
    git(repository, "commit", "-qm", "Initial commit from cfmcp init")
    (root / "src" / "tools.ts").write_text("// changed\n")
    (root / "new file.ts").write_text("")
    from cfmcp.project import Project

    assert sorted(uncommitted_changes(Project(root))) == ["new file.ts", "src/tools.ts"]


def test_a_file_where_the_template_needs_a_folder_is_left_alone(tmp_path):
    root = generated("v2-stateful", tmp_path / "legacy")
    (root / "test").write_text("x\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "a file named test")
    result, report = upgrade(root)
    assert result.returncode == 1, result.stdout
    assert actions(report)["test/harness.ts"] == "skip"
    assert "a file where the template needs a folder" in result.stdout
    assert (root / "test").read_text() == "x\n"


def test_a_record_naming_other_files_removes_nothing(tmp_path):
    root = generated("v4-github", tmp_path / "legacy")
    state = json.loads((root / "cfmcp.json").read_text())
    config = (root / ".git" / "config").read_bytes()
    state["files"] = {".git/config": blob_id(config), "src/notes.ts": blob_id(b"mine\n")}
    (root / "src" / "notes.ts").write_text("mine\n")
    (root / "cfmcp.json").write_text(json.dumps(state))
    git(root, "add", "-A")
    git(root, "commit", "-qm", "hand-edited record")
    result, _ = upgrade(root)
    assert result.returncode == 0, result.stderr
    assert (root / ".git" / "config").read_bytes() == config
    assert (root / "src" / "notes.ts").read_text() == "mine\n"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"name": {"x": 1}}, "options.name"),
        ({"name": 'my"name'}, "cannot use"),
        ({"name": "My Server"}, "cannot use"),
        ({"auth": 0}, "options.auth"),
        ({"variant": "sideways"}, "options.variant"),
        ({"toolchain": "bogus"}, "toolchain set 'bogus'"),
        ({"variant": "stateful", "auth": "none"}, "stateful server without sign-in"),
    ],
)
def test_hand_edited_options_are_refused(tmp_path, options, message):
    root = generated("v4-github", tmp_path / "legacy")
    state = json.loads((root / "cfmcp.json").read_text())
    state["options"].update(options)
    (root / "cfmcp.json").write_text(json.dumps(state))
    assert_refused(root, message)


@pytest.mark.parametrize("dependencies", [["hono"], "hono", 3])
def test_a_package_json_npm_could_not_read_is_refused(tmp_path, dependencies):
    root = generated("v4-github", tmp_path / "legacy")
    package = json.loads((root / "package.json").read_text())
    package["dependencies"] = dependencies
    (root / "package.json").write_text(json.dumps(package))
    assert_refused(root, "not an object of package names")


def test_a_very_long_recorded_path_is_refused(tmp_path):
    root = generated("v4-github", tmp_path / "legacy")
    state = json.loads((root / "cfmcp.json").read_text())
    state["files"] = {"a" * 5000: "0" * 40}
    (root / "cfmcp.json").write_text(json.dumps(state))
    assert_refused(root, "outside the project")


def test_an_interrupted_move_is_finished_as_it_was_started(tmp_path, current_node):
    """Stopped half-way through --to stateless, run again without --to: it finishes the move
    (the journal says where it was going), not half a project of each design."""
    from cfmcp import fsutil
    from cfmcp.upgrade import apply_upgrade, plan_upgrade

    root = generated("v2-stateful", tmp_path / "legacy-mcp")
    plan = plan_upgrade(root, to="stateless")
    real_write, writes = fsutil.atomic_write_bytes, []

    def write_then_stop(path, data, **kwargs):
        if len(writes) == 10:
            raise KeyboardInterrupt
        writes.append(path)
        real_write(path, data, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fsutil, "atomic_write_bytes", write_then_stop)
        with pytest.raises(KeyboardInterrupt):
            apply_upgrade(plan)
    result, report = upgrade(root, "--yes")
    assert result.returncode == 0, result.stdout + result.stderr
    assert report["variant"] == "stateless"
    assert "MyMCP" not in (root / "src" / "index.ts").read_text()
    config = tomlkit.parse((root / "wrangler.toml").read_text()).unwrap()
    assert config["migrations"][-1]["deleted_classes"] == ["MyMCP"]
    assert json.loads((root / "cfmcp.json").read_text())["options"]["variant"] == "stateless"


def test_environments_get_what_the_template_adds_and_keep_what_they_bind(tmp_path, current_node):
    root = generated("v2-stateful", tmp_path / "legacy-mcp")
    wrangler = root / "wrangler.toml"
    wrangler.write_text(
        wrangler.read_text()
        + '\n[env.staging]\nname = "legacy-staging"\n\n'
        + '[[env.staging.migrations]]\ntag = "v1"\nnew_sqlite_classes = ["MyMCP"]\n\n'
        + '[[env.production.durable_objects.bindings]]\nname = "SESSIONS"\nclass_name = "MyMCP"\n'
    )
    git(root, "commit", "-qam", "environments")
    result, _ = upgrade(root, "--dry-run")
    assert result.returncode == 0, result.stdout
    result, _ = upgrade(root)
    assert result.returncode == 0, result.stdout
    config = tomlkit.parse(wrangler.read_text()).unwrap()
    staging = config["env"]["staging"]
    # Rate limits are new since v2 and not inherited: staging gets its own copy.
    assert [r["name"] for r in staging["ratelimits"]] == [
        "REGISTRATION_LIMIT", "REGISTRATION_LIMIT_ALL",
    ]  # fmt: skip
    # Its own migrations get the gate the code now needs.
    assert staging["migrations"][-1] == {"tag": "v2", "new_sqlite_classes": ["RefreshGate"]}

    # Moving off the stateful design while production still binds MyMCP: no deletion.
    git(root, "add", "-A")
    git(root, "commit", "-qm", "upgraded")
    result, _ = upgrade(root, "--to", "stateless", "--yes")
    assert result.returncode == 1
    assert "a binding still uses MyMCP" in result.stdout
    config = tomlkit.parse(wrangler.read_text()).unwrap()
    assert not any("deleted_classes" in m for m in config["migrations"])


def test_a_byte_order_mark_is_read_and_kept(tmp_path):
    root = generated("v4-github", tmp_path / "legacy")
    package = root / "package.json"
    data = json.loads(package.read_text())
    data["dependencies"]["is-odd"] = "3.0.1"
    package.write_bytes(b"\xef\xbb\xbf" + json.dumps(data, indent=2).encode() + b"\n")
    git(root, "commit", "-qam", "saved with a BOM")
    result, report = upgrade(root)
    assert result.returncode == 0, result.stdout
    assert report["own_packages"] == ["is-odd"]
    assert package.read_bytes().startswith(b"\xef\xbb\xbf")
    assert json.loads(package.read_bytes()[3:])["dependencies"]["is-odd"] == "3.0.1"
