"""`cfmcp client-config`."""

from __future__ import annotations

from pathlib import Path

import typer

from cfmcp.cli.app import (
    JSON_OPTION,
    app,
)


def _complete_client(incomplete: str) -> list[str]:
    from cfmcp.clients import CLIENTS

    return [name for name in sorted(CLIENTS) if name.startswith(incomplete)]


def _complete_scope(incomplete: str) -> list[str]:
    return [scope for scope in ("user", "project") if scope.startswith(incomplete)]


@app.command(
    "client-config",
    epilog="Example: [bold]cfmcp client-config claude[/bold]   or   "
    "[bold]cfmcp client-config vscode --url https://my-mcp.me.workers.dev --dry-run[/bold]",
    rich_help_panel="Connect and diagnose",
)
def client_config(
    client: str = typer.Argument(
        ...,
        metavar="CLIENT",
        help="claude (Claude Desktop), claude-code, cursor, vscode or windsurf.",
        show_default=False,
        autocompletion=_complete_client,
    ),
    url: str | None = typer.Option(
        None,
        "--url",
        metavar="URL",
        help="The server's URL (a trailing /mcp or /sse is fine). "
        "Default: the URL `cfmcp deploy` recorded.",
    ),
    local: bool = typer.Option(False, "--local", help="Use the dev server, http://localhost:8788."),
    name: str | None = typer.Option(
        None, "--name", "-n", help="Server name in the client. Default: the Worker name."
    ),
    scope: str | None = typer.Option(
        None,
        "--scope",
        metavar="user|project",
        autocompletion=_complete_scope,
        help="Which config file: your own or the project's (cursor, vscode). "
        "Default: project for vscode and claude-code, user for the others.",
        show_default=False,
    ),
    bridge: bool = typer.Option(
        False,
        "--bridge",
        help="Connect through the mcp-remote stdio bridge (npx) instead of the client's own "
        "remote support.",
    ),
    print_entry: bool = typer.Option(
        False, "--print", help="Print the entry as JSON and change nothing."
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Show the change as a diff; write nothing."
    ),
    force: bool = typer.Option(
        False,
        "--force",
        help="Replace an entry of the same name without asking; create a missing client folder.",
    ),
    config_path: Path | None = typer.Option(
        None, "--config-path", metavar="PATH", help="Edit this file instead of the usual one."
    ),
    env: str | None = typer.Option(
        None,
        "--env",
        "-e",
        metavar="ENV",
        help="The environment whose deployed URL and Worker name to use.",
        show_default="production",
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Add the server to an AI client: Claude Desktop, Claude Code, Cursor, VS Code, Windsurf.

    Safe on a config you care about:
    • everything else in the file is kept, comments too (VS Code);
    • the file is backed up first, then replaced in one step;
    • running the command again changes nothing;
    • an entry of the same name with other settings is replaced only with --force or a yes.
    """
    from cfmcp import clients, console
    from cfmcp.errors import UsageError

    if print_entry and dry_run:
        raise UsageError("--print and --dry-run cannot be used together.")
    request = clients.Request(client, url, local, name, scope, bridge, config_path, env)
    target = clients.resolve_target(request)
    if target.warning and not as_json:
        console.warn(target.warning)
    if print_entry:
        snippet = target.snippet
        if as_json:
            console.print_json(clients.result_json(target, "printed", entry=snippet))
        else:
            console.print_json(snippet)
        return

    plan = clients.plan(target, force=force)
    if dry_run:
        if as_json:
            console.print_json(clients.result_json(target, "dry-run", diff=plan.diff()))
        else:
            clients.show_dry_run(plan)
        return

    interactive = not as_json and clients.stdin_is_interactive()
    from cfmcp import prompts

    confirm = prompts.confirm if interactive else None
    clients.check_replacement(plan, force=force, confirm=confirm, show=not as_json)
    result = clients.apply(plan)
    if as_json:
        console.print_json(
            clients.result_json(
                target, result.action, backup=result.backup, moved_from_sse=plan.upgrade
            )
        )
    else:
        clients.print_report(plan, result)
