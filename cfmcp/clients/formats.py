"""The config file formats clients use, behind one small surface.

Each `Format` reads a text into plain Python values (for checks and for verifying what would be
written) and sets one member of one top-level table, keeping everything else of the text:
comments, order, layout, number spellings. A text that does not parse raises `FormatError`
with the line and column, and the file is then left untouched by the caller.

- JSON: `jsonfile` (numbers kept as written, duplicate keys refused); written back whole.
- JSON with comments (VS Code, Gemini CLI, OpenCode): `jsonc`, edited in place.
- TOML (Codex): tomlkit, which keeps comments, order and formatting by design.
- YAML (Goose): ruamel.yaml's round-trip mode, which keeps comments, key order and block
  style; PyYAML drops every comment, so it cannot edit a file a person wrote.
- YAML whose servers are a list of named blocks (Continue): read as a table of name -> block,
  so the rest of cfmcp sees the same shape as in every other format.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cfmcp.clients import jsonc, jsonfile


class FormatError(ValueError):
    """A text that is not valid in its format; `line` and `column` count from 1."""

    def __init__(self, message: str, line: int = 0, column: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


class Unsupported(ValueError):
    """A valid file whose layout an edit cannot keep safely; nothing is changed."""

    def __init__(self, message: str, *, hint: str) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass(frozen=True)
class Format:
    name: str  # as shown to people: "JSON", "TOML", …
    # The text's value ({} for a blank text); raises FormatError.
    parse: Callable[[str], Any]
    # (text, table, name, entry, newline) -> the text with table.name = entry, the rest kept.
    set_member: Callable[[str, str, str, Any, str], str]
    # An entry as shown in a diff, in the file's own syntax.
    show: Callable[[str, str, Any], str]
    # The text of a new file holding these top-level keys (and nothing else).
    new_text: Callable[[dict[str, Any]], str] = lambda keys: jsonfile.dumps(keys) + "\n"


# --- JSON ---------------------------------------------------------------------------------


def _parse_json(text: str) -> Any:
    if not text.strip():
        return {}
    try:
        return jsonfile.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError(exc.msg, exc.lineno, exc.colno) from None
    except jsonfile.DuplicateKeyError as exc:
        raise FormatError(str(exc)) from None


def _set_json(text: str, table: str, name: str, entry: Any, newline: str) -> str:
    data = _parse_json(text)
    data[table] = {**data.get(table, {}), name: entry}
    return jsonfile.dumps(data).replace("\n", newline) + newline


def _show_json(table: str, name: str, entry: Any) -> str:
    return jsonfile.dumps(entry) + "\n"


def _parse_jsonc(text: str) -> Any:
    if jsonc.is_blank(text):
        return {}
    try:
        return jsonc.parse(text)
    except jsonc.JsoncError as exc:
        raise FormatError(exc.message, exc.line, exc.column) from None
    except jsonfile.DuplicateKeyError as exc:
        raise FormatError(str(exc)) from None


def _set_jsonc(text: str, table: str, name: str, entry: Any, newline: str) -> str:
    return jsonc.set_member(text, table, name, entry, newline=newline)


JSON = Format("JSON", _parse_json, _set_json, _show_json)
JSONC = Format("JSON (with comments)", _parse_jsonc, _set_jsonc, _show_json)


# --- TOML ---------------------------------------------------------------------------------


def _toml_document(text: str) -> Any:
    import tomlkit
    from tomlkit.exceptions import ParseError, TOMLKitError

    try:
        return tomlkit.parse(text)
    except ParseError as exc:
        message = str(exc).rsplit(" at line ", 1)[0]
        raise FormatError(message, exc.line, exc.col + 1) from None
    except TOMLKitError as exc:  # a key given twice, among others
        raise FormatError(str(exc)) from None


def _parse_toml(text: str) -> Any:
    return _toml_document(text).unwrap()


def _set_toml(text: str, table: str, name: str, entry: Any, newline: str) -> str:
    """`[table.name]` as its own table: replaced in place (its header comment and the blank
    line after it kept), or added after the other servers, a blank line apart."""
    import tomlkit
    from tomlkit.items import InlineTable, Table

    document = _toml_document(text)
    servers = document.get(table)
    if servers is None:
        servers = tomlkit.table(is_super_table=True)
        document.append(table, servers)
    if isinstance(servers, InlineTable):  # `mcp_servers = { … }`: kept inline
        inline = tomlkit.inline_table()
        inline.update(entry)
        servers[name] = inline
    elif isinstance(servers.get(name), Table):
        current = servers[name]
        for key in list(current.keys()):
            del current[key]
        for key, value in entry.items():
            current.append(key, value)
    elif name in servers:  # a value that is not a table: the whole of it is replaced
        new = tomlkit.table()
        new.update(entry)
        servers[name] = new
    elif not isinstance(servers, Table):
        raise Unsupported(
            f"the [{table}.…] tables are split by other tables, and a new one cannot be placed "
            "among them safely",
            hint=f"Put the [{table}.…] tables together, or add the entry by hand (--print shows "
            "it).",
        )
    else:
        new = tomlkit.table()
        for key, value in entry.items():
            new.append(key, value)
        if [key for key, _ in document.body if key is not None][-1] != table:
            new.add(tomlkit.nl())  # more tables follow: keep them a blank line apart
        servers.append(name, new)
    result = tomlkit.dumps(document)
    return result.replace("\r\n", "\n").replace("\n", newline)


def _show_toml(table: str, name: str, entry: Any) -> str:
    import tomlkit

    document = tomlkit.document()
    servers = tomlkit.table(is_super_table=True)
    servers.append(name, entry)
    document.append(table, servers)
    return tomlkit.dumps(document)


TOML = Format("TOML", _parse_toml, _set_toml, _show_toml)


# --- YAML ---------------------------------------------------------------------------------


_YAML_MAX_NODES = 100_000  # a file of aliases of aliases must not grow without end


def _yaml(text: str = "", dash_offset: int = 0) -> Any:
    """A round-trip YAML that writes with the text's own indentation and document start
    (`dash_offset`: how far a list's dashes sit in from their key where the text has no list)."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold a long line (a URL) that the user kept on one
    mapping, sequence, offset = _yaml_indents(text, dash_offset)
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    yaml.explicit_start = text.lstrip().startswith("---")
    return yaml


def _yaml_indents(text: str, dash_offset: int = 0) -> tuple[int, int, int]:
    """(mapping indent, sequence indent, dash offset) as the text uses them, each from its
    first occurrence; two spaces and `dash_offset` where the text has none (Goose's serde_yaml
    writes dashes at their key's column, Continue's `yaml` two spaces in)."""
    mapping: int | None = None
    offset: int | None = None
    lines = [line for line in text.splitlines() if line.strip() and line.lstrip()[0] != "#"]
    for above, line in itertools.pairwise(lines):
        depth = len(line) - len(line.lstrip(" "))
        parent = len(above) - len(above.lstrip(" "))
        if not above.rstrip().endswith(":"):
            continue
        if line.lstrip().startswith("- "):
            if offset is None and depth >= parent:
                offset = depth - parent
        elif mapping is None and depth > parent:
            mapping = depth - parent
    offset = dash_offset if offset is None else offset
    return (2 if mapping is None else mapping), offset + 2, offset


def _yaml_document(text: str) -> Any:
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    if text.lstrip().startswith("%"):
        # A %YAML 1.1 directive changes how values read (1:20 is a number there); a rewrite
        # without it would change them for Goose, which reads YAML 1.2.
        raise FormatError("a %YAML or %TAG directive, which cfmcp does not rewrite", 1, 1)
    try:
        return _yaml(text).load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        raise FormatError(exc.problem or str(exc), line, column) from None
    except YAMLError as exc:
        raise FormatError(str(exc)) from None


def _plain(value: Any, budget: list[int] | None = None) -> Any:
    """ruamel's commented containers as the dicts and lists they stand for."""
    budget = [_YAML_MAX_NODES] if budget is None else budget
    budget[0] -= 1
    if budget[0] < 0:
        raise FormatError("more than 100,000 values once its aliases are expanded")
    if isinstance(value, dict):
        return {str(key): _plain(item, budget) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item, budget) for item in value]
    return value


def _parse_yaml(text: str) -> Any:
    value = _yaml_document(text)
    return {} if value is None else _plain(value)


def _set_yaml(text: str, table: str, name: str, entry: Any, newline: str) -> str:
    from ruamel.yaml.comments import CommentedMap

    document = _document_or_new(text)
    servers = document.get(table)
    if servers is None:
        servers = document[table] = CommentedMap()
    servers[name] = _commented(entry)
    return _dumped(document, text, newline)


def _document_or_new(text: str) -> Any:
    from ruamel.yaml.comments import CommentedMap

    document = _yaml_document(text)
    return CommentedMap() if document is None else document


def _dumped(document: Any, text: str, newline: str, dash_offset: int = 0) -> str:
    """`document` written back in `text`'s own style."""
    import io

    out = io.StringIO()
    _yaml(text, dash_offset).dump(document, out)
    return out.getvalue().replace("\n", newline)


def _commented(value: Any) -> Any:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(value, dict):
        return CommentedMap((key, _commented(item)) for key, item in value.items())
    if isinstance(value, list):
        return CommentedSeq(_commented(item) for item in value)
    return value


def _show_yaml(table: str, name: str, entry: Any) -> str:
    return _set_yaml("", table, name, entry, "\n")


def _new_yaml(keys: dict[str, Any], dash_offset: int = 0) -> str:
    return _dumped(_commented(keys), "", "\n", dash_offset)


YAML = Format("YAML", _parse_yaml, _set_yaml, _show_yaml, _new_yaml)


# --- YAML, the servers a list of named blocks ---------------------------------------------


def yaml_named_list(table: str) -> Format:
    """YAML whose `table` is a list of blocks, each naming itself with `name:` (Continue's
    `mcpServers`), read as a table of name -> block. The first block of a name is the one
    cfmcp reads and replaces; a block with no name of its own (a hub block's `uses:`, or a
    second of a name) is kept under a label such as "(block 3)", which no edit touches."""

    def parse(text: str) -> Any:
        value = _parse_yaml(text)
        if isinstance(value, dict) and isinstance(value.get(table), list):
            value[table] = _by_name(value[table])
        return value

    def set_member(text: str, table_: str, name: str, entry: Any, newline: str) -> str:
        from ruamel.yaml.comments import CommentedSeq

        document = _document_or_new(text)
        blocks = document.get(table)
        if blocks is None:
            blocks = document[table] = CommentedSeq()
        elif not isinstance(blocks, list):
            raise Unsupported(
                f"`{table}` is not a list of servers",
                hint=f"`{table}` should be a list of blocks, each with its `name`.",
            )
        named = [i for i, block in enumerate(blocks) if _name_of(block) == name]
        if len(named) > 1:
            raise Unsupported(
                f"{len(named)} servers in `{table}` are named {name!r}",
                hint="Remove or rename all but one of them, or pass another --name.",
            )
        if named:
            blocks[named[0]] = _commented(entry)
        else:
            blocks.append(_commented(entry))
        return _dumped(document, text, newline, dash_offset=2)

    def show(table_: str, name: str, entry: Any) -> str:
        return set_member("", table_, name, entry, "\n")

    def new_text(keys: dict[str, Any]) -> str:
        return _new_yaml(keys, dash_offset=2)

    return Format("YAML", parse, set_member, show, new_text)


def _name_of(block: Any) -> str | None:
    name = block.get("name") if isinstance(block, dict) else None
    return name if isinstance(name, str) else None


def _by_name(blocks: list[Any]) -> dict[str, Any]:
    table: dict[str, Any] = {}
    unnamed = []
    for number, block in enumerate(blocks, 1):
        name = _name_of(block)
        if name is None or name in table:
            unnamed.append((number, block))
        else:
            table[name] = block
    for number, block in unnamed:
        label = f"(block {number})"
        while label in table:
            label += "'"
        table[label] = block
    return table
