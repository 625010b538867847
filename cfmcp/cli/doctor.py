"""`cfmcp doctor`."""

from __future__ import annotations

import typer

from cfmcp.cli.app import (
    ENV_OPTION,
    JSON_OPTION,
    app,
)


@app.command(
    epilog="Example: [bold]cfmcp doctor[/bold]   or   [bold]cfmcp doctor --offline --json[/bold]",
    rich_help_panel="Connect and diagnose",
)
def doctor(
    env: str | None = ENV_OPTION,
    offline: bool = typer.Option(
        False, "--offline", help="Skip the checks that call Cloudflare (sign-in, secrets)."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Check the machine and the project, one line each with its fix.

    Python, Node, wrangler (and whether it runs on this Node), sign-in, KV id, secrets on
    Cloudflare, .dev.vars (mode, git-ignored), the dev port. Exit 1 when a check fails;
    warnings don't. On a project that has never been deployed, the Cloudflare checks are
    marked ○ (not needed until you deploy) instead of failing.
    """
    from cfmcp import console
    from cfmcp.doctor import run_doctor

    with console.spinner("Checking…"):
        report = run_doctor(env=env, offline=offline)
    if as_json:
        failed = [check.name for check in report.checks if check.status == "fail"]
        problem = None
        if failed:
            from cfmcp.errors import CfmcpError

            problem = CfmcpError(
                f"{len(failed)} check{'s' if len(failed) > 1 else ''} failed: {', '.join(failed)}.",
                hint="Each failed check says its fix.",
            )
        console.print_result(report.to_json(), error=problem)
    else:
        from rich.markup import escape

        marks = {
            "pass": "[green]✓[/green]",
            "warn": "[yellow]![/yellow]",
            "fail": "[red]✗[/red]",
            "skip": "[dim]-[/dim]",
            "later": "[dim]○[/dim]",
        }
        for check in report.checks:
            line = f"{marks[check.status]} {escape(check.name)}: {escape(check.message)}"
            if check.fix and check.status != "pass":
                line += f"\n    [bold]fix:[/bold] {escape(check.fix)}"
            console.err_console().print(line, soft_wrap=True)
    if not report.ok:
        raise typer.Exit(1)
