"""Output helpers: human text on stderr, results and JSON on stdout.

Rich is imported on first use so that `cfmcp --help` stays fast.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from collections.abc import Iterator
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from cfmcp.errors import CfmcpError


@cache
def err_console() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False)


# Messages are plain text: names, paths and errors from the user, a file or a server print as
# they are ("[env.staging]" included). A caller that writes markup on purpose says markup=True
# and escapes what it quotes.


def info(message: str, *, markup: bool = False) -> None:
    err_console().print(_text(message, markup), soft_wrap=True)


def success(message: str, *, markup: bool = False) -> None:
    _marked("✓", "green", message, markup)


def warn(message: str, *, markup: bool = False) -> None:
    _marked("!", "yellow", message, markup)


def step(message: str, *, markup: bool = False) -> None:
    _marked(">", "cyan", message, markup)


def _marked(mark: str, style: str, message: str, markup: bool) -> None:
    from rich.text import Text

    err_console().print(Text.assemble((mark, style), " ", _text(message, markup)), soft_wrap=True)


def _text(message: str, markup: bool) -> Any:
    from rich.text import Text

    return Text.from_markup(message) if markup else Text(message)


def show_error(error: CfmcpError) -> None:
    console = err_console()
    console.print(f"[bold red]error:[/bold red] {escape(error.message)}", soft_wrap=True)
    if error.hint:
        console.print(f"[bold]hint:[/bold] {escape(error.hint)}", soft_wrap=True)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False) + "\n")
    sys.stdout.flush()


def escape(text: str) -> str:
    """`text` with rich markup characters escaped, for messages that quote user or server text."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


@contextlib.contextmanager
def spinner(message: str) -> Iterator[Timer]:
    """A spinner on a terminal, one line otherwise; yields a timer for the elapsed time."""
    console = err_console()
    timer = Timer()
    if console.is_terminal:
        with console.status(message):
            yield timer
    else:
        console.print(f"{message}")
        yield timer
    timer.stop()


class Timer:
    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.elapsed: float | None = None

    def stop(self) -> float:
        if self.elapsed is None:
            self.elapsed = time.perf_counter() - self.start
        return self.elapsed
