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


def info(message: str) -> None:
    err_console().print(message, soft_wrap=True)


def success(message: str) -> None:
    err_console().print(f"[green]✓[/green] {message}", soft_wrap=True)


def warn(message: str) -> None:
    err_console().print(f"[yellow]![/yellow] {message}", soft_wrap=True)


def step(message: str) -> None:
    err_console().print(f"[cyan]>[/cyan] {message}", soft_wrap=True)


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
