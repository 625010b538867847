"""The Typer app every command registers on, the options and helpers they share, and `main`."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer
from typer.core import TyperArgument, TyperGroup, TyperOption

from cfmcp import __version__
from cfmcp.cli import plain_params
from cfmcp.errors import CfmcpError

plain_params.install()  # option values without importing pydantic (a tenth of a second)


def _value_metavar(self, ctx):  # type: ignore[no-untyped-def]
    """Help shows what a user types: `--port PORT`, and nothing after a flag. Typer 0.2x would
    print Python types there (`<bool>`, `<list[str]>`)."""
    if getattr(self, "is_flag", False) or getattr(self, "count", False):
        return None
    if self.metavar is not None:
        return self.metavar
    name = (self.name or "value").upper()
    return f"{name}..." if self.nargs != 1 else name


for _parameter_class in (TyperOption, TyperArgument):
    _parameter_class.display_type_rich = _value_metavar  # type: ignore[method-assign]


def unwrap_help(text: str) -> str:
    """A docstring as help: the lines of a paragraph joined into one, so the terminal wraps
    them at its own width; list items (•, -) and blank lines keep their breaks."""
    paragraphs = []
    for paragraph in text.split("\n\n"):
        lines: list[str] = []
        for line in paragraph.splitlines():
            stripped = line.strip()
            if lines and stripped and not stripped.startswith(("•", "- ", "\b")):
                lines[-1] = f"{lines[-1]} {stripped}"
            else:
                lines.append(stripped)
        paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs)


class CfmcpGroup(TyperGroup):
    """Turns a CfmcpError from any command into its message, hint and exit code; Ctrl-C into
    130 and the end of input at a question into an error, the same way everywhere."""

    def get_command(self, ctx, cmd_name):  # type: ignore[no-untyped-def]
        command = super().get_command(ctx, cmd_name)
        if command is not None and command.help and not getattr(command, "_unwrapped", False):
            command.help = unwrap_help(command.help)
            command._unwrapped = True  # type: ignore[attr-defined]
        return command

    def invoke(self, ctx):  # type: ignore[no-untyped-def]
        from cfmcp import console
        from cfmcp.console import show_error

        if ctx.parent is None:  # the top of this invocation, not a group inside it
            console.json_errors = False  # until this command's --json says otherwise
            console.verbose = False  # until the --verbose of this invocation
        try:
            return super().invoke(ctx)
        except CfmcpError as error:
            show_error(error)
            ctx.exit(error.exit_code)
        except KeyboardInterrupt:
            show_error(CfmcpError("Interrupted.", exit_code=130), leading_newline=True)
            ctx.exit(130)
        except EOFError:
            show_error(
                CfmcpError(
                    "A question got no answer: standard input ended.",
                    hint="Run it in a terminal, or pass the flags that answer it (--yes, "
                    "--force, the values on standard input).",
                )
            )
            ctx.exit(1)


app = typer.Typer(
    cls=CfmcpGroup,
    name="cfmcp",
    help="Ship an OAuth-protected remote MCP server on Cloudflare Workers, and connect it to "
    "your AI clients.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    add_completion=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def complete_from(*choices: str):  # type: ignore[no-untyped-def]
    """Shell completion for an option that takes one of `choices`."""

    def complete(incomplete: str) -> list[str]:
        return [choice for choice in choices if choice.startswith(incomplete)]

    return complete


def _json_errors(value: bool) -> bool:
    """With --json, an error is also a JSON object on stdout, so a script reads one or the
    other there."""
    if value:
        from cfmcp import console

        console.json_errors = True
    return value


JSON_OPTION = typer.Option(
    False,
    "--json",
    help='Print the result as JSON on stdout (a failure as {"ok": false, "error": …}).',
    callback=_json_errors,
)


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
    verbose: bool = typer.Option(
        False,
        "--verbose",
        "-v",
        help="Show each command cfmcp runs (wrangler, npm) and each Cloudflare API call, with "
        "its time. Secrets never appear: they travel on standard input.",
    ),
) -> None:
    from cfmcp import console

    console.verbose = verbose
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
        from cfmcp import prompts

        create = prompts.confirm(f"wrangler.toml has no [env.{env}] (defined: {defined}). Add it?")
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
    from cfmcp import prompts

    choice = prompts.number("Account number", choices=len(accounts))
    return accounts[choice - 1][0]


_owns_the_process = False


def owns_the_process() -> bool:
    """Whether cfmcp runs as its own program (`main`), not inside another (tests, a library):
    a command may then load only what it uses, as the process ends with it."""
    return _owns_the_process


def main() -> None:
    global _owns_the_process
    _owns_the_process = True
    try:
        _run()
    finally:
        # The process ends next. Objects frozen out of the collector are not walked again
        # as Python exits: a third of a second after `cfmcp check` (the MCP SDK's types).
        import gc

        gc.freeze()


def _run() -> None:
    from cfmcp import console

    try:
        app()
    except KeyboardInterrupt:
        console.show_error(CfmcpError("Interrupted.", exit_code=130), leading_newline=True)
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
