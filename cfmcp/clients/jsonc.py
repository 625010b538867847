"""JSON with comments and trailing commas (JSONC, as VS Code reads it): parse it, and set one
member of a top-level object by editing the text in place, so that comments, trailing commas
and formatting everywhere else survive byte for byte.

`strip()` blanks comments and trailing commas with spaces (newlines kept), which leaves a
text of the same length that the json module can check: its error lines and columns, and
every offset found in it, are those of the original text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cfmcp.clients import jsonfile


class JsoncError(ValueError):
    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(f"{message} (line {line}, column {column})")
        self.message = message
        self.line = line
        self.column = column


@dataclass(frozen=True)
class Stripped:
    text: str  # same length as the source
    comments: tuple[tuple[int, int], ...]  # [start, end) of each comment
    trailing_commas: frozenset[int]


def strip(text: str) -> Stripped:
    chars = list(text)
    comments: list[tuple[int, int]] = []
    trailing: set[int] = set()
    pending_comma: int | None = None
    previous: str | None = None  # the last significant character
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == '"':
            i = _string_end(text, i)
            pending_comma, previous = None, '"'
            continue
        if text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            if end > i and text[end - 1] == "\r":
                end -= 1
            _blank(chars, i, end)
            comments.append((i, end))
            i = end
            continue
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                raise JsoncError("Unterminated /* comment", *position(text, i))
            end += 2
            _blank(chars, i, end)
            comments.append((i, end))
            i = end
            continue
        if char in "]}" and pending_comma is not None:
            chars[pending_comma] = " "
            trailing.add(pending_comma)
        if char not in " \t\r\n":
            # Only a comma after a value can be a trailing comma; others are errors to report.
            is_separator = char == "," and previous is not None and previous not in "{[,:"
            pending_comma = i if is_separator else None
            previous = char
        i += 1
    return Stripped("".join(chars), tuple(comments), frozenset(trailing))


def _blank(chars: list[str], start: int, end: int) -> None:
    for i in range(start, end):
        if chars[i] not in "\r\n":
            chars[i] = " "


def is_blank(text: str) -> bool:
    """True for a text of nothing but whitespace and comments."""
    return not strip(text).text.strip()


def parse(text: str) -> Any:
    """The value of a JSONC text; raises JsoncError with the line and column of a problem
    (and jsonfile.DuplicateKeyError for a key given twice)."""
    stripped = strip(text).text
    try:
        return jsonfile.loads(stripped)
    except json.JSONDecodeError as exc:
        raise JsoncError(exc.msg, exc.lineno, exc.colno) from None


def position(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, column


def set_member(text: str, parent_key: str, name: str, value: Any, *, newline: str = "\n") -> str:
    """`text` with `value` as member `name` of the object at top-level key `parent_key`.

    The text must parse (see `parse`) to an object whose `parent_key`, if present, is an
    object. Only the member's value (or a new member) is written; the rest is left as is.
    """
    stripped = strip(text)
    source = stripped.text
    start = _skip_space(source, 0)
    if start == len(source):
        document = jsonfile.dumps({parent_key: {name: value}}).replace("\n", newline)
        prefix = text.rstrip()
        return (prefix + newline if prefix else "") + document + newline
    unit = _indent_unit(source)
    top = _read_object(source, start)
    parent = _find(top, parent_key)
    if parent is None:
        return _insert(text, stripped, top, parent_key, {name: value}, unit, newline)
    servers = _read_object(source, parent.value_start)
    existing = _find(servers, name)
    if existing is not None:
        return _replace(text, servers, existing, value, unit, newline)
    return _insert(text, stripped, servers, name, value, unit, newline)


# --- locating members ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Member:
    key: str
    key_start: int
    value_start: int
    value_end: int


@dataclass(frozen=True)
class _Object:
    open: int  # index of "{"
    close: int  # index of "}"
    members: list[_Member]


def _string_end(text: str, start: int) -> int:
    """Index just past the string starting at `start` (or at the line end if unterminated)."""
    i, n = start + 1, len(text)
    while i < n:
        char = text[i]
        if char == "\\":
            i += 2
        elif char == '"':
            return i + 1
        elif char == "\n":
            return i
        else:
            i += 1
    return n


def _skip_space(source: str, i: int) -> int:
    while i < len(source) and source[i] in " \t\r\n":
        i += 1
    return i


def _value_end(source: str, i: int) -> int:
    if source[i] == '"':
        return _string_end(source, i)
    if source[i] in "{[":
        depth = 0
        while True:
            char = source[i]
            if char == '"':
                i = _string_end(source, i)
                continue
            if char in "{[":
                depth += 1
            elif char in "}]":
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
    while i < len(source) and source[i] not in ",]} \t\r\n":
        i += 1
    return i


def _read_object(source: str, open_index: int) -> _Object:
    """The members of the (valid, stripped) object whose "{" is at `open_index`."""
    members: list[_Member] = []
    i = _skip_space(source, open_index + 1)
    while source[i] != "}":
        if source[i] == ",":
            i = _skip_space(source, i + 1)
            continue
        key, after_key = json.decoder.scanstring(source, i + 1)
        value_start = _skip_space(source, _skip_space(source, after_key) + 1)
        value_end = _value_end(source, value_start)
        members.append(_Member(key, i, value_start, value_end))
        i = _skip_space(source, value_end)
    return _Object(open_index, i, members)


def _find(obj: _Object, key: str) -> _Member | None:
    return next((member for member in obj.members if member.key == key), None)


# --- writing ------------------------------------------------------------------------------


def _indent_unit(source: str) -> str:
    """The file's indentation step, taken from its first indented line."""
    for line in source.splitlines():
        content = line.lstrip(" \t")
        if content and content != line:
            return line[: len(line) - len(content)]
    return "  "


def _line_indent(text: str, index: int) -> str:
    line_start = text.rfind("\n", 0, index) + 1
    end = line_start
    while end < len(text) and text[end] in " \t":
        end += 1
    return text[line_start:end]


def _first_on_line(text: str, index: int) -> bool:
    line_start = text.rfind("\n", 0, index) + 1
    return not text[line_start:index].strip(" \t")


def _render(value: Any, unit: str, indent: str, newline: str) -> str:
    return jsonfile.dumps(value, unit).replace("\n", newline + indent)


def _single_line(text: str, obj: _Object) -> bool:
    return "\n" not in text[obj.open : obj.close]


def _replace(text: str, obj: _Object, member: _Member, value: Any, unit: str, newline: str) -> str:
    if _single_line(text, obj):
        rendered = json.dumps(value, ensure_ascii=False)
    else:
        rendered = _render(value, unit, _line_indent(text, member.key_start), newline)
    return text[: member.value_start] + rendered + text[member.value_end :]


def _insert(
    text: str,
    stripped: Stripped,
    obj: _Object,
    key: str,
    value: Any,
    unit: str,
    newline: str,
) -> str:
    key_json = json.dumps(key, ensure_ascii=False)
    if not obj.members:
        outer = _line_indent(text, obj.open)
        indent = outer + unit
        member = f"{key_json}: {_render(value, unit, indent, newline)}"
        close_line = text.rfind("\n", 0, obj.close) + 1
        if close_line > obj.open and not text[close_line : obj.close].strip(" \t"):
            # "}" on a line of its own: the new member goes on the line before it.
            return text[:close_line] + indent + member + newline + text[close_line:]
        return text[: obj.close] + newline + indent + member + newline + outer + text[obj.close :]

    last = obj.members[-1]
    comma = next(
        (i for i in sorted(stripped.trailing_commas) if last.value_end <= i < obj.close), None
    )
    after = last.value_end if comma is None else comma + 1
    if _single_line(text, obj):
        member = f"{key_json}: {json.dumps(value, ensure_ascii=False)}"
        if comma is None:
            return text[:after] + ", " + member + text[after:]
        return text[:after] + " " + member + "," + text[after:]

    indent = next(
        (
            _line_indent(text, m.key_start)
            for m in reversed(obj.members)
            if _first_on_line(text, m.key_start)
        ),
        _line_indent(text, obj.open) + unit,
    )
    member = f"{key_json}: {_render(value, unit, indent, newline)}"
    at = _end_of_comment_tail(text, stripped, after, obj.close)
    result = text[:at] + newline + indent + member + ("," if comma is not None else "") + text[at:]
    if comma is None:
        result = result[: last.value_end] + "," + result[last.value_end :]
    return result


def _end_of_comment_tail(text: str, stripped: Stripped, after: int, close: int) -> int:
    """Where a new member goes after the last one: past the comments that end its line
    (so `"a": 1 // note` keeps its note), or right after it when more follows on that line."""
    end = text.find("\n", after)
    if end < 0 or end > close:
        return after
    if end > after and text[end - 1] == "\r":
        end -= 1
    if stripped.text[after:end].strip():
        return after
    if any(start < end < stop for start, stop in stripped.comments):
        return after  # a /* comment */ that runs on to the next line
    return end
