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


def main() -> None:
    from cfmcp import console

    try:
        app()
    except KeyboardInterrupt:
        console.err_console().print("interrupted")
        sys.exit(130)
