"""`.dev.vars`: the dotenv file `wrangler dev` reads local vars and secrets from, read as
wrangler reads it and edited keeping every other byte (`cfmcp secrets set --local`, `cfmcp dev`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from cfmcp.errors import CfmcpError, UsageError
from cfmcp.fsutil import atomic_write_text
from cfmcp.project import DEV_VARS_FILE, Project

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise UsageError(
            f"Invalid secret name {name!r}.",
            hint="Use letters, digits and underscores, not starting with a digit.",
        )
    return name


# The `dotenv` parser wrangler reads .dev.vars with (4.86 and 4.164: no variable expansion):
# later duplicates win, `#` starts a comment outside quotes, "..." expands \n and \r.
_DOTENV_LINE = re.compile(
    r"^\s*(?:export\s+)?([\w.-]+)(?:\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|\s*\"(?:\\\"|[^\"])*\""
    r"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?\s*(?:#.*)?$",
    re.MULTILINE,
)
_SEPARATOR = re.compile(r"[ \t]*[=:]")
_QUOTED = re.compile(r"^(['\"`])([\s\S]*)\1$", re.MULTILINE)


def _dotenv_value(raw: str | None) -> str:
    value = (raw or "").strip()
    quote = value[:1]
    value = _QUOTED.sub(r"\2", value)
    if quote == '"':
        value = value.replace("\\n", "\n").replace("\\r", "\r")
    return value


class DotEnv:
    """A .dev.vars file that can change some values and keep every other byte as it was."""

    def __init__(self, text: str = ""):
        self.text = text.replace("\r\n", "\n").replace("\r", "\n")

    @classmethod
    def read(cls, path: Path) -> DotEnv:
        try:
            return cls(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()

    def values(self) -> dict[str, str]:
        return {m[1]: _dotenv_value(m[2]) for m in _DOTENV_LINE.finditer(self.text)}

    def get(self, name: str) -> str | None:
        return self.values().get(name)

    def set(self, name: str, value: str) -> None:
        """Replace every assignment of `name` in place (comments after it kept), or append."""
        check_name(name)
        assignment = f"{name}={quote_dotenv(value)}"
        matches = [m for m in _DOTENV_LINE.finditer(self.text) if m[1] == name]
        if not matches:
            if self.text and not self.text.endswith("\n"):
                self.text += "\n"
            self.text += assignment + "\n"
            return
        for match in reversed(matches):
            if match[2] is not None:  # keep the spaces before an inline comment
                end = match.start(2) + len(match[2].rstrip())
            else:  # `NAME=` with no value: replace up to the separator
                separator = _SEPARATOR.match(self.text, match.end(1))
                end = separator.end() if separator else match.end(1)
            self.text = self.text[: match.start(1)] + assignment + self.text[end:]


_PLAIN = re.compile(r"[^\s'\"`#]+")


def quote_dotenv(value: str) -> str:
    """`value` written so that dotenv reads back exactly `value`: bare when it can be, else the
    first quoting that round-trips (dotenv has no escapes but \\n and \\r in "...")."""
    candidates = [value] if _PLAIN.fullmatch(value) else []
    candidates += [f"'{value}'", f"`{value}`"]
    if "\\" not in value:
        candidates.append('"' + value.replace("\n", "\\n").replace("\r", "\\r") + '"')
    for candidate in candidates:
        probe = DotEnv(f"A=1\nX={candidate}\nB=2\n").values()
        if probe == {"A": "1", "X": value, "B": "2"}:
            return candidate
    raise CfmcpError(
        "This value cannot be written to .dev.vars so that wrangler reads it back unchanged "
        "(it mixes quotes, backquotes and backslashes).",
        hint="Put it on Cloudflare instead (without --local).",
    )


def dev_vars_path(project: Project, env: str | None = None) -> Path:
    """`.dev.vars`, or `.dev.vars.<env>` which `wrangler dev --env ENV` reads first."""
    return project.root / (f"{DEV_VARS_FILE}.{env}" if env else DEV_VARS_FILE)


def read_dev_vars(project: Project, env: str | None = None) -> dict[str, str]:
    return DotEnv.read(dev_vars_path(project, env)).values()


def write_dev_vars(path: Path, values: Mapping[str, str]) -> None:
    """Set `values` in the file, keeping its other lines; mode 0600, replaced atomically."""
    document = DotEnv.read(path)
    for name, value in values.items():
        document.set(name, value)
    atomic_write_text(path, document.text, mode=0o600)
