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


# Set by --json: errors are then also printed as a JSON object on stdout.
json_errors = False
# Set by --verbose: every command line cfmcp runs and every API call, with its time.
verbose = False


def trace(message: str) -> None:
    """A line for --verbose, on stderr. Never pass a secret: argv and paths carry none."""
    if verbose:
        from rich.text import Text

        err_console().print(Text(f"· {message}", style="dim"), soft_wrap=True)


def show_error(error: CfmcpError, *, leading_newline: bool = False) -> None:
    """`error: …` and `hint: …` on stderr; with --json, the same as an object on stdout."""
    console = err_console()
    if leading_newline and console.is_terminal:
        console.print()  # off the line where the terminal echoed ^C
    console.print(f"[bold red]error:[/bold red] {escape(error.message)}", soft_wrap=True)
    if error.hint:
        console.print(f"[bold]hint:[/bold] {escape(error.hint)}", soft_wrap=True)
    if json_errors:
        print_json(
            {
                "ok": False,
                "error": error.message,
                "hint": error.hint,
                "exit_code": error.exit_code,
            }
        )


Row = tuple[str, str]  # (label, value); a value may be dimmed by starting the label with "~"


def panel(title: str, rows: list[Row]) -> None:
    """Labelled rows in a box on stderr, or, when the terminal is too narrow for a URL to fit
    whole in the box, the same rows as plain lines: label, then the value on a line of its own
    that is never wrapped by us, so a URL can be copied in one piece."""
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    console = err_console()
    label_width = max((len(label.lstrip("~")) for label, _ in rows), default=0)
    room = console.width - label_width - 6  # borders, padding and the gap between columns
    longest_url = max(
        (len(word) for _, value in rows for word in value.split() if "://" in word), default=0
    )
    if longest_url <= room:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column(overflow="fold")
        for label, value in rows:
            dim = label.startswith("~")
            table.add_row(label.lstrip("~"), Text(value, style="dim" if dim else ""))
        console.print(Panel(table, title=Text(title), title_align="left", expand=False))
        return
    console.print(Text(f"── {title}", style="bold"), soft_wrap=True)
    for label, value in rows:
        if label.lstrip("~"):
            console.print(Text(label.lstrip("~").strip(), style="bold"), soft_wrap=True)
        if value:
            console.print(Text(f"  {value}", style="dim" if label.startswith("~") else ""),
                          soft_wrap=True)  # fmt: skip


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False) + "\n")
    sys.stdout.flush()


def print_result(data: dict[str, Any], *, error: CfmcpError | None = None) -> None:
    """A command's --json result, in the one shape every command has: `{"ok": true, ...}`, or
    for a failure that still has a result to show (a check that failed a step),
    `{"ok": false, "error", "hint", "exit_code", ...}` as an error without one has too."""
    fields = {key: value for key, value in data.items() if key != "ok"}
    if error is None:
        print_json({"ok": True, **fields})
        return
    print_json(
        {
            "ok": False,
            "error": error.message,
            "hint": error.hint,
            "exit_code": error.exit_code,
            **{key: value for key, value in fields.items() if key not in ("error", "hint")},
        }
    )


_LABEL_COLOURS = {"cyan": "36", "magenta": "35", "green": "32"}
# Control characters a logged value could use to rewrite the terminal's line (\r, \b, ...):
# dropped. ESC stays, for the colours wrangler writes; callers strip those off a non-terminal.
_CONTROLS = dict.fromkeys([*range(0x09), *range(0x0A, 0x1B), *range(0x1C, 0x20), 0x7F])


def labelled_line(label: str, colour: str, line: str) -> None:
    """One line of another program's output under a coloured label (`worker │ …`), written as
    it is (control characters aside): rich's markup and layout cost more than the rest of
    `cfmcp dev`'s work per line, and wrangler writes a line for every request."""
    console = err_console()
    if console.color_system is not None:
        label = f"\x1b[{_LABEL_COLOURS[colour]}m{label}\x1b[0m"
    console.file.write(f"{label} │ {line.translate(_CONTROLS)}\n")
    console.file.flush()


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
