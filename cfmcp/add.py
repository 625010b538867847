"""`cfmcp add tool|resource|prompt NAME`: a new piece of the server in a file of its own
(`src/tools/NAME.ts`, …), listed where the server's pieces of that kind are (`src/tools.ts`,
…), with a test of it in the project's `npm test` (`test/NAME.tool.test.ts`, …).

`plan_add` renders everything and checks it (a name that is valid and free, a list it can
extend) without writing; `apply_add` writes the new files (never over anything) and then the
list, in one step each. The new code comes from the template's generators folder
(`templates/cloudflare/add/`), so it reads like the rest of the project; the placeholder it
returns is what its test expects, so `npm test` passes until the owner writes the real thing,
and then the test says what to change.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from cfmcp.errors import CfmcpError, UsageError
from cfmcp.project import Project

KindName = Literal["tool", "resource", "prompt", "app"]

NAME_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")
PARAM_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
# Words a TypeScript binding cannot be (`import * as delete` is a syntax error).
_WORDS = (
    "break case catch class const continue debugger default delete do else enum export extends "
    "false finally for function if import in instanceof new null return super switch this throw "
    "true try typeof var void while with yield let static implements interface package private "
    "protected public await async arguments eval of type from as"
)
RESERVED = frozenset(_WORDS.split())
# Names of Object.prototype's members: the MCP SDK files pieces in a plain object, where a tool
# named `constructor` is "already registered" and every request fails.
_MEMBERS = (
    "constructor toString toLocaleString valueOf hasOwnProperty isPrototypeOf "
    "propertyIsEnumerable __proto__ __defineGetter__ __defineSetter__ __lookupGetter__ "
    "__lookupSetter__"
)
PROTOTYPE = frozenset(_MEMBERS.split())


@dataclass(frozen=True)
class Kind:
    name: KindName
    folder: str  # where each piece's file goes, e.g. "src/tools"
    list_file: str  # the file that lists them, e.g. "src/tools.ts"
    list_name: str  # the array in it, e.g. "tools"
    register: str  # the McpServer method that puts one on the server


KINDS: dict[str, Kind] = {
    "tool": Kind("tool", "src/tools", "src/tools.ts", "tools", "registerTool"),
    "resource": Kind(
        "resource", "src/resources", "src/resources.ts", "resources", "registerResource"
    ),
    "prompt": Kind("prompt", "src/prompts", "src/prompts.ts", "prompts", "registerPrompt"),
    # An MCP App is a tool with a view: listed with the tools, its view in apps/NAME/.
    "app": Kind("app", "src/tools", "src/tools.ts", "tools", "registerTool"),
}


@dataclass(frozen=True)
class Param:
    """A tool's input or a prompt's argument, as `--param name:type` gives it."""

    name: str
    type: str  # string, number, integer, boolean, string[], number[], or choices "a,b,c"
    optional: bool = False

    @property
    def zod(self) -> str:
        if "," in self.type:
            schema = f"z.enum({json.dumps(self.type.split(','))})"
        else:
            schema = ZOD[self.type]
        return f"{self.name}: {schema}{'.optional()' if self.optional else ''}"

    @property
    def sample(self) -> Any:
        if "," in self.type:
            return self.type.split(",")[0]
        return SAMPLES[self.type]


ZOD = {
    "string": "z.string()",
    "number": "z.number()",
    "integer": "z.number().int()",
    "boolean": "z.boolean()",
    "string[]": "z.array(z.string())",
    "number[]": "z.array(z.number())",
}
SAMPLES: dict[str, Any] = {
    "string": "example",
    "number": 1.5,
    "integer": 1,
    "boolean": True,
    "string[]": ["example"],
    "number[]": [1.5],
}
PARAM_TYPES = ", ".join(ZOD) + ", or choices such as celsius,fahrenheit"


def parse_param(text: str, *, kind: KindName = "tool") -> Param:
    """`name:type` (`name?:type` when it may be left out); a prompt's arguments are text, so
    there `name` alone is enough."""
    name, _, type_ = text.partition(":")
    name, optional = name.strip(), name.strip().endswith("?")
    name = name.removesuffix("?")
    type_ = type_.strip() or ("string" if kind == "prompt" else "")
    example = "--arg topic" if kind == "prompt" else "--param city:string"
    if not PARAM_PATTERN.fullmatch(name) or name in RESERVED or name in ("__proto__", "JSON"):
        raise UsageError(
            f"{text!r}: {name!r} is not a name an argument can have.",
            hint=f"Use letters, digits and _, starting with a letter, e.g. {example}",
        )
    if kind == "prompt" and type_ != "string":
        raise UsageError(
            f"{text!r}: a prompt's arguments are text (MCP gives prompts strings only).",
            hint="Leave out the type: --arg topic (or --arg topic? for one that may be omitted).",
        )
    choices = type_.split(",")
    if type_ not in ZOD and not (
        len(set(choices)) == len(choices) > 1
        and all(re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", c) for c in choices)
    ):
        raise UsageError(
            f"{text!r}: {type_ or 'no type'} is not a type cfmcp knows.",
            hint=f"Give one of {PARAM_TYPES}, e.g. {example}",
        )
    return Param(name, type_, optional)


def check_name(kind: Kind, name: str) -> str:
    if not NAME_PATTERN.fullmatch(name):
        raise UsageError(
            f"{name!r} is not a name cfmcp can give a {kind.name}.",
            hint="Use letters, digits, - and _, starting with a letter (up to 64), e.g. "
            "get_weather",
        )
    if binding_of(name) in RESERVED:
        raise UsageError(
            f"{name!r} is a reserved word in TypeScript, which the {kind.list_name} list would "
            "have to use as a name.",
            hint=f"Choose another, e.g. {name}_{kind.name}",
        )
    if name in PROTOTYPE:
        raise UsageError(
            f"{name!r} is the name of a member every JavaScript object has: the MCP SDK could "
            f"not tell the {kind.name} from it.",
            hint=f"Choose another, e.g. {name}_{kind.name}",
        )
    return name


def binding_of(name: str) -> str:
    """The name the list file imports the piece as: get-weather -> getWeather."""
    head, *rest = name.split("-")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


# --- the plan ---------------------------------------------------------------------------------


@dataclass
class AddPlan:
    project: Project
    kind: Kind
    name: str
    new_files: dict[str, str]  # relative path -> text (none exists yet)
    # relative path -> (the file as it is, as it will be); the list file first
    edits: dict[str, tuple[str, str]]
    notes: list[str] = field(default_factory=list)

    @property
    def list_text(self) -> str:
        return self.edits[self.kind.list_file][0]

    @property
    def new_list_text(self) -> str:
        return self.edits[self.kind.list_file][1]

    @property
    def test_file(self) -> str:
        return next(path for path in self.new_files if path.startswith("test/"))

    @property
    def source_file(self) -> str:
        return next(path for path in self.new_files if path.startswith("src/"))


@dataclass(frozen=True)
class AddResult:
    plan: AddPlan
    dry_run: bool
    # copies of the files it changed, made where git could not give them back
    backups: list[Path] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        plan = self.plan
        return {
            "kind": plan.kind.name,
            "name": plan.name,
            "created": sorted(plan.new_files),
            "updated": list(plan.edits),
            "test": plan.test_file,
            "backups": [str(path) for path in self.backups],
            "notes": plan.notes,
            "dry_run": self.dry_run,
        }


def plan_add(
    project: Project,
    kind_name: KindName,
    name: str,
    *,
    description: str | None = None,
    params: list[Param] | None = None,
    uri: str | None = None,
    mime_type: str = "text/plain",
) -> AddPlan:
    kind = KINDS[kind_name]
    check_name(kind, name)
    params = params or []
    _check_params(kind, params)
    if description is None:
        description = f"What {name} does (write it here)."
    description = _check_description(description)
    root = project.root
    source = f"{kind.folder}/{name}.ts"
    test = f"test/{name}.{kind.name}.test.ts"
    if kind.name == "app":
        from cfmcp import add_app

        add_app.check_free(project, name)
    list_path = root / kind.list_file
    list_text = _read_list(project, kind)
    for relative in (source, test):
        if (root / relative).exists() or (root / relative).is_symlink():
            hint = f"Choose another name, or edit {relative}."
            listed = f'"./{kind.folder.removeprefix("src/")}/{name}"' in list_text
            if not listed:  # an earlier run stopped before it listed the piece
                hint = (
                    f"It is not listed in {kind.list_file}: if an earlier `cfmcp add` was "
                    f"stopped half-way, delete {source} and {test}, then run it again."
                )
            raise CfmcpError(
                f"{relative} already exists: there is a {kind.name} {name!r} already.",
                hint=hint,
            )
    _check_case(project, kind, name)
    _check_unused(project, kind, name, list_text)
    render = renderer()

    context: dict[str, Any] = {
        "name": name,
        "description": description,
        "description_comment": " ".join(description.split()),
        "params": params,
    }
    if kind.name == "resource":
        context.update(_resource_context(name, uri or f"resource://{name}", mime_type))
        _check_uri_free(project, context["uri"])
    else:
        sample = {param.name: param.sample for param in params}
        context["placeholder"] = _placeholder(name, [p.name for p in params])
        context["local"] = _local_name([p.name for p in params])
        context["expected"] = _expected(name, sample if params else None)
        context["sample_args"] = _ts_object(sample)
    if kind.name == "app":
        context["view_uri"] = f"ui://{name}/view.html"
        _check_uri_free(project, context["view_uri"])
    files = {source: render(f"{kind.name}.ts.j2", context),
             test: render(f"{kind.name}.test.ts.j2", context)}  # fmt: skip
    edits = {kind.list_file: (list_text, add_to_list(list_text, kind, name, list_path))}
    plan = AddPlan(project, kind, name, files, edits)
    if kind.name == "app":
        from cfmcp import add_app

        add_app.plan_view(plan, context, render)
    return plan


# Names the generated code gives its own variables: an input of the same name would hide them.
TAKEN = {
    "tool": {"server", "user"},
    "app": {"server", "user", "view"},
    "resource": {"server", "user", "uri"},
    "prompt": {"server"},
}


def _check_params(kind: Kind, params: list[Param] | list[str]) -> None:
    seen: set[str] = set()
    for param in params:
        name = param if isinstance(param, str) else param.name
        if name in seen:
            raise UsageError(f"{name!r} is given twice.", hint="Give each one once.")
        if name in TAKEN[kind.name]:
            raise UsageError(
                f"{name!r} is a name the new {kind.name}'s code uses for itself "
                f"({', '.join(sorted(TAKEN[kind.name]))}).",
                hint=f"Choose another, e.g. {name}_name.",
            )
        seen.add(name)


def _local_name(names: list[str]) -> str:
    """A name for the text the new piece returns that no input of it takes."""
    words = ("text", "reply", "answer", "result", "output")
    return next(word for word in [*words, *(f"text{n}" for n in range(len(names) + 1))]
                if word not in names)  # fmt: skip


def _check_description(text: str) -> str:
    text = text.strip()
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise UsageError(
            "The description is not valid text (bytes that are not UTF-8).",
            hint="Check your terminal's encoding, or give the description in plain UTF-8.",
        ) from None
    if not text or len(text) > 1000 or any(ord(c) < 32 and c not in "\n\r\t" for c in text):
        raise UsageError(
            "The description must be 1 to 1000 characters of text.",
            hint='e.g. --description "Look up the weather for a city."',
        )
    return text


def _read_list(project: Project, kind: Kind) -> str:
    path = project.root / kind.list_file
    try:
        return read_exact(path)
    except FileNotFoundError:
        raise CfmcpError(
            f"{kind.list_file} is missing: this project has no list of {kind.list_name} for "
            f"cfmcp to add to.",
            hint="Projects from an earlier cfmcp get it with `cfmcp upgrade`.",
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CfmcpError(f"Cannot read {kind.list_file}: {exc}.") from exc


def _check_case(project: Project, kind: Kind, name: str) -> None:
    """No piece whose file differs from the new one's by case alone: TypeScript refuses two
    imports so named (forceConsistentCasingInFileNames), and macOS and Windows would give
    both one file."""
    folder = project.root / kind.folder
    for path in sorted(folder.glob("*.ts")) if folder.is_dir() else ():
        if path.stem.lower() == name.lower() and path.stem != name:
            raise CfmcpError(
                f"{kind.folder}/{path.name} differs from {name!r} by case alone.",
                hint="Choose a name that differs by more than case.",
            )


def read_exact(path: Path) -> str:
    """The file's text as it is on disk: CRLF kept (read_text would make it LF)."""
    return path.read_bytes().decode("utf-8")


def _check_unused(project: Project, kind: Kind, name: str, list_text: str) -> None:
    """No piece of this kind is registered under `name` anywhere in src/, and the list file
    does not already use its binding."""
    # server.registerTool("NAME", …), and for a tool with a view registerAppTool(server, "NAME", …)
    call = re.compile(
        rf"(?:\.{kind.register}\(|\bregisterApp{kind.register[8:]}\(\s*[\w.]+\s*,)\s*"
        rf"[\"'`]{re.escape(name)}[\"'`]"
    )
    from cfmcp.add_list import without_comments

    for path in sorted((project.root / "src").rglob("*.ts")):
        try:
            text = without_comments(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            continue
        if call.search(text):
            where = path.relative_to(project.root).as_posix()
            raise CfmcpError(
                f"There is a {kind.name} {name!r} already, in {where}.",
                hint="Choose another name.",
            )
    from cfmcp.add_list import blanked

    binding = binding_of(name)
    if re.search(rf"(?<![\w$.]){re.escape(binding)}(?![\w$])", blanked(list_text)):
        raise CfmcpError(
            f"{kind.list_file} already uses the name {binding!r}, which the new {kind.name} "
            "would be imported as.",
            hint="Choose another name.",
        )


def _resource_context(name: str, uri: str, mime_type: str) -> dict[str, Any]:
    uri = uri.strip()
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s\"'`\\]+", uri) or "${" in uri:
        raise UsageError(
            f"{uri!r} is not a URI cfmcp can give a resource.",
            hint="e.g. --uri resource://notes/{id}, or an https:// URL (no spaces or quotes).",
        )
    variables = re.findall(r"\{([^{}]*)\}", uri)
    for variable in variables:
        if not PARAM_PATTERN.fullmatch(variable) or variable in RESERVED:
            raise UsageError(
                f"{{{variable}}} in {uri} is not a variable cfmcp writes (simple names only: "
                "no RFC 6570 operators such as {+path} or {?query}).",
                hint="e.g. --uri resource://notes/{id}",
            )
    if re.sub(r"\{[^{}]*\}", "", uri).count("{") or "}" in re.sub(r"\{[^{}]*\}", "", uri):
        raise UsageError(f"{uri}: each variable in braces of its own, e.g. resource://notes/{{id}}")
    if "}{" in uri:
        raise UsageError(
            f"{uri}: two variables side by side cannot be told apart when the URI is read.",
            hint="Put a character between them, e.g. resource://notes/{book}/{page}",
        )
    _check_params(KINDS["resource"], variables)
    normal = normalised_uri(uri)
    if normal != uri:
        raise UsageError(
            f"{uri} is not in the form clients send it in, so a read of it would not be found.",
            hint=f"Use --uri {normal}",
        )
    if not re.fullmatch(r"[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+", mime_type):
        raise UsageError(f"{mime_type!r} is not a MIME type.", hint="e.g. --mime-type text/plain")
    sample = {variable: "example" for variable in variables}
    sample_uri = re.sub(r"\{([^{}]*)\}", lambda match: sample[match.group(1)], uri)
    return {
        "uri": uri,
        "variables": variables,
        "mime_type": mime_type,
        "sample_uri": sample_uri,
        "placeholder": _placeholder(name, variables),
        "local": _local_name(variables),
        "expected": _expected(name, sample if variables else None),
    }


def _check_uri_free(project: Project, uri: str) -> None:
    """No resource of the project is at `uri` already: the SDK would refuse the second one
    when the server starts, and every request would fail."""
    from cfmcp.add_list import without_comments

    quoted = {json.dumps(uri), f"'{uri}'", f"`{uri}`"}
    for path in sorted((project.root / "src").rglob("*.ts")):
        try:
            text = without_comments(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            continue
        if any(form in text for form in quoted):
            where = path.relative_to(project.root).as_posix()
            raise CfmcpError(
                f"{uri} is taken: {where} serves a resource there already.",
                hint="Give the new one another --uri.",
            )


def normalised_uri(uri: str) -> str:
    """`uri` as the MCP SDK files a resource (the WHATWG URL's own spelling), for what this
    checks: ASCII only (others percent-encoded), and for http(s) a lowercase host and a path."""
    from urllib.parse import quote, urlsplit, urlunsplit

    encoded = quote(uri, safe="".join(chr(c) for c in range(33, 127)))
    parts = urlsplit(encoded)
    if parts.scheme.lower() in ("http", "https"):
        host = parts.netloc.lower()
        return urlunsplit((parts.scheme.lower(), host, parts.path or "/", parts.query,
                           parts.fragment))  # fmt: skip
    return encoded


def _placeholder(name: str, names: list[str]) -> str:
    """The TypeScript expression the new piece returns until its owner writes it."""
    if not names:
        return json.dumps(f"{name}: not written yet", ensure_ascii=False)
    return f"`{name}: not written yet (got ${{JSON.stringify({{ {', '.join(names)} }})}})`"


def _expected(name: str, sample: dict[str, Any] | None) -> str:
    """What `_placeholder` evaluates to for `sample` (JSON.stringify's spelling)."""
    if sample is None:
        return f"{name}: not written yet"
    shown = json.dumps(sample, separators=(",", ":"), ensure_ascii=False)
    return f"{name}: not written yet (got {shown})"


def ts_literal(value: Any) -> str:
    """A TypeScript literal of a JSON value; a string with double quotes and no single ones in
    single quotes, as a person would write it."""
    text = json.dumps(value, ensure_ascii=False)
    if isinstance(value, str) and '"' in value and "'" not in value:
        return "'" + text[1:-1].replace('\\"', '"') + "'"
    return text


def ts_fields(fields: list[str], indent: str) -> str:
    """`{ a, b }` on one line when short, else one field a line at `indent`."""
    line = "{ " + ", ".join(fields) + " }"
    if len(line) <= 60:
        return line
    inner = "".join(f"{indent}  {item},\n" for item in fields)
    return "{\n" + inner + indent + "}"


def _ts_object(values: dict[str, Any]) -> str:
    if not values:
        return "{}"
    return ts_fields([f"{key}: {ts_literal(value)}" for key, value in values.items()], "")


Render = Callable[[str, dict[str, Any]], str]


def renderer() -> Render:
    """(template name, context) -> text, from the template's generators folder."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    from cfmcp import scaffold

    template = scaffold.load_template(scaffold.DEFAULT_TEMPLATE)
    folder = template.generators_root
    if folder is None:
        raise CfmcpError("This cfmcp's template has no generators.")
    environment = Environment(
        loader=FileSystemLoader(folder),
        keep_trailing_newline=True,
        undefined=StrictUndefined,
        autoescape=False,
    )
    environment.filters["ts"] = ts_literal
    environment.filters["ts_fields"] = ts_fields
    return lambda name, context: environment.get_template(name).render(**context)


# --- the list file ----------------------------------------------------------------------------


def add_to_list(text: str, kind: Kind, name: str, path: Path) -> str:
    from cfmcp.add_list import add_to_list as extended

    folder = kind.folder.removeprefix("src/")
    return extended(text, kind.list_name, folder, name, binding_of(name), kind.list_file)


# --- applying it ------------------------------------------------------------------------------


def apply_add(plan: AddPlan) -> list[Path]:
    """Write the new files (each fails if something appeared there meanwhile), then each
    changed file in one step; a file that changed meanwhile stops it all. A changed file is
    backed up first unless git holds it as it is. On any failure, everything is as it was,
    the folders it made included. Returns the backups."""
    from cfmcp import fsutil

    root = plan.project.root
    for relative, (old, _) in plan.edits.items():
        if _read(root / relative) != old:
            raise CfmcpError(f"{relative} changed while cfmcp was working; run it again.")
    backups: list[Path] = []
    written: list[Path] = []
    folders: list[Path] = []
    changed: list[str] = []
    try:
        for relative, text in plan.new_files.items():
            target = root / relative
            missing = [p for p in [target.parent, *target.parent.parents] if not p.exists()]
            target.parent.mkdir(parents=True, exist_ok=True)
            folders.extend(missing)
            fsutil.write_new_file(target, text.encode("utf-8"))
            written.append(target)
        for relative, (_, new) in plan.edits.items():
            if not _committed(plan.project, relative):
                backups.append(fsutil.backup_file(root / relative))
            fsutil.atomic_write_text(root / relative, new)
            changed.append(relative)
    except BaseException as exc:
        for relative in changed:  # all or nothing
            fsutil.atomic_write_text(root / relative, plan.edits[relative][0])
        for target in [*written, *backups]:
            target.unlink(missing_ok=True)
        for folder in sorted(set(folders), key=lambda p: len(p.parts), reverse=True):
            with contextlib.suppress(OSError):
                folder.rmdir()
        if isinstance(exc, OSError):
            where = exc.filename or "a file"
            raise CfmcpError(
                f"Cannot write {where}: {exc.strerror}; nothing was changed.",
                hint="Check the project's files can be written, then run it again.",
            ) from exc
        raise
    return backups


def _read(path: Path) -> str | None:
    try:
        return read_exact(path)
    except (OSError, UnicodeDecodeError):
        return None


def _committed(project: Project, relative: str) -> bool:
    """Whether git holds `relative` as it is now (so it can give it back)."""
    from cfmcp.record import find_git, uncommitted_changes

    if find_git(project) is None:
        return False
    return relative not in uncommitted_changes(project) and _tracked(project, relative)


def _tracked(project: Project, relative: str) -> bool:
    from cfmcp.record import find_git, run_git

    git = find_git(project)
    if git is None:
        return False
    listed = run_git(git, project, "ls-files", "--error-unmatch", "--", relative)
    return listed.returncode == 0


def add(
    project: Project,
    kind_name: KindName,
    name: str,
    *,
    dry_run: bool = False,
    **options: Any,
) -> AddResult:
    """Plan, then (unless `dry_run`) apply, one `cfmcp add` at a time per project: a second
    one waits, then plans on what the first wrote."""
    from cfmcp.fsutil import project_lock

    with project_lock(project.root, "add", wait=True):
        plan = plan_add(project, kind_name, name, **options)
        backups = [] if dry_run else apply_add(plan)
    return AddResult(plan, dry_run, backups)
