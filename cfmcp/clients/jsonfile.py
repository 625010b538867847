"""Plain JSON read and written back without losing anything but formatting.

Numbers are kept as their source text (`1e5` stays `1e5`, `1E400` does not become
`Infinity`), and an object with the same key twice is refused instead of silently losing one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RawNumber:
    """A JSON number exactly as written in the file."""

    text: str


class DuplicateKeyError(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(f"the key {json.dumps(key, ensure_ascii=False)} appears twice")
        self.key = key


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise DuplicateKeyError(key)
        result[key] = value
    return result


def loads(text: str) -> Any:
    """Parse JSON; raises json.JSONDecodeError (with line and column) or DuplicateKeyError."""
    return json.loads(
        text,
        object_pairs_hook=_object,
        parse_int=RawNumber,
        parse_float=RawNumber,
        parse_constant=RawNumber,
    )


def dumps(value: Any, indent: str = "  ") -> str:
    """Like json.dumps(value, indent=2, ensure_ascii=False), and RawNumber-aware."""
    return _dump(value, indent, "")


def _dump(value: Any, indent: str, current: str) -> str:
    if isinstance(value, dict):
        if not value:
            return "{}"
        inner = current + indent
        members = [
            f"{inner}{json.dumps(key, ensure_ascii=False)}: {_dump(item, indent, inner)}"
            for key, item in value.items()
        ]
        return "{\n" + ",\n".join(members) + "\n" + current + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        inner = current + indent
        items = [inner + _dump(item, indent, inner) for item in value]
        return "[\n" + ",\n".join(items) + "\n" + current + "]"
    if isinstance(value, RawNumber):
        return value.text
    return json.dumps(value, ensure_ascii=False)
