"""Plain option values without pydantic.

Typer (0.29 and on) coerces every parameter of a command through a pydantic `TypeAdapter`:
importing pydantic and building the adapters takes a tenth of a second on every run, more than
`cfmcp dev` spends on its own work before `wrangler dev` starts. The plain types cfmcp's
commands declare (text, whole and decimal numbers, flags, lists of text, each optional) are
coerced here instead (paths through Typer's own checks). Well-formed values come out as Typer
would give them; a whole-number option refuses `4.0`, which pydantic would take as 4, and a
decimal one refuses `nan` and `inf`. Anything else (choices, bounds, a custom parser or click
type) and a Typer without these internals take Typer's own way.
"""

from __future__ import annotations

import re
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union, get_args, get_origin

_INTEGER = re.compile(r"\s*[+-]?\d+\s*")
_TRUE = {"1", "true", "t", "yes", "y", "on"}
_FALSE = {"0", "false", "f", "no", "n", "off"}


def install() -> None:
    try:
        from typer import _coercion
        from typer._click.exceptions import BadParameter
        from typer._param_types import coerce_cli_path
    except ImportError:  # another Typer: its own way
        return
    original = getattr(_coercion, "build_runtime_param", None)
    runtime_param = getattr(_coercion, "RuntimeParam", None)
    if original is None or runtime_param is None or getattr(original, "_plain", False):
        return

    @dataclass(frozen=True)
    class PlainRuntimeParam(runtime_param):  # type: ignore[misc, valid-type]
        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            kind = _plain_kind(self.annotation)
            if kind is Path:  # Typer's checks (exists, readable, ...), given a Path already
                path = Path(value) if isinstance(value, str) else value
                return coerce_cli_path(
                    path, self.parameter_info, path_type=Path, param=param, ctx=ctx
                )
            try:
                if isinstance(kind, list):
                    return [coerce(item, kind[0]) for item in value]
                return coerce(value, kind)
            except ValueError as exc:
                raise BadParameter(str(exc), ctx=ctx, param=param) from None

    def build_runtime_param(descriptor: Any) -> Any:
        info = descriptor.parameter_info
        plain = (
            descriptor.file_annotation is None
            and getattr(info, "parser", None) is None
            and getattr(info, "click_type", None) is None
            and getattr(info, "min", None) is None
            and getattr(info, "max", None) is None
            and _plain_kind(descriptor.annotation) is not None
        )
        if not plain:
            return original(descriptor)
        return PlainRuntimeParam(parameter_info=info, annotation=descriptor.annotation)

    build_runtime_param._plain = True  # type: ignore[attr-defined]
    _coercion.build_runtime_param = build_runtime_param
    from typer import core

    if getattr(core, "build_runtime_param", None) is original:
        core.build_runtime_param = build_runtime_param


def _plain_kind(annotation: Any) -> type | list[type] | None:
    """str, int, float, bool or Path (optional or not), or [str] for a list of text; else
    None."""
    if get_origin(annotation) in (Union, types.UnionType):
        rest = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(rest) != 1:
            return None
        annotation = rest[0]
    if annotation in (str, int, float, bool, Path):
        return annotation
    if get_origin(annotation) is list and get_args(annotation) == (str,):
        return [str]
    return None


def coerce(value: Any, kind: type) -> Any:
    """A value of `kind` from what the command line or the environment gave."""
    if kind is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE or text in _FALSE:
            return text in _TRUE
        raise ValueError(f"{value!r} is not a valid boolean (true or false).")
    if isinstance(value, kind) and not isinstance(value, bool):
        return value
    if kind is str:
        raise ValueError(f"{value!r} is not text.")
    if kind is int:
        if isinstance(value, str) and _INTEGER.fullmatch(value):
            return int(value)
        raise ValueError(f"{value!r} is not a valid whole number.")
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{value!r} is not a valid number.") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(f"{value!r} is not a valid number.")
    return number
