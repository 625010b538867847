"""Questions to the person at the terminal, on stderr.

Ours rather than click's: a wrong answer asks again with a plain sentence (not click's
"Error: invalid input"), the end of input is an answer of its own (EOFError, which the CLI
reports as an error), and Ctrl-C stays a KeyboardInterrupt, so it exits 130 like everywhere
else instead of click's "Aborted." with 1.
"""

from __future__ import annotations

import sys

YES = ("y", "yes")
NO = ("n", "no")


def _ask(question: str) -> str:
    sys.stderr.write(question)
    sys.stderr.flush()
    line = sys.stdin.readline()
    if not line:  # end of input: nobody will answer
        sys.stderr.write("\n")
        raise EOFError
    return line.strip()


def confirm(question: str, *, default: bool = False) -> bool:
    """Yes or no; an empty answer is `default`."""
    choices = "[Y/n]" if default else "[y/N]"
    while True:
        answer = _ask(f"{question} {choices}: ").lower()
        if not answer:
            return default
        if answer in YES:
            return True
        if answer in NO:
            return False
        sys.stderr.write("Please answer y or n.\n")


def text(question: str, *, default: str) -> str:
    """A line of text; an empty answer is `default`."""
    return _ask(f"{question} [{default}]: ") or default


def number(question: str, *, choices: int) -> int:
    """A number from 1 to `choices`."""
    while True:
        answer = _ask(f"{question} (1-{choices}): ")
        if answer.isdigit() and 1 <= int(answer) <= choices:
            return int(answer)
        sys.stderr.write(f"Please answer a number from 1 to {choices}.\n")


def secret(question: str) -> str:
    """A value typed without echo (empty when the person just presses Enter)."""
    if not sys.stdin.isatty():  # a pipe (or a test's input): a plain line
        return _ask(f"{question}: ")
    import getpass

    return getpass.getpass(f"{question}: ", stream=sys.stderr)
