"""`cfmcp upgrade`: take a project forward to the current template and toolchain set, keeping
every change its owner made.

The base of every merge is what cfmcp wrote: cfmcp.json's "files" names it by git blob id, and
the project's git history holds it (cfmcp's first commit; `upgrade` writes what it renders
into git's object store too, so the next upgrade finds its base even for a merged file).
Projects made before that record get their base from the commit that added cfmcp.json.

Like copier's `update`: a file its owner never changed is replaced; a file only its owner
changed is kept; a file both changed is merged, conflicts left as git's markers and listed,
and the command exits non-zero while any remain. Unlike copier, which refuses to start without
git, a project without history gets a two-way plan: `FILE.cfmcp-new` beside each file it
cannot merge, never overwriting a changed file.

Every file is replaced in one step (old or new content, never half). A journal in cfmcp.json,
written before the first file, names what each file becomes: an interrupted run, run again,
counts the files it already wrote as done and finishes the rest.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cfmcp import __version__
from cfmcp.errors import CfmcpError, UsageError
from cfmcp.merge import conflict_regions
from cfmcp.names import worker_name_problem
from cfmcp.project import STATE_FILE, Project
from cfmcp.record import (
    check_relative,
    find_base,
    find_git,
    read_record,
    store_blobs,
    uncommitted_changes,
    version_number,
)
from cfmcp.scaffold import DEFAULT_PROVIDER, Template, Toolchain, blob_id
from cfmcp.upgrade_files import (
    LOCKFILE,
    NEW_SUFFIX,
    PACKAGE_JSON,
    FileStep,
    Journal,
    count_lines,
    plan_file,
)

Progress = Callable[[str], AbstractContextManager[Any]]


def _quiet(message: str) -> AbstractContextManager[Any]:
    return nullcontext()


@dataclass
class UpgradePlan:
    project: Project
    template: Template
    from_version: str
    variant: str
    auth: str
    toolchain: Toolchain
    from_toolchain: str
    base_source: str  # where the base came from, in words
    steps: list[FileStep]
    rendered: dict[str, bytes]  # path -> what the template writes now
    own_packages: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    git: str | None = None  # git executable, when the project is in a repository
    deleted_classes: list[str] = field(default_factory=list)  # Durable Objects a move deletes
    base: dict[str, str] = field(default_factory=dict)  # path -> blob id of what cfmcp wrote
    journal: Journal = field(default_factory=Journal)  # an interrupted run's, being finished

    @property
    def changes(self) -> list[FileStep]:
        return [s for s in self.steps if s.action not in ("keep", "unchanged", "skip")]

    @property
    def conflicts(self) -> list[FileStep]:
        return [s for s in self.steps if s.action == "conflict"]

    @property
    def writes(self) -> list[FileStep]:
        """The steps that write or remove a file."""
        return [s for s in self.changes if s.data is not None or s.action == "remove"]

    @property
    def packages_changed(self) -> bool:
        return any(s.path in (PACKAGE_JSON, LOCKFILE) for s in self.changes)


@dataclass
class UpgradeResult:
    plan: UpgradePlan
    dry_run: bool
    installed: str | None = None  # "npm ci" / "npm install" when it ran
    unresolved: list[str] = field(default_factory=list)  # earlier conflicts still marked

    @property
    def conflicts(self) -> list[str]:
        return [s.path for s in self.plan.conflicts] + self.unresolved

    def problem(self) -> CfmcpError | None:
        """Why the command exits non-zero: conflicts left, or files it had to leave alone."""
        if self.conflicts:
            listed = ", ".join(self.conflicts)
            return CfmcpError(
                f"Conflicts to resolve in {listed}"
                + (" (nothing written: --dry-run)." if self.dry_run else "."),
                hint="Edit each <<<<<<< … >>>>>>> region to what it should be (yours above "
                "=======, the template's below; in wrangler.toml, add what its line names), "
                "then run cfmcp upgrade again to check.",
            )
        skipped = [s.path for s in self.plan.steps if s.action == "skip"]
        if skipped:
            return CfmcpError(
                f"Left alone: {', '.join(skipped)} (symlinks or not regular files).",
                hint="Replace each with a regular file inside the project, then run cfmcp "
                "upgrade again.",
            )
        return None

    def to_json(self) -> dict[str, Any]:
        plan = self.plan
        return {
            "root": str(plan.project.root),
            "dry_run": self.dry_run,
            "template": {"from": plan.from_version, "to": plan.template.version},
            "toolchain": {"from": plan.from_toolchain, "to": plan.toolchain.name},
            "variant": plan.variant,
            "auth": plan.auth,
            "base": plan.base_source,
            "files": [step.to_json() for step in plan.steps if step.action != "unchanged"],
            "conflicts": self.conflicts,
            "own_packages": plan.own_packages,
            "installed": self.installed,
            "notes": plan.notes,
        }


# --- planning --------------------------------------------------------------------------------


def plan_upgrade(
    root: Path,
    *,
    toolchain: str | None = None,
    to: str | None = None,
    force: bool = False,
    dry_run: bool = False,
) -> UpgradePlan:
    """Read the project, render the current template with its options and decide, file by
    file, what happens; nothing is written."""
    from cfmcp.init import template_context
    from cfmcp.scaffold import load_template, render_files

    project = Project(root.resolve())
    state = read_record(project)
    template = load_template()
    from_version = str(state["template"]["version"])
    if version_number(from_version, project) > version_number(template.version, project):
        raise CfmcpError(
            f"This project uses template version {from_version}, newer than this cfmcp's "
            f"({template.version}, cfmcp {__version__}); nothing was changed.",
            hint="Upgrade cfmcp itself first: pip install --upgrade cfmcp",
        )
    journal = Journal.read(state, template)
    options = state.get("options", {})
    wrangler = _read_wrangler(project)
    name = _option(options, "name", None) or str(wrangler.get("name") or "")
    problem = worker_name_problem(name) if name else "it is missing"
    if problem:
        raise CfmcpError(
            f"{STATE_FILE} names the Worker {name!r}, which cfmcp cannot use: {problem}; "
            "nothing was changed.",
            hint=f'Set options.name in {STATE_FILE} to the name in wrangler.toml, e.g. "my-mcp".',
        )
    auth = _option(options, "auth", template.providers) or DEFAULT_PROVIDER
    # Template version 1 had one design: McpAgent, a Durable Object per session (stateful).
    was = _option(options, "variant", template.variants) or "stateful"
    # An interrupted run is finished as it was started (its --to and --toolchain), unless
    # this run says otherwise: then its journal no longer describes what is written.
    to = to or journal.options.get("variant")
    toolchain = toolchain or journal.options.get("toolchain")
    variant = _check_variant(to, template, auth) if to is not None else was
    if variant == "stateful" and auth == "none":
        raise CfmcpError(
            f"{STATE_FILE} says a stateful server without sign-in, which cfmcp does not make.",
            hint="Fix options.variant or options.auth in cfmcp.json, or pass --to stateless.",
        )
    from_toolchain = _option(options, "toolchain", None) or _toolchain_of(project, template)
    if from_toolchain not in template.toolchains and toolchain is None:
        raise CfmcpError(
            f"{STATE_FILE} names toolchain set {from_toolchain!r}, which this cfmcp does not "
            "know; nothing was changed.",
            hint="Pick one: cfmcp upgrade --toolchain "
            + " or --toolchain ".join(template.toolchains),
        )
    chosen, toolchain_notes = _choose_toolchain(template, from_toolchain, toolchain)
    if journal.options != {"variant": variant, "auth": auth, "toolchain": chosen.name}:
        journal = Journal()
    variables = wrangler.get("vars") if isinstance(wrangler.get("vars"), dict) else {}
    issuer = str(variables.get("OIDC_ISSUER", "")) if auth == "oidc" else ""
    context = template_context(
        template, name=name, variant=variant, auth=auth, issuer=issuer, toolchain=chosen
    )
    rendered = render_files(template, {"variant": variant, "auth": auth, "toolchain": chosen.name},
                            context)  # fmt: skip
    git = find_git(project)
    # Off the stateful design, the sessions' Durable Object class goes (after a question).
    deleted = ["MyMCP"] if was == "stateful" and variant == "stateless" else []
    base, base_source, read_base = find_base(project, template, state, git)
    plan = UpgradePlan(
        project=project,
        template=template,
        from_version=from_version,
        variant=variant,
        auth=auth,
        toolchain=chosen,
        from_toolchain=from_toolchain,
        base_source=base_source,
        steps=[],
        rendered={p.as_posix(): data for p, data in rendered.items()},
        notes=toolchain_notes,
        git=git,
        deleted_classes=deleted,
        base=base,
        journal=journal,
    )
    owned = {p.as_posix() for p in rendered} | set(base) | set(template.retired)
    labels = ("yours", f"cfmcp template v{from_version}", f"cfmcp template v{template.version}")
    for path in sorted(owned):
        new = rendered.get(Path(path))
        if new is None and path not in base and path not in template.retired:
            continue  # in the first commit, but never a template file: the owner's
        step = plan_file(project, path, base.get(path), new, read_base, labels, journal, plan)
        if step is not None:
            count_lines(project, step)
            plan.steps.append(step)
    if not plan.own_packages and journal.files.get(PACKAGE_JSON):
        plan.own_packages = journal.own_packages
    if variant != was:
        plan.notes.append(f"The project moves from the {options.get('variant') or 'McpAgent'} "
                          f"design to {variant}.")  # fmt: skip
    if not dry_run and not force and plan.writes:
        _refuse_uncommitted(project, journal)
    return plan


def _refuse_uncommitted(project: Project, journal: Journal) -> None:
    """Changes to write and uncommitted work in git: stop, so `git diff` shows the upgrade
    alone and undoing it loses nothing. What an interrupted run or an earlier `.cfmcp-new`
    wrote is the upgrade's own, not the owner's work."""
    its_own = {STATE_FILE, *journal.its_own}
    changed = [
        path
        for path in uncommitted_changes(project)
        if path not in its_own and not path.endswith(NEW_SUFFIX)
    ]
    if changed:
        shown = ", ".join(changed[:5]) + (" …" if len(changed) > 5 else "")
        raise CfmcpError(
            f"The project has uncommitted changes ({shown}); nothing was changed.",
            hint="Commit them first (git add -A && git commit), so that git diff shows the "
            "upgrade alone and git checkout -- . && git clean -fd undoes it; or pass --force.",
        )


def _option(options: dict[str, Any], key: str, known: dict[str, str] | None) -> str | None:
    """options[key] from cfmcp.json: None when absent (an older record), else a string (one
    of `known`); anything else is a hand edit cfmcp cannot act on."""
    value = options.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or (known is not None and value not in known):
        choices = f" (one of: {', '.join(known)})" if known else ""
        raise CfmcpError(
            f"{STATE_FILE} has options.{key} = {json.dumps(value)}, which cfmcp does not know; "
            "nothing was changed.",
            hint=f"Fix options.{key} in {STATE_FILE}{choices}, or restore it from git.",
        )
    return value


def _read_wrangler(project: Project) -> dict[str, Any]:
    if not project.wrangler_toml.is_file():
        return {}
    try:
        return project.load_wrangler().unwrap()
    except Exception:  # the merge reports a broken wrangler.toml, with its line
        return {}


def _check_variant(to: str, template: Template, auth: str) -> str:
    if to not in template.variants:
        known = ", ".join(template.variants)
        raise UsageError(f"Unknown --to {to!r}.", hint=f"Use one of: {known}.")
    if to == "stateful" and auth == "none":
        raise UsageError("A public server (--auth none) is stateless; --to stateful needs sign-in.")
    return to


def _toolchain_of(project: Project, template: Template) -> str:
    """For a record without a toolchain (template version 1): the set whose wrangler pin the
    project's package.json has, else the oldest set."""
    import json

    try:
        package = json.loads((project.root / PACKAGE_JSON).read_text(encoding="utf-8"))
        pinned = package.get("devDependencies", {}).get("wrangler")
    except (OSError, ValueError, AttributeError):
        pinned = None
    for toolchain in template.toolchains.values():
        if toolchain.wrangler == pinned:
            return toolchain.name
    return list(template.toolchains)[-1]


def _choose_toolchain(
    template: Template, current: str, wanted: str | None
) -> tuple[Toolchain, list[str]]:
    from cfmcp.node import find_node, node_version

    newest = next(iter(template.toolchains.values()))
    if wanted is not None and wanted not in template.toolchains:
        raise UsageError(
            f"Unknown --toolchain {wanted!r}.", hint="Use one of: " + ", ".join(template.toolchains)
        )
    name = wanted or (current if current in template.toolchains else newest.name)
    chosen = template.toolchains[name]
    notes = []
    if wanted is not None and wanted != current:
        find_node(chosen.min_node, needed_by=f"the {wanted} toolchain set (wrangler "
                  f"{chosen.wrangler})")  # fmt: skip
    elif chosen is not newest:
        node = shutil.which("node")
        version = node_version(node) if node else None
        if version is not None and version >= newest.min_node:
            notes.append(
                f"This Node ({'.'.join(map(str, version))}) runs the current toolchain set "
                f"(wrangler {newest.wrangler}): cfmcp upgrade --toolchain {newest.name}"
            )
        else:
            notes.append(
                f"The project stays on the {chosen.name} set (wrangler {chosen.wrangler}): "
                f"Node.js {newest.min_node_text}+ brings wrangler {newest.wrangler} "
                f"(then cfmcp upgrade --toolchain {newest.name})."
            )
    return chosen, notes


def apply_upgrade(plan: UpgradePlan) -> None:
    """Write the plan: the journal first, then each file in one step, cfmcp.json's new record
    last. npm is `install_packages`, after."""
    from cfmcp.fsutil import atomic_write_bytes

    project = plan.project
    state = project.read_state()
    writes = [s for s in plan.writes if s.action != "remove"]
    earlier = plan.journal  # an interrupted run's: what it wrote is part of this run's work
    journal = Journal(
        options={"variant": plan.variant, "auth": plan.auth, "toolchain": plan.toolchain.name},
        files={
            **earlier.files,
            **{s.path: blob_id(s.data or b"") for s in writes if s.action != "beside"},
        },
        beside=sorted(
            {*earlier.beside, *(s.path + NEW_SUFFIX for s in writes if s.action == "beside")}
        ),
        removed=sorted({*earlier.removed, *(s.path for s in plan.writes if s.action == "remove")}),
        conflicts={
            **earlier.conflicts,
            **{s.path: s.reason or "conflicts to resolve" for s in plan.conflicts},
        },
        own_packages=plan.own_packages,
    )
    if plan.writes:
        project.write_state({**state, "upgrading": journal.to_json(plan.template)})
    store_blobs(plan.git, project, list(plan.rendered.values()))
    for step in plan.changes:
        target = project.root / step.path
        if step.action == "remove":
            target.unlink(missing_ok=True)
            continue
        if step.data is None:
            continue  # written by an interrupted run
        if step.action == "beside":
            target = target.with_name(target.name + NEW_SUFFIX)
        target.parent.mkdir(parents=True, exist_ok=True)
        mode = (target.stat().st_mode & 0o7777) if target.is_file() else None
        atomic_write_bytes(target, step.data or b"", mode=mode)
    recorded = {key: value for key, value in state.items() if key != "upgrading"}
    _record(recorded, plan)
    if recorded != project.read_state():
        project.write_state(recorded)


def _record(state: dict[str, Any], plan: UpgradePlan) -> None:
    from cfmcp.init import template_record

    options = state.setdefault("options", {})
    options.update(variant=plan.variant, auth=plan.auth, toolchain=plan.toolchain.name)
    state["cfmcp"] = __version__
    state["template"] = template_record(plan.template, plan.toolchain)
    files = {path: blob_id(data) for path, data in sorted(plan.rendered.items())}
    for step in plan.steps:  # not taken: their base stays what it was (or unknown)
        if step.action in ("beside", "skip") and step.path in files:
            if step.path in plan.base:
                files[step.path] = plan.base[step.path]
            else:
                del files[step.path]
    state["files"] = files
    state["conflicts"] = sorted(
        {s.path for s in plan.conflicts}
        | {p for p in state.get("conflicts", []) if isinstance(p, str) and _still_marked(plan, p)}
    )
    if not state["conflicts"]:
        del state["conflicts"]


def _still_marked(plan: UpgradePlan, path: str) -> bool:

    try:
        check_relative(path, plan.project)
        return conflict_regions((plan.project.root / path).read_bytes()) > 0
    except (OSError, CfmcpError):
        return False


@contextmanager
def upgrade_lock(root: Path) -> Iterator[None]:
    """One upgrade at a time in a project: a second one, started while the first plans or
    writes, would merge into files the first has half done. It stops at once instead."""
    from cfmcp.fsutil import LockBusy, project_lock

    try:
        with project_lock(root, "upgrade", wait=False):
            yield
    except LockBusy:
        raise CfmcpError(
            "Another cfmcp upgrade is running in this project; nothing was changed.",
            hint="Let it finish, then run cfmcp upgrade again to see what is left.",
        ) from None


def install_packages(plan: UpgradePlan) -> str:
    """npm ci with the template's lockfile, or npm install when the owner added packages of
    their own (npm adds them to the template's set)."""
    from cfmcp.node import find_node, run_npm

    node = find_node(plan.toolchain.min_node, needed_by=f"wrangler {plan.toolchain.wrangler}")
    command = "install" if plan.own_packages else "ci"
    run_npm(plan.project.root, node, command)
    return f"npm {command}"


def sessions_end(plan: UpgradePlan) -> str | None:
    """The one question an upgrade asks: moving off the stateful design deletes its Durable
    Object class, and with it every open session."""
    if not plan.deleted_classes:
        return None
    return (
        f"Moving to {plan.variant} deletes the Durable Object class "
        f"{', '.join(plan.deleted_classes)} when you next deploy: open MCP sessions end (clients "
        "reconnect and sign in again) and the data those objects kept is gone."
    )


def finish(plan: UpgradePlan, *, dry_run: bool, installed: str | None = None) -> UpgradeResult:
    """The result, with the conflicts an earlier upgrade left that are still marked."""
    result = UpgradeResult(plan, dry_run=dry_run, installed=installed)
    listed = plan.project.read_state().get("conflicts", [])
    fresh = {s.path for s in plan.conflicts}
    result.unresolved = [
        p for p in listed if isinstance(p, str) and p not in fresh and _still_marked(plan, p)
    ]
    return result


def upgrade(
    root: Path,
    *,
    dry_run: bool = False,
    force: bool = False,
    install: bool = True,
    toolchain: str | None = None,
    to: str | None = None,
    confirm: Callable[[str], bool] | None = None,
    progress: Progress = _quiet,
) -> UpgradeResult:
    """The whole command: plan, ask the one question a move off the stateful design needs
    (`confirm`; None: nobody can be asked, so the move stops with a hint to pass --yes),
    apply (unless `dry_run`), then install. One upgrade at a time in a project."""
    with upgrade_lock(root):
        with progress("Comparing the project with the current template…"):
            plan = plan_upgrade(root, toolchain=toolchain, to=to, force=force, dry_run=dry_run)
        if dry_run:
            return finish(plan, dry_run=True)
        question = sessions_end(plan)
        if question and confirm is None:
            raise CfmcpError(question, hint="Pass --yes to go ahead.")
        if question and confirm is not None and not confirm(question):
            raise CfmcpError("Nothing was changed.", exit_code=1)
        with progress("Writing the upgrade…"):
            apply_upgrade(plan)
    installed = None
    if install and plan.packages_changed and plan.project.has_node_modules:
        with progress("Installing the new package set…"):
            installed = install_packages(plan)
    return finish(plan, dry_run=False, installed=installed)
