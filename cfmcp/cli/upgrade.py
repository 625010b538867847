"""`cfmcp upgrade`."""

from __future__ import annotations

import typer

from cfmcp.cli.app import JSON_OPTION, app, can_ask, complete_from

_MARKS = {
    "add": ("+", "green"),
    "replace": ("↻", "cyan"),
    "merge": ("⇄", "cyan"),
    "conflict": ("✗", "red"),
    "beside": ("→", "yellow"),
    "remove": ("-", "magenta"),
    "keep": ("=", "dim"),
    "skip": ("!", "yellow"),
}

# Actions whose mark says it all; the others say why on their line.
_PLAIN = {"add", "replace", "remove"}
_LEGEND = {
    "add": "added",
    "replace": "replaced (never changed by you)",
    "merge": "merged",
    "conflict": "conflicts",
    "beside": "template's version beside yours",
    "remove": "removed (gone from the template)",
    "keep": "kept",
    "skip": "left alone",
}


@app.command(
    epilog="Example: [bold]cfmcp upgrade --dry-run[/bold]   then   [bold]cfmcp upgrade[/bold]",
    rich_help_panel="Start",
)
def upgrade(
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Show what would change, file by file; write nothing."
    ),
    force: bool = typer.Option(
        False, "--force", help="Run even with uncommitted changes in the project's git."
    ),
    install: bool = typer.Option(
        True, "--install/--no-install", help="Run npm ci (npm install) when the packages change."
    ),
    toolchain: str | None = typer.Option(
        None,
        "--toolchain",
        metavar="SET",
        help="Move to this toolchain set (current: Node 22.12+; node20). Default: the project's.",
        autocompletion=complete_from("current", "node20"),
    ),
    to: str | None = typer.Option(
        None,
        "--to",
        metavar="VARIANT",
        help="Move to this design: stateless (the default) or stateful. Default: the project's.",
        autocompletion=complete_from("stateless", "stateful"),
    ),
    yes: bool = typer.Option(False, "--yes", "-y", help="Answer yes to the one question."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Take the project to this cfmcp's template and toolchain, keeping your changes.

    File by file: one you never changed is replaced; one only you changed is kept; one both
    changed is merged (git's conflict markers where the two collide, listed, exit 1 until
    resolved). wrangler.toml is merged by key (your vars, bindings and routes stay) and
    package.json by package (the template's pins, your packages). Commit first: it refuses
    uncommitted changes unless --force, so you can always diff and revert.
    """
    from cfmcp import console
    from cfmcp.cli.app import spinner
    from cfmcp.project import find_project
    from cfmcp.upgrade import upgrade as run_upgrade

    def ask(question: str) -> bool:
        console.warn(question)
        return typer.confirm("Go ahead?", default=False)

    confirm = (lambda question: True) if yes else ask if can_ask(as_json) else None
    result = run_upgrade(
        find_project().root,
        dry_run=dry_run,
        force=force,
        install=install,
        toolchain=toolchain,
        to=to,
        confirm=confirm,
        progress=spinner,
    )
    problem = result.problem()
    if as_json:
        console.print_result(result.to_json(), error=problem)
        if problem:
            raise typer.Exit(problem.exit_code)
        return
    _render(result)
    if problem:
        raise problem


def _render(result) -> None:  # type: ignore[no-untyped-def]
    from rich.markup import escape

    from cfmcp import console

    plan = result.plan
    out = console.err_console()
    out.print(
        f"[bold]cfmcp upgrade[/bold]: template v{plan.from_version} → v{plan.template.version}, "
        f"toolchain {plan.from_toolchain} → {plan.toolchain.name}, {plan.variant}, sign-in "
        f"{plan.auth}  [dim](base: {escape(plan.base_source)})[/dim]"
    )
    shown = [step for step in plan.steps if step.action != "unchanged"]
    for step in shown:
        mark, colour = _MARKS[step.action]
        lines = ""
        if step.added_lines or step.removed_lines:
            lines = f" [green]+{step.added_lines}[/green] [red]-{step.removed_lines}[/red]"
        why = "" if step.action in _PLAIN else f"  [dim]{escape(step.describe())}[/dim]"
        out.print(f"  [{colour}]{mark}[/{colour}] {escape(step.path)}{lines}{why}")
        for note in step.notes:
            out.print(f"      [dim]{escape(note)}[/dim]")
    if not shown:
        out.print("  Nothing to change: the project is on the current template.")
    else:
        used = [a for a in _MARKS if a in {step.action for step in shown}]
        legend = "  ".join(f"{_MARKS[a][0]} {_LEGEND[a]}" for a in used)
        out.print(f"  [dim]{legend}[/dim]")
    for note in plan.notes:
        console.info(note)
    if result.installed:
        console.success(f"Installed the new package set ({result.installed})")
    elif plan.packages_changed and not result.dry_run:
        npm = "npm install" if plan.own_packages else "npm ci"
        console.info(f"The packages changed: run {npm} in the project.")
    count = len(plan.writes)
    files = f"{count} file{'s' if count != 1 else ''}"
    if not result.dry_run and count:
        console.success(f"Upgraded: {files} changed. Review with git diff, then run npm test.")
    elif result.dry_run and count:
        console.info(f"Nothing written (--dry-run): cfmcp upgrade would change {files}.")
