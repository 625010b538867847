"""`cfmcp add tool|resource|prompt`: the files, the list, the test; names and inputs checked,
nothing written on bad input; and (integration) in every design the project still type-checks,
bundles and passes its own `npm test`, which fails when the new test's expectation does not
hold, while real clients list and use the new pieces in both protocol eras."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from cfmcp.add import KINDS, add_to_list
from cfmcp.errors import CfmcpError
from tests.conftest import copy_project, run_cfmcp, sibling_project


def tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


@pytest.fixture(scope="module")
def template_project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("add") / "add-mcp"
    made = run_cfmcp("init", str(root), "--no-install", "--no-git", "--yes", "--json")
    assert made.returncode == 0, made.stderr
    return root


@pytest.fixture
def project(template_project, tmp_path) -> Path:
    import shutil

    return Path(shutil.copytree(template_project, tmp_path / "add-mcp"))


def add(cli, project: Path, *args: str):
    return cli("-C", str(project), "add", *args)


def words(result) -> str:
    return " ".join(result.output.split())


# --- what is written -----------------------------------------------------------------------------


def test_a_tool_gets_its_file_its_place_in_the_list_and_its_test(cli, project):
    result = add(cli, project, "tool", "get_weather", "--description", "The weather in a city.",
                 "--param", "city:string", "--param", "days?:integer",
                 "--param", "unit:celsius,fahrenheit", "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report == {
        "ok": True,
        "kind": "tool",
        "name": "get_weather",
        "created": ["src/tools/get_weather.ts", "test/get_weather.tool.test.ts"],
        "updated": ["src/tools.ts"],
        "test": "test/get_weather.tool.test.ts",
        "backups": report["backups"],  # no git here: see the backup test
        "notes": [],
        "dry_run": False,
    }
    source = (project / "src/tools/get_weather.ts").read_text()
    assert '"get_weather"' in source and '"The weather in a city."' in source
    assert "city: z.string()" in source and "days: z.number().int().optional()" in source
    assert 'unit: z.enum(["celsius", "fahrenheit"])' in source
    assert "user: () => UserProps" in source  # the signed-in user at hand
    tools = (project / "src/tools.ts").read_text()
    assert 'import * as get_weather from "./tools/get_weather";\n' in tools
    assert re.search(r"\[\s*add,\s*whoami,\s*get_weather,?\s*\]", tools)
    test = (project / "test/get_weather.tool.test.ts").read_text()
    assert 'const args = { city: "example", days: 1, unit: "celsius" };' in test
    expected = 'get_weather: not written yet (got {"city":"example","days":1,"unit":"celsius"})'
    assert f"const expected = '{expected}';" in test


def test_a_resource_with_variables_is_a_template_and_one_without_is_fixed(cli, project):
    assert add(cli, project, "resource", "notes", "--uri", "resource://notes/{id}").exit_code == 0
    notes = (project / "src/resources/notes.ts").read_text()
    assert 'new ResourceTemplate("resource://notes/{id}", { list: undefined })' in notes
    assert "async (uri, { id }) =>" in notes
    assert (
        'const uri = "resource://notes/example";'
        in (project / "test/notes.resource.test.ts").read_text()
    )
    result = add(cli, project, "resource", "readme", "--mime-type", "text/markdown")
    assert result.exit_code == 0, result.output
    readme = (project / "src/resources/readme.ts").read_text()
    assert '"resource://readme",' in readme and '"text/markdown"' in readme
    assert "ResourceTemplate" not in readme
    resources = (project / "src/resources.ts").read_text()
    assert re.search(r"\[\s*about,\s*notes,\s*readme,?\s*\]", resources)


def test_a_prompt_takes_text_arguments(cli, project):
    result = add(cli, project, "prompt", "review", "--arg", "code", "--arg", "focus?")
    assert result.exit_code == 0, result.output
    prompt = (project / "src/prompts/review.ts").read_text()
    assert "code: z.string()" in prompt and "focus: z.string().optional()" in prompt
    assert re.search(r"\[\s*summarize,\s*review,?\s*\]", (project / "src/prompts.ts").read_text())
    refused = add(cli, project, "prompt", "other", "--arg", "count:integer")
    assert refused.exit_code == 2 and "a prompt's arguments are text" in words(refused)


def test_an_input_named_like_the_answer_gets_another_name_for_it(cli, project):
    assert add(cli, project, "tool", "shout", "--param", "text:string").exit_code == 0
    source = (project / "src/tools/shout.ts").read_text()
    assert "async ({ text }) =>" in source and "const reply = `shout: not written" in source
    assert '{ type: "text", text: reply }' in source


def test_dry_run_shows_everything_and_writes_nothing(cli, project):
    before = tree(project)
    result = add(cli, project, "tool", "ping", "--dry-run")
    assert result.exit_code == 0, result.output
    assert tree(project) == before
    assert "src/tools/ping.ts (new)" in result.output and "test/ping.tool.test.ts" in result.output
    assert '+ import * as ping from "./tools/ping";' in result.output
    report = json.loads(add(cli, project, "prompt", "hello", "--dry-run", "--json").stdout)
    assert report["dry_run"] is True and tree(project) == before


def test_the_list_is_backed_up_unless_git_holds_it_as_it_is(cli, project):
    tools = project / "src" / "tools.ts"
    original = tools.read_text()
    # Not in git (the project was made with --no-git): a copy beside it first.
    report = json.loads(add(cli, project, "tool", "one", "--json").stdout)
    [backup] = report["backups"]
    assert Path(backup).read_text() == original
    Path(backup).unlink()
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], cwd=project, check=True)
    subprocess.run([*git, "add", "-A"], cwd=project, check=True)
    subprocess.run([*git, "commit", "-qm", "x"], cwd=project, check=True)
    report = json.loads(add(cli, project, "tool", "two", "--json").stdout)
    assert report["backups"] == []  # git has it
    changed = tools.read_text()
    report = json.loads(add(cli, project, "tool", "three", "--json").stdout)
    [backup] = report["backups"]
    assert Path(backup).read_text() == changed  # its change is not committed


def test_a_name_with_a_dash_is_imported_in_camel_case(cli, project):
    assert add(cli, project, "tool", "get-weather").exit_code == 0
    tools = (project / "src/tools.ts").read_text()
    assert 'import * as getWeather from "./tools/get-weather";' in tools
    assert '"get-weather"' in (project / "src/tools/get-weather.ts").read_text()


def test_an_app_brings_its_view_and_the_build_once(cli, project):
    result = add(cli, project, "app", "dashboard", "--param", "week:integer", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["created"] == [
        "apps/dashboard/view.html", "apps/dashboard/view.ts", "apps/tsconfig.json",
        "scripts/build-apps.mjs", "src/html.d.ts", "src/tools/dashboard.ts",
        "test/dashboard.app.test.ts",
    ]  # fmt: skip
    assert report["updated"] == ["src/tools.ts", "wrangler.toml", "package.json"]
    assert report["notes"] == []  # the template's package.json has ext-apps and esbuild
    tool = (project / "src/tools/dashboard.ts").read_text()
    assert 'const VIEW = "ui://dashboard/view.html";' in tool
    assert 'import view from "../../dist/apps/dashboard.html";' in tool
    assert "_meta: { ui: { resourceUri: VIEW } }" in tool
    assert (
        'import { App } from "@modelcontextprotocol/ext-apps";'
        in (project / "apps/dashboard/view.ts").read_text()
    )
    import tomlkit

    wrangler = tomlkit.parse((project / "wrangler.toml").read_text()).unwrap()
    assert wrangler["build"] == {"command": "node scripts/build-apps.mjs", "watch_dir": "apps"}
    package = json.loads((project / "package.json").read_text())
    assert package["scripts"]["typecheck"].endswith(" && tsc -p apps")
    assert package["scripts"]["build:apps"] == "node scripts/build-apps.mjs"

    # A second app: its own view, nothing shared written again.
    before = {p: (project / p).read_text() for p in ("wrangler.toml", "package.json")}
    second = json.loads(add(cli, project, "app", "chart", "--json").stdout)
    assert second["created"] == ["apps/chart/view.html", "apps/chart/view.ts",
                                 "src/tools/chart.ts", "test/chart.app.test.ts"]  # fmt: skip
    assert second["updated"] == ["src/tools.ts"]
    assert {p: (project / p).read_text() for p in before} == before
    refused = add(cli, project, "tool", "chart")
    assert refused.exit_code == 1 and "src/tools/chart.ts already exists" in words(refused)


def test_an_apps_tool_is_found_by_name_when_adding_a_tool(cli, project):
    assert add(cli, project, "app", "dashboard").exit_code == 0
    source = project / "src/tools/dashboard.ts"
    source.rename(project / "src/tools/board.ts")
    result = add(cli, project, "tool", "dashboard")
    assert result.exit_code == 1
    assert "There is a tool 'dashboard' already, in src/tools/board.ts" in words(result)


def test_an_owners_build_command_is_left_alone(cli, project):
    wrangler = project / "wrangler.toml"
    wrangler.write_text(wrangler.read_text() + '\n[build]\ncommand = "make"\n')
    before = tree(project)
    result = add(cli, project, "app", "dashboard")
    assert result.exit_code == 1
    message = words(result)
    assert 'wrangler.toml has a [build] of its own (command = "make")' in message
    assert 'command = "node scripts/build-apps.mjs && <yours>"' in message
    assert tree(project) == before


def test_a_project_without_the_apps_packages_gets_them_named(cli, project):
    package = project / "package.json"
    data = json.loads(package.read_text())
    del data["dependencies"]["@modelcontextprotocol/ext-apps"]
    esbuild = data["devDependencies"].pop("esbuild")  # the one of the project's toolchain
    package.write_text(json.dumps(data, indent=2) + "\n")
    report = json.loads(add(cli, project, "app", "dashboard", "--json").stdout)
    data = json.loads(package.read_text())
    assert data["dependencies"]["@modelcontextprotocol/ext-apps"] == "2.0.4"
    assert data["devDependencies"]["esbuild"] == esbuild
    assert report["notes"] == [
        "Run npm install: package.json now names @modelcontextprotocol/ext-apps@2.0.4, "
        f"esbuild@{esbuild}."
    ]


# --- refused, with nothing written ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["tool", "1st"], 2, "is not a name cfmcp can give a tool"),
        (["tool", "has space"], 2, "is not a name cfmcp can give a tool"),
        (["tool", "a" * 65], 2, "is not a name cfmcp can give a tool"),
        (["tool", "../escape"], 2, "is not a name cfmcp can give a tool"),
        (["tool", "delete"], 2, "is a reserved word in TypeScript"),
        (["tool", "add"], 1, "src/tools/add.ts already exists: there is a tool 'add' already"),
        (["tool", "whoami"], 1, "src/tools/whoami.ts already exists"),
        (["tool", "registerTools"], 1, "src/tools.ts already uses the name 'registerTools'"),
        (["prompt", "summarize"], 1, "src/prompts/summarize.ts already exists"),
        (["tool", "x", "--param", "city"], 2, "no type is not a type cfmcp knows"),
        (["tool", "x", "--param", "city:float"], 2, "float is not a type cfmcp knows"),
        (["tool", "x", "--param", "1city:string"], 2, "is not a name an argument can have"),
        (["tool", "x", "--param", "a:string", "--param", "a:number"], 2, "'a' is given twice"),
        (["tool", "x", "--param", "user:string"], 2, "a name the new tool's code uses"),
        (["tool", "x", "--param", "u:a b,c"], 2, "is not a type cfmcp knows"),
        (["tool", "x", "--description", ""], 2, "The description must be 1 to 1000"),
        (["tool", "x", "--description", "x" * 1001], 2, "The description must be 1 to 1000"),
        (["tool", "x", "--description", "bell\x07"], 2, "The description must be 1 to 1000"),
        (["resource", "x", "--uri", "not a uri"], 2, "is not a URI cfmcp can give"),
        (["resource", "x", "--uri", 'resource://"x'], 2, "is not a URI cfmcp can give"),
        (["resource", "x", "--uri", "resource://x/${id}"], 2, "is not a URI cfmcp can give"),
        (["resource", "x", "--uri", "resource://x/{+path}"], 2, "no RFC 6570 operators"),
        (["resource", "x", "--uri", "resource://x/{uri}"], 2, "a name the new resource's code"),
        (["resource", "x", "--uri", "resource://x/{a}/{a}"], 2, "'a' is given twice"),
        (["resource", "x", "--uri", "resource://x/{a"], 2, "each variable in braces"),
        (["resource", "x", "--mime-type", "text"], 2, "is not a MIME type"),
        (["app", "x", "--param", "view:string"], 2, "a name the new app's code uses"),
        (["tool", "constructor"], 2, "a member every JavaScript object has"),
        (["prompt", "toString"], 2, "a member every JavaScript object has"),
        (["tool", "x", "--param", "JSON:string"], 2, "is not a name an argument can have"),
        (["tool", "x", "--param", "__proto__:string"], 2, "is not a name an argument can have"),
        (["tool", "x", "--param", "u:a,b,a"], 2, "is not a type cfmcp knows"),
        (["tool", "x", "--description", "\udcff"], 2, "is not valid text"),
        (["resource", "x", "--uri", "https://example.com"], 2, "Use --uri https://example.com/"),
        (["resource", "x", "--uri", "https://Example.com/a"], 2, "--uri https://example.com/a"),
        (["resource", "x", "--uri", "resource://x/café"], 2, "--uri resource://x/caf%C3%A9"),
        (["resource", "x", "--uri", "resource://x/a}b"], 2, "each variable in braces"),
        (["resource", "x", "--uri", "resource://x/{a}{b}"], 2, "side by side"),
        (["resource", "x", "--uri", "resource://about"], 1, "src/resources/about.ts serves"),
        (["app", "add"], 1, "src/tools/add.ts already exists"),
    ],
)
def test_bad_input_is_refused_with_nothing_written(cli, project, args, code, message):
    before = tree(project)
    result = add(cli, project, *args)
    assert result.exit_code == code, result.output
    assert message in words(result), words(result)
    assert "hint" in result.output or code == 2 or "already" in message
    assert "Traceback" not in result.output
    assert tree(project) == before


def test_a_tool_registered_in_a_file_of_another_name_is_found(cli, project):
    whoami = project / "src" / "tools" / "whoami.ts"
    whoami.write_text(whoami.read_text().replace('"whoami"', '"me"'))
    before = tree(project)
    result = add(cli, project, "tool", "me")
    assert result.exit_code == 1
    assert "There is a tool 'me' already, in src/tools/whoami.ts" in words(result)
    assert tree(project) == before


def test_a_name_differing_by_case_alone_is_refused(cli, project):
    assert add(cli, project, "tool", "weather").exit_code == 0
    before = tree(project)
    result = add(cli, project, "tool", "Weather")
    assert result.exit_code == 1 and "differs from 'Weather' by case alone" in words(result)
    assert tree(project) == before


def test_an_apps_view_uri_is_taken_for_resources(cli, project):
    assert add(cli, project, "app", "board").exit_code == 0
    result = add(cli, project, "resource", "x", "--uri", "ui://board/view.html")
    assert result.exit_code == 1 and "src/tools/board.ts serves a resource" in words(result)


def test_inputs_named_like_every_local_still_get_one(cli, project):
    args = [arg for name in ("text", "reply", "answer", "result", "output")
            for arg in ("--param", f"{name}:string")]  # fmt: skip
    assert add(cli, project, "tool", "busy", *args).exit_code == 0
    assert "const text0 = `busy: not written" in (project / "src/tools/busy.ts").read_text()


def test_a_description_may_hold_carriage_returns(cli, project):
    assert add(cli, project, "tool", "crlf", "--description", "one\r\ntwo").exit_code == 0
    assert '"one\\r\\ntwo"' in (project / "src/tools/crlf.ts").read_text()


def test_two_adds_at_once_both_land_in_the_list(project):
    import sys

    names = [f"tool{n}" for n in range(6)]
    running = [
        subprocess.Popen([sys.executable, "-m", "cfmcp", "-C", str(project), "add", "tool", name],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for name in names
    ]  # fmt: skip
    for process in running:
        assert process.wait(timeout=120) == 0, process.stderr.read() if process.stderr else ""
    tools = (project / "src/tools.ts").read_text()
    for name in names:
        assert f'import * as {name} from "./tools/{name}";' in tools
        assert re.search(rf"^\s*{name},?$", tools, re.MULTILINE) or f", {name}" in tools, tools


def test_a_crlf_list_stays_crlf(cli, project):
    tools = project / "src" / "tools.ts"
    tools.write_bytes(tools.read_bytes().replace(b"\n", b"\r\n"))
    assert add(cli, project, "tool", "ping").exit_code == 0
    data = tools.read_bytes()
    assert data.count(b"\n") == data.count(b"\r\n") and b"ping" in data


def test_a_failed_app_leaves_no_folder_behind(cli, project, monkeypatch):
    from cfmcp import fsutil

    def refused(path, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    before = tree(project)
    monkeypatch.setattr(fsutil, "atomic_write_text", refused)
    result = add(cli, project, "app", "board")
    assert result.exit_code == 1
    assert "Cannot write" in words(result) and "nothing was changed" in words(result)
    assert tree(project) == before
    assert not (project / "apps").exists() and not (project / "scripts").exists()


def test_package_json_keeps_its_tabs_and_refuses_duplicate_keys(cli, project):
    package = project / "package.json"
    data = json.loads(package.read_text())
    package.write_text(json.dumps(data, indent="\t").replace("\n", "\r\n") + "\r\n")
    assert add(cli, project, "app", "board").exit_code == 0
    text = package.read_bytes()
    assert b'\r\n\t"scripts": {' in text and text.count(b"\n") == text.count(b"\r\n")


def test_package_json_with_a_key_twice_is_left_alone(cli, project):
    package = project / "package.json"
    text = package.read_text().replace("{", '{\n  "//": "one",\n  "//": "two",', 1)
    package.write_text(text)
    before = tree(project)
    result = add(cli, project, "app", "chart")
    assert result.exit_code == 1 and "has the key '//' twice" in words(result)
    assert tree(project) == before


def test_an_environments_own_build_is_left_alone(cli, project):
    wrangler = project / "wrangler.toml"
    wrangler.write_text(wrangler.read_text() + '\n[env.staging.build]\ncommand = "make"\n')
    before = tree(project)
    result = add(cli, project, "app", "board")
    assert result.exit_code == 1 and "[env.staging] a build of its own" in words(result)
    assert tree(project) == before


def test_a_list_file_of_another_shape_is_left_as_it_is(cli, project):
    tools = project / "src" / "tools.ts"
    tools.write_text("export function registerTools() {}\n")
    before = tree(project)
    result = add(cli, project, "tool", "ping")
    assert result.exit_code == 1
    message = words(result)
    assert "src/tools.ts has no `const tools = [ … ];` list" in message
    assert 'import * as ping from "./tools/ping";' in message  # what to do by hand
    assert tree(project) == before
    tools.unlink()
    result = add(cli, project, "tool", "ping")
    assert result.exit_code == 1 and "src/tools.ts is missing" in words(result)


def test_outside_a_project_it_says_where_to_run_it(cli, tmp_path):
    result = cli("-C", str(tmp_path), "add", "tool", "ping")
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "wrangler.toml" in result.output or "project" in result.output


def test_the_list_changed_meanwhile_stops_it_and_removes_what_it_wrote(project):
    from cfmcp import add as generator
    from cfmcp.project import Project

    plan = generator.plan_add(Project(project), "tool", "ping")
    tools = project / "src" / "tools.ts"
    tools.write_text(tools.read_text() + "// mine\n")
    with pytest.raises(CfmcpError, match="changed while cfmcp was working"):
        generator.apply_add(plan)
    assert not (project / "src/tools/ping.ts").exists()
    assert tools.read_text().endswith("// mine\n")


def test_interrupted_before_the_list_is_written_it_leaves_no_new_file(project, monkeypatch):
    from cfmcp import add as generator
    from cfmcp import fsutil
    from cfmcp.project import Project

    plan = generator.plan_add(Project(project), "tool", "ping")
    before = tree(project)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(fsutil, "atomic_write_text", interrupted)
    with pytest.raises(KeyboardInterrupt):
        generator.apply_add(plan)
    assert tree(project) == before  # the new files, and the list's backup, gone again


# --- the list file, in the shapes people give it -------------------------------------------------

TOOL = KINDS["tool"]
HEAD = 'import type { McpServer } from "@modelcontextprotocol/server";\n'


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (
            HEAD + 'import * as add from "./tools/add";\n\nconst tools = [add];\n',
            HEAD + 'import * as add from "./tools/add";\nimport * as ping from "./tools/ping";'
            "\n\nconst tools = [add, ping];\n",
        ),
        (
            HEAD + "\nexport const tools = [];\n",
            HEAD + 'import * as ping from "./tools/ping";\n\nexport const tools = [ping];\n',
        ),
        (
            HEAD + 'import * as add from "./tools/add";\n\nconst tools = [\n    add,\n];\n',
            HEAD + 'import * as add from "./tools/add";\nimport * as ping from "./tools/ping";'
            "\n\nconst tools = [\n    add,\n    ping,\n];\n",
        ),
        (
            HEAD + 'import * as add from "./tools/add";\n\nconst tools = [\n  add\n];\n',
            HEAD + 'import * as add from "./tools/add";\nimport * as ping from "./tools/ping";'
            "\n\nconst tools = [\n  add,\n  ping\n];\n",
        ),
        (
            (HEAD + 'import * as add from "./tools/add";\r\n\r\nconst tools = [add];\r\n').replace(
                ";\n", ";\r\n"
            ),
            (HEAD + 'import * as add from "./tools/add";\r\nimport * as ping from "./tools/ping";'
             "\r\n\r\nconst tools = [add, ping];\r\n").replace(";\n", ";\r\n"),
        ),
        (
            HEAD + "\nconst tools = [\n  add,\n  whoami // who you are\n];\n",
            HEAD + 'import * as ping from "./tools/ping";\n'
            "\nconst tools = [\n  add,\n  whoami, // who you are\n  ping\n];\n",
        ),
        (
            HEAD + "\nconst tools = [\n  add,\n  // whoami, (disabled: see [issue 3])\n];\n",
            HEAD + 'import * as ping from "./tools/ping";\n'
            "\nconst tools = [\n  add,\n  ping,\n  // whoami, (disabled: see [issue 3])\n];\n",
        ),
        (
            HEAD + "\nconst tools = [add, /* whoami, */];\n",
            HEAD + 'import * as ping from "./tools/ping";\n'
            "\nconst tools = [add, ping, /* whoami, */];\n",
        ),
        (
            HEAD + "\nconst tools = [add, extra];\n" + 'import * as extra from "./tools/extra";\n',
            HEAD + "\nconst tools = [add, extra, ping];\n"
            'import * as extra from "./tools/extra";\nimport * as ping from "./tools/ping";\n',
        ),
    ],
    ids=["one-line", "empty", "one-a-line", "no-trailing-comma", "crlf", "comment-after-last",
         "commented-out-last", "block-comment-last", "import-below"],
)  # fmt: skip
def test_the_list_grows_in_its_own_style(before, after):
    assert add_to_list(before, TOOL, "ping", Path("src/tools.ts")) == after


def test_a_long_list_goes_one_name_a_line():
    names = [f"tool_number_{n}" for n in range(6)]
    text = HEAD + "".join(f'import * as {n} from "./tools/{n}";\n' for n in names)
    text += f"\nconst tools = [{', '.join(names)}];\n"
    grown = add_to_list(text, TOOL, "ping", Path("src/tools.ts"))
    assert "const tools = [\n" + "".join(f"  {n},\n" for n in [*names, "ping"]) + "];\n" in grown
    assert all(len(line) <= 100 for line in grown.splitlines())


# --- the project with the new pieces, for real (integration) --------------------------------------

PIECES = [
    ("tool", "get_weather", "--description", 'The "weather" <in> a city.', "--param",
     "city:string", "--param", "days?:integer", "--param", "unit:celsius,fahrenheit"),
    ("tool", "ping"),
    ("resource", "notes", "--uri", "resource://notes/{id}"),
    ("resource", "readme", "--mime-type", "text/markdown", "--description", "Ünïcode ✓"),
    ("prompt", "review", "--arg", "code", "--arg", "focus?"),
    ("prompt", "hello"),
    ("app", "dashboard", "--description", "The week at a glance.", "--param", "week:integer"),
]  # fmt: skip
ERAS = ("modern", "legacy")
NEW_TESTS = {
    f"{test} ({era} protocol)"
    for era in ERAS
    for test in (
        "get_weather answers",
        "ping answers",
        "notes is listed and read",
        "readme is listed and read",
        "review is listed and gives its message",
        "hello is listed and gives its message",
        "dashboard names its view and answers",
        "dashboard's view is a self-contained MCP App",
    )
}


@pytest.fixture(scope="module", params=["stateless", "stateful", "public"])
def grown(request, worker_project, tmp_path_factory) -> Path:
    """A project of each design with every kind of piece added."""
    folder = tmp_path_factory.mktemp(f"grown-{request.param}")
    if request.param == "stateless":
        root = copy_project(worker_project, folder / "grown-mcp")
    else:
        option = "--stateful" if request.param == "stateful" else "--auth=none"
        root = sibling_project(folder / "grown-mcp", worker_project, option)
    for piece in PIECES:
        result = run_cfmcp("-C", str(root), "add", *piece)
        assert result.returncode == 0, result.stderr
    return root


@pytest.mark.integration
def test_it_type_checks_bundles_and_passes_its_own_tests(grown):
    from tests.test_project_tests import failed, npm_test, passed

    tsc = subprocess.run(["npm", "run", "typecheck"], cwd=grown, capture_output=True, text=True,
                         timeout=300)  # fmt: skip
    assert tsc.returncode == 0, tsc.stdout + tsc.stderr
    bundle = run_cfmcp("-C", str(grown), "deploy", "--dry-run", "--json", timeout=300)
    assert bundle.returncode == 0, bundle.stdout + bundle.stderr
    code, output = npm_test(grown)
    assert code == 0, output
    assert passed(output) >= NEW_TESTS, output

    # The test says what to change: the tool written differently, its test fails until the
    # expectation follows; and each kind's test fails when its expectation is not what the
    # piece gives (in one design: the test files are the same in all three).
    if "grown-stateless" not in str(grown):
        return
    changes = {
        "src/tools/get_weather.ts": ("const text = .*;", "const text = `Sunny in ${city}`;"),
        "test/notes.resource.test.ts": ("const expected = .*;", 'const expected = "x";'),
        "test/review.prompt.test.ts": ("const expected = .*;", 'const expected = "x";'),
        "test/dashboard.app.test.ts": ("const expected = .*;", 'const expected = "x";'),
    }
    before = {path: (grown / path).read_text() for path in changes}
    for path, (pattern, replacement) in changes.items():
        changed = re.sub(pattern, replacement.replace("\\", "\\\\"), before[path], count=1)
        assert changed != before[path], path
        (grown / path).write_text(changed)
    try:
        code, output = npm_test(grown)
        assert code != 0, output
        assert failed(output) - {"failing tests:"} == {
            f"{test} ({era} protocol)"
            for era in ERAS
            for test in ("get_weather answers", "notes is listed and read",
                         "review is listed and gives its message",
                         "dashboard names its view and answers")
        }, output  # fmt: skip
    finally:
        for path, text in before.items():
            (grown / path).write_text(text)


@pytest.mark.integration
def test_real_clients_list_and_use_the_new_pieces(grown, tmp_path):
    from tests import nodes
    from tests.devserver import cfmcp_dev
    from tests.signin import tokens_for
    from tests.test_real_clients import INSPECTOR, MCP_REMOTE, private_file, quiet_home

    with cfmcp_dev(grown, "--user", "ada@example.dev") as running:
        for args in (
            ["--tool", "get_weather", "--args", '{"city": "Oslo", "unit": "celsius"}', "--expect",
             'get_weather: not written yet (got {"city":"Oslo","unit":"celsius"})'],
            ["--resource", "resource://notes/42", "--expect",
             'notes: not written yet (got {"id":"42"})'],
            ["--prompt", "review", "--args", '{"code": "x = 1"}', "--expect",
             'review: not written yet (got {"code":"x = 1"})'],
        ):  # fmt: skip
            check = run_cfmcp("check", running.url, "--headless", "--json", "--era", "both",
                              *args, timeout=120)  # fmt: skip
            assert check.returncode == 0, check.stdout + check.stderr
            steps = [step["name"] for step in json.loads(check.stdout)["steps"]]
            assert any(("modern" in s or "2026" in s) and args[1] in s for s in steps), steps

        inspector = nodes.npm_tools(INSPECTOR, MCP_REMOTE) / "mcp-inspector"
        entry: dict = {"type": "streamable-http", "url": f"{running.url}/mcp"}
        if (grown / "src/oauth.ts").exists():
            token = tokens_for(running.url)["access_token"]
            entry["headers"] = {"Authorization": f"Bearer {token}"}
        config = private_file(tmp_path / "servers.json", json.dumps({"mcpServers": {"s": entry}}))

        def inspect(*method: str, era: str) -> dict:
            result = subprocess.run(
                [str(inspector), "--cli", "--config", str(config), "--server", "s",
                 "--protocol-era", era, *method, "--format", "json"],
                capture_output=True, text=True, timeout=120, env=quiet_home(tmp_path),
                stdin=subprocess.DEVNULL,
            )  # fmt: skip
            assert result.returncode == 0, result.stdout + result.stderr
            return json.loads(result.stdout)["result"]

        for era in ("modern", "legacy"):
            read = inspect("--method", "resources/read", "--uri", "resource://notes/7", era=era)
            assert read["contents"] == [
                {
                    "uri": "resource://notes/7",
                    "mimeType": "text/plain",
                    "text": 'notes: not written yet (got {"id":"7"})',
                }
            ]
            got = inspect("--method", "prompts/get", "--prompt-name", "review",
                          "--prompt-args", "code=y", era=era)  # fmt: skip
            assert got["messages"] == [
                {
                    "role": "user",
                    "content": {
                        "type": "text",
                        "text": 'review: not written yet (got {"code":"y"})',
                    },
                }
            ]
            listed = inspect("--method", "resources/templates/list", era=era)
            templates = [listed_one["uriTemplate"] for listed_one in listed["resourceTemplates"]]
            assert "resource://notes/{id}" in templates


def test_after_a_run_killed_half_way_it_says_what_to_delete(cli, project):
    (project / "src/tools/ping.ts").write_text("// written, never listed\n")
    result = add(cli, project, "tool", "ping")
    assert result.exit_code == 1
    message = words(result)
    assert "It is not listed in src/tools.ts" in message
    assert "delete src/tools/ping.ts and test/ping.tool.test.ts" in message
