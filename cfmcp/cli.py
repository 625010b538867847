"""The command line: parse, call a module, render. Modules are imported inside the commands
so that `cfmcp --help` stays fast."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer
from typer.core import TyperGroup

from cfmcp import __version__
from cfmcp.errors import CfmcpError


class CfmcpGroup(TyperGroup):
    """Turns a CfmcpError from any command into its message, hint and exit code."""

    def invoke(self, ctx):  # type: ignore[no-untyped-def]
        try:
            return super().invoke(ctx)
        except CfmcpError as error:
            from cfmcp.console import show_error

            show_error(error)
            ctx.exit(error.exit_code)


app = typer.Typer(
    cls=CfmcpGroup,
    name="cfmcp",
    help="Ship an OAuth-protected remote MCP server on Cloudflare Workers, and connect it to "
    "your AI clients.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

JSON_OPTION = typer.Option(False, "--json", help="Print the result as JSON on stdout.")


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"cfmcp {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(
        False,
        "--version",
        "-V",
        help="Show the version and exit.",
        callback=_show_version,
        is_eager=True,
    ),
    directory: Path | None = typer.Option(
        None,
        "--directory",
        "-C",
        metavar="DIR",
        help="Run as if cfmcp was started in DIR.",
    ),
) -> None:
    if directory is not None:
        try:
            os.chdir(directory)
        except OSError as exc:
            raise CfmcpError(f"Cannot change to {directory}: {exc.strerror}.", exit_code=2) from exc


# --- init ---------------------------------------------------------------------------------


@app.command(
    epilog="Example: [bold]cfmcp init my-mcp[/bold]   then   [bold]cd my-mcp && cfmcp dev[/bold]"
)
def init(
    directory: Path = typer.Argument(
        Path("."),
        metavar="[DIR]",
        help="Folder for the new project (created if missing).",
        show_default="the current folder",
    ),
    name: str | None = typer.Option(
        None,
        "--name",
        "-n",
        help="Worker name: lowercase letters, digits and dashes, 1-63 characters. "
        "Default: derived from DIR.",
    ),
    yes: bool = typer.Option(False, "--yes", "-y", help="Ask nothing; use defaults everywhere."),
    install: bool = typer.Option(
        True, "--install/--no-install", help="Run npm ci in the new project."
    ),
    git: bool | None = typer.Option(
        None,
        "--git/--no-git",
        help="Make the project a git repository with a first commit.",
        show_default="on when git is installed",
    ),
    force: bool = typer.Option(
        False, "--force", help="Write into a non-empty folder (same-name files are replaced)."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Create a remote MCP server project: Worker, Cloudflare OAuth, tools, wrangler.toml."""
    from cfmcp import console
    from cfmcp import init as init_module

    interactive = not yes and not as_json and sys.stdin.isatty()
    if interactive and directory == Path(".") and name is None and _folder_has_files(Path(".")):
        directory = Path(typer.prompt("Project folder", default="my-mcp-server"))

    plan = init_module.plan_init(directory, name=name, install=install, git=git, force=force)
    if install:
        from cfmcp.node import find_toolchain

        toolchain = find_toolchain()  # before writing anything: a clear error, nothing to undo

    if plan.name_derived and not as_json:
        console.info(
            f"Worker name: [bold]{plan.name}[/bold] (from the folder name; "
            "use --name to choose another)"
        )
    if plan.existing and not as_json:
        console.warn("Replacing existing files: " + ", ".join(map(str, plan.existing)))

    result = init_module.write_project(plan)
    if not as_json:
        console.success(f"Created {len(result.files)} files in {result.root}")
    if plan.git:
        result.git = init_module.git_init(result.root)
        if not as_json:
            console.info(f"  git: {result.git}")

    if install:
        from cfmcp.node import npm_ci

        with console.spinner("Installing the Worker's packages (npm ci)…") as timer:
            npm_ci(result.root, toolchain)
        result.installed = True
        result.install_seconds = round(timer.stop(), 1)
        if not as_json:
            console.success(f"Installed packages in {result.install_seconds:.1f} s")

    if as_json:
        console.print_json(
            {
                "path": str(result.root),
                "name": result.name,
                "template": {"name": plan.template.name, "version": plan.template.version},
                "files": result.files,
                "overwritten": result.overwritten,
                "git": result.git,
                "installed": result.installed,
                "install_seconds": result.install_seconds,
            }
        )
        return
    _next_steps_panel(result.root, installed=result.installed)


# --- client-config ------------------------------------------------------------------------


@app.command(
    "client-config",
    epilog="Example: [bold]cfmcp client-config claude[/bold]   or   "
    "[bold]cfmcp client-config vscode --url https://my-mcp.me.workers.dev --dry-run[/bold]",
)
def client_config(
    client: str = typer.Argument(
        ...,
        metavar="CLIENT",
        help="claude (Claude Desktop), claude-code, cursor, vscode or windsurf.",
        show_default=False,
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
    confirm = (
        (lambda question: typer.confirm(question, default=False, err=True)) if interactive else None
    )
    clients.check_replacement(plan, force=force, confirm=confirm, show=not as_json)
    result = clients.apply(plan)
    if as_json:
        console.print_json(clients.result_json(target, result.action, backup=result.backup))
    else:
        clients.print_report(plan, result)


def _folder_has_files(folder: Path) -> bool:
    return folder.is_dir() and any(folder.iterdir())


def _next_steps_panel(root: Path, *, installed: bool) -> None:
    from rich.panel import Panel
    from rich.table import Table

    from cfmcp.console import err_console

    table = Table.grid(padding=(0, 2))
    relative = os.path.relpath(root)
    if relative != ".":
        table.add_row(f"cd {relative}", "")
    if not installed:
        table.add_row("npm ci", "install the Worker's packages")
    table.add_row("cfmcp dev", "run locally on http://localhost:8788 with a local sign-in")
    table.add_row("cfmcp up", "everything below in one go: a live, signed-in server")
    table.add_row("cfmcp kv create", "create the OAUTH_KV namespace")
    table.add_row("cfmcp secrets set", "Cloudflare OAuth client id and secret, cookie key")
    table.add_row("cfmcp deploy", "deploy and print the /mcp and /sse URLs")
    table.add_row("cfmcp client-config claude", "connect Claude Desktop (or cursor, vscode, …)")
    err_console().print(Panel(table, title="Next steps", title_align="left", expand=False))


# --- dev and check ------------------------------------------------------------------------


@app.command(
    epilog="Example: [bold]cfmcp dev[/bold]   then, in another terminal,   "
    "[bold]cfmcp check --headless[/bold]"
)
def dev(
    port: int = typer.Option(8788, "--port", "-p", help="Port for the Worker."),
    upstream: str = typer.Option(
        "local", "--upstream", metavar="local|cloudflare",
        help="Who signs users in: a local stand-in (no account needed) or real Cloudflare "
        "with your dev OAuth client.",
    ),
    user: str = typer.Option(
        "dev@localhost", "--user", metavar="EMAIL", help="The identity the local sign-in uses."
    ),
    token_ttl: int = typer.Option(
        3600, "--token-ttl", hidden=True, help="Lifetime of local upstream tokens (seconds)."
    ),
) -> None:
    """Run the Worker on http://localhost:8788 with a local Cloudflare sign-in: the whole OAuth
    flow on your laptop, no account needed. Ctrl-C stops everything."""
    from cfmcp.dev.command import run_dev

    run_dev(port=port, upstream=upstream, user=user, token_ttl=token_ttl)


@app.command(
    epilog="Examples: [bold]cfmcp check --headless[/bold]  (against cfmcp dev)   "
    "[bold]cfmcp check https://my-mcp.example.workers.dev[/bold]   "
    "[bold]cfmcp check --tool whoami --json[/bold]"
)
def check(
    url: str | None = typer.Argument(
        None, metavar="[URL]",
        help="Server URL (origin, /mcp or /sse). Default: the running cfmcp dev, else the "
        "deployed URL.",
    ),
    headless: bool = typer.Option(
        False, "--headless",
        help="Approve and sign in without a browser (loopback servers only, e.g. cfmcp dev).",
    ),
    tool: str = typer.Option("add", "--tool", help="Tool to call."),
    args: str | None = typer.Option(
        None, "--args", metavar="JSON", help='Tool arguments. Default for add: {"a":23,"b":19}.'
    ),
    expect: str | None = typer.Option(
        None, "--expect", help="Text the tool must return (default for add 23+19: 42)."
    ),
    transport: str = typer.Option(
        "both", "--transport", metavar="mcp|sse|both", help="Which transports to try."
    ),
    env: str | None = typer.Option(None, "--env", "-e", help="Environment of the deployed URL."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Prove the server works: sign in like a real MCP client (discovery, registration, PKCE,
    token) and call a tool over streamable HTTP and SSE, timing every step."""
    from cfmcp.check import check_command

    code = check_command(
        url=url, headless=headless, tool=tool, args=args, expect=expect,
        transport=transport, env=env, as_json=as_json,
    )
    raise typer.Exit(code)


def main() -> None:
    from cfmcp import console

    try:
        app()
    except KeyboardInterrupt:
        console.err_console().print("interrupted")
        sys.exit(130)
