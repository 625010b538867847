"""The list files `cfmcp add` extends (`src/tools.ts`, `src/resources.ts`, `src/prompts.ts`):
one `import * as NAME from "./tools/NAME";` after the other pieces' imports, and NAME at the end
of `const tools … = [ … ];`, in the list's own style (one line, or one name a line, with or
without a trailing comma). Nothing else of the file changes: comments inside the list stay
where they are and as they are, and a list of another shape is refused, never guessed at.
"""

from __future__ import annotations

import re

from cfmcp.errors import CfmcpError

MAX_LINE = 100  # a one-line list longer than this goes one name a line
# A comment or a string literal: what a scan for brackets and commas must step over.
_NOT_CODE = re.compile(
    r"//[^\n]*|/\*.*?\*/|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'|`(?:\\.|[^`\\])*`",
    re.DOTALL,
)


def blanked(text: str) -> str:
    """`text` with its comments and string literals as spaces (newlines kept): the same
    length, so an index into one is an index into the other."""
    return _NOT_CODE.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


def without_comments(text: str) -> str:
    """`text` with its comments blanked, its string literals kept."""
    return _NOT_CODE.sub(
        lambda m: (
            re.sub(r"[^\n]", " ", m.group(0)) if m.group(0)[:2] in ("//", "/*") else m.group(0)
        ),
        text,
    )


def add_to_list(text: str, list_name: str, folder: str, name: str, binding: str,
                list_file: str) -> str:  # fmt: skip
    """`text` with `binding` imported from ./FOLDER/NAME and added to `const LIST_NAME = [...]`;
    a CfmcpError (naming the two lines to add by hand) where the file has no such list."""
    newline = "\r\n" if "\r\n" in text else "\n"
    code = blanked(text)
    start = re.search(
        rf"^[ \t]*(?:export\s+)?const\s+{list_name}\b[^\n]*?=\s*\[", code, re.MULTILINE
    )
    close = _matching_bracket(code, start.end() - 1) if start else None
    if start is None or close is None or not _imports(code):
        raise CfmcpError(
            f"{list_file} has no `const {list_name} = [ … ];` list for cfmcp to add it to (an "
            "earlier layout, or one of your own); nothing was written.",
            hint=f"Run `cfmcp upgrade` for the current layout, or list it yourself: import * as "
            f'{binding} from "./{folder}/{name}"; and add {binding} to the list.',
        )
    text = _with_item(text, code, start.end(), close, binding, newline)
    code = blanked(text)
    line = f'import * as {binding} from "./{folder}/{name}";'
    imports = _imports(code)
    own = [m for m in imports if f"./{folder}/" in text[m.start() : m.end()]]
    after = (own or imports)[-1].end()
    end_of_line = text.find("\n", after)
    end_of_line = len(text) if end_of_line < 0 else end_of_line
    if text[end_of_line - 1 : end_of_line] == "\r":
        end_of_line -= 1
    return text[:end_of_line] + newline + line + text[end_of_line:]


def _imports(code: str) -> list[re.Match[str]]:
    return list(re.finditer(r"^import\b[^;]*;", code, re.MULTILINE))


def _matching_bracket(code: str, open_at: int) -> int | None:
    depth = 0
    for index in range(open_at, len(code)):
        if code[index] in "[({":
            depth += 1
        elif code[index] in "])}":
            depth -= 1
            if depth == 0:
                return index if code[index] == "]" else None
    return None


def _with_item(text: str, code: str, first: int, close: int, binding: str, newline: str) -> str:
    """The list `text[first:close]` with `binding` after its last item."""
    inside = code[first:close]
    if not inside.strip():  # empty: `[]` or `[\n]`
        return text[:first] + binding + text[close:]
    last = first + len(inside.rstrip()) - 1  # the last character of code in the list
    trailing = code[last] == ","
    if "\n" not in text[first:close]:  # one line
        items = [item.strip() for item in inside.split(",") if item.strip()]
        single = text[:last + 1] + ("" if trailing else ",") + f" {binding}" + (
            "," if trailing else "") + text[last + 1 :]  # fmt: skip
        line_start = text.rfind("\n", 0, first) + 1
        line_end = single.find("\n", line_start)
        too_long = (len(single) if line_end < 0 else line_end) - line_start > MAX_LINE
        if not too_long or code[first:close] != text[first:close]:  # comments: keep one line
            return single
        names = "".join(f"  {item},{newline}" for item in [*items, binding])
        return text[:first] + newline + names + text[close:]
    # One name a line: a new line like the last item's, after whatever ends that line (a
    # comment there stays the last item's).
    line_start = text.rfind("\n", 0, last) + 1
    indent = re.match(r"[ \t]*", text[line_start:]).group(0)  # type: ignore[union-attr]
    end_of_line = text.find("\n", last)
    end_of_line = close if end_of_line < 0 or end_of_line > close else end_of_line
    if text[end_of_line - 1 : end_of_line] == "\r":
        end_of_line -= 1
    comma = "" if trailing else ","
    added = f"{newline}{indent}{binding}{',' if trailing else ''}"
    return text[: last + 1] + comma + text[last + 1 : end_of_line] + added + text[end_of_line:]
