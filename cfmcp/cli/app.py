"""The Typer app every command registers on, the options and helpers they share, and `main`."""

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


ENV_OPTION = typer.Option(
    None,
    "--env",
    "-e",
    metavar="ENV",
    help="A wrangler environment (\\[env.ENV] in wrangler.toml). Default: the top level "
    "(recorded as 'production').",
)


CREATE_ENV_OPTION = typer.Option(
    False,
    "--create-env",
    help="Add \\[env.ENV] to wrangler.toml when it is not there (otherwise an unknown --env "
    "stops before anything is created).",
)


def use_env(project, env: str | None, *, create: bool = False, ask: bool = False) -> str | None:  # type: ignore[no-untyped-def]
    """Validate --env against wrangler.toml before anything happens: a typo stops here.

    With `ask`, a person is offered to add an environment wrangler.toml lacks.
    """
    from cfmcp import console
    from cfmcp.secrets import check_env

    env = check_env(env)
    if env and not create and ask and env not in project.environments():
        defined = ", ".join(project.environments()) or "none"
        create = typer.confirm(
            f"wrangler.toml has no [env.{env}] (defined: {defined}). Add it?",
            default=False,
            err=True,
        )
    copied = project.require_env(env, create=create)
    if copied is not None:
        also = f", with {', '.join(copied)} copied from the top level" if copied else ""
        console.step(f"Added [env.{env}] to {project.wrangler_toml.name}{also}.")
    return env


def spinner(message: str):  # type: ignore[no-untyped-def]
    from cfmcp import console

    return console.spinner(message)


def can_ask(*flags: bool) -> bool:
    """A person can be asked: stdin is a terminal and none of `flags` (--yes, --json) is set."""
    return sys.stdin.isatty() and not any(flags)


def choose_account(accounts: list[tuple[str, str]]) -> str:
    from cfmcp import console

    console.info("Your token can see several accounts:")
    for number, (account_id, name) in enumerate(accounts, 1):
        console.info(f"  {number}. {name}  ({account_id})")
    choice = typer.prompt("Account number", type=typer.IntRange(1, len(accounts)), err=True)
    return accounts[choice - 1][0]


def main() -> None:
    from cfmcp import console

    try:
        app()
    except KeyboardInterrupt:
        console.err_console().print("interrupted")
        sys.exit(130)
    except Exception as exc:  # a bug: one clear line, the traceback on request
        if os.environ.get("CFMCP_DEBUG"):
            raise
        console.show_error(
            CfmcpError(
                f"internal error: {type(exc).__name__}: {exc}",
                hint="Run again with CFMCP_DEBUG=1 for the traceback, and please report it.",
            )
        )
        sys.exit(1)
