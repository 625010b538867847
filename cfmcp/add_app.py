"""What `cfmcp add app NAME` adds beyond a tool: the view (`apps/NAME/view.html` and
`view.ts`, written with `@modelcontextprotocol/ext-apps`' App class), and the first time, the
build that turns each view into one self-contained HTML file the Worker imports as text.

That build is `scripts/build-apps.mjs`, run by wrangler itself before each build and when
`apps/` changes (`[build]` in wrangler.toml: `cfmcp dev`, `deploy` and the project's tests all
go through it), with esbuild, the bundler wrangler uses: no second toolchain to learn. The
views are type-checked against the DOM (`apps/tsconfig.json`, in `npm run typecheck`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cfmcp.errors import CfmcpError

if TYPE_CHECKING:
    from cfmcp.add import AddPlan, Render
    from cfmcp.project import Project

BUILD_COMMAND = "node scripts/build-apps.mjs"
TYPECHECK_VIEWS = "tsc -p apps"
# Written once, for every app: generators folder path -> project path.
SHARED = {
    "app/shared/build-apps.mjs": "scripts/build-apps.mjs",
    "app/shared/tsconfig.json": "apps/tsconfig.json",
    "app/shared/html.d.ts": "src/html.d.ts",
}
BUILD_TABLE = f'''
# The apps' views (apps/), each built into one HTML file the Worker serves: before each build,
# and again when apps/ changes.
[build]
command = "{BUILD_COMMAND}"
watch_dir = "apps"
'''


def check_free(project: Project, name: str) -> None:
    folder = project.root / "apps" / name
    if folder.exists() or folder.is_symlink():
        raise CfmcpError(
            f"apps/{name} already exists: there is an app {name!r} already.",
            hint="Choose another name.",
        )


def plan_view(plan: AddPlan, context: dict[str, Any], render: Render) -> None:
    """Add the view's files, the build's (once) and the edits that run it to `plan`."""
    root = plan.project.root
    name = plan.name
    plan.new_files[f"apps/{name}/view.html"] = render("app/view.html.j2", context)
    plan.new_files[f"apps/{name}/view.ts"] = render("app/view.ts.j2", context)
    for source, target in SHARED.items():
        if not (root / target).exists():
            plan.new_files[target] = render(source, context)
    text = _read(root / "wrangler.toml")
    new = with_build(text)
    if new != text:
        plan.edits["wrangler.toml"] = (text, new)
    text = _read(root / "package.json")
    new, installs = with_packages(text, plan.project)
    if new != text:
        plan.edits["package.json"] = (text, new)
    if installs:
        plan.notes.append(f"Run npm install: package.json now names {', '.join(installs)}.")


def _read(path: Path) -> str:
    from cfmcp.add import read_exact

    try:
        return read_exact(path)
    except FileNotFoundError:
        raise CfmcpError(
            f"{path.name} is missing from the project; nothing was written.",
            hint=f"An app needs the project's {path.name}: restore it (git checkout -- "
            f"{path.name}), then run cfmcp add app again.",
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CfmcpError(f"Cannot read {path.name}: {exc}; nothing was written.") from exc


def with_build(text: str) -> str:
    """wrangler.toml with the apps' build, added as a table of its own (comments and the rest
    kept); a [build] of the owner's is left alone, with what to do."""
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    bom = "\ufeff" if text.startswith("\ufeff") else ""
    try:
        document = tomlkit.parse(text[len(bom) :])
    except TOMLKitError as exc:
        raise CfmcpError(f"wrangler.toml is not valid TOML: {exc}; nothing was written.") from exc
    environments = document.get("env")
    own = [str(env) for env, table in (environments or {}).items()
           if isinstance(table, dict) and "build" in table]  # fmt: skip
    if own:
        raise CfmcpError(
            f"wrangler.toml gives [env.{own[0]}] a build of its own, which would not build the "
            "apps' views there; nothing was written.",
            hint=f'Add "{BUILD_COMMAND} && " to that command and "apps" to its watch_dir, '
            "then run cfmcp add app again.",
        )
    build = document.get("build")
    if build is None:
        newline = "\r\n" if "\r\n" in text else "\n"
        return text.rstrip("\r\n") + newline + BUILD_TABLE.replace("\n", newline)
    command = build.get("command") if isinstance(build, dict) else None
    if isinstance(command, str) and BUILD_COMMAND in command:
        return text
    raise CfmcpError(
        f"wrangler.toml has a [build] of its own (command = {json.dumps(str(command))}): cfmcp "
        "cannot add the apps' build to it; nothing was written.",
        hint=f'Run both from it, e.g. command = "{BUILD_COMMAND} && <yours>", and add "apps" '
        "to its watch_dir; then run cfmcp add app again.",
    )


def with_packages(text: str, project: Project) -> tuple[str, list[str]]:
    """package.json with the views' type-check and build scripts, and ext-apps and esbuild
    (for a project from before they were in the template); returns it and what npm must
    install."""
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    body = text[len(bom) :]
    twice: list[str] = []

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for key, value in pairs:
            if key in seen:
                twice.append(key)
            seen[key] = value
        return seen

    try:
        package = json.loads(body, object_pairs_hook=no_duplicates)
    except json.JSONDecodeError as exc:
        raise CfmcpError(
            f"package.json is not valid JSON (line {exc.lineno}); nothing was written."
        ) from exc
    if not isinstance(package, dict):
        raise CfmcpError("package.json is not a JSON object; nothing was written.")
    if twice:
        raise CfmcpError(
            f"package.json has the key {twice[0]!r} twice: rewriting it would lose one; "
            "nothing was written.",
            hint=f'Add the scripts by hand ("build:apps": "{BUILD_COMMAND}", and '
            f'" && {TYPECHECK_VIEWS}" at the end of "typecheck"), or keep the key once.',
        )
    scripts = package.setdefault("scripts", {})
    typecheck = scripts.get("typecheck")
    if isinstance(typecheck, str) and TYPECHECK_VIEWS not in typecheck:
        scripts["typecheck"] = f"{typecheck} && {TYPECHECK_VIEWS}"
    scripts.setdefault("build:apps", BUILD_COMMAND)
    installs = []
    for section, package_name, version in _needed(project):
        current = package.get("dependencies", {}) | package.get("devDependencies", {})
        if package_name not in current:
            package.setdefault(section, {})[package_name] = version
            installs.append(f"{package_name}@{version}")
    if package == json.loads(body):
        return text, installs
    indent: str | int = _indent_of(body)
    newline = "\r\n" if "\r\n" in body else "\n"
    new = json.dumps(package, indent=indent, ensure_ascii=False) + "\n"
    return bom + new.replace("\n", newline), installs


def _indent_of(text: str) -> str | int:
    """The indentation the file uses (a tab, or a number of spaces), 2 when it shows none."""
    found = re.search(r"\n([ \t]+)\S", text)
    if not found:
        return 2
    indent = found.group(1)
    return indent if "\t" in indent else len(indent)


def _needed(project: Project) -> list[tuple[str, str, str]]:
    """(section, package, version) the apps need, as this cfmcp's template pins them."""
    from cfmcp import scaffold
    from cfmcp.record import read_record

    template = scaffold.load_template(scaffold.DEFAULT_TEMPLATE)
    source = (template.root / "package.json.j2").read_text(encoding="utf-8")
    ext_apps = re.search(r'"@modelcontextprotocol/ext-apps": "([^"]+)"', source)
    try:
        chosen = read_record(project).get("template", {}).get("toolchain", {}).get("name")
    except CfmcpError:
        chosen = None
    toolchain = template.toolchains.get(str(chosen)) or next(iter(template.toolchains.values()))
    needed = [("devDependencies", "esbuild", toolchain.esbuild)]
    if ext_apps:
        needed.insert(0, ("dependencies", "@modelcontextprotocol/ext-apps", ext_apps.group(1)))
    return needed
