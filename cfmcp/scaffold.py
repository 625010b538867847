"""Render a project template (templates/<name>/) into a folder with Jinja2.

Files ending in `.j2` are rendered and lose the suffix; other files are copied as they are.
A leading `_` on a file name stands for a dot (`_gitignore` becomes `.gitignore`), so the
template's own ignore rules never apply to this repository.

`template.json` describes the template and is not copied. It names the template's variants
(`cfmcp init --stateful`), its toolchain sets (the wrangler a Node version gets, with its
`compatibility_date`) and, under "choose", the files an option picks: a target path mapped,
for one option, from each of its values to a source file (or to null: no such file for that
value, e.g. a test of sessions only the stateful variant has). "*" stands for every other
value, and a value may map to another such choice, by another option (the Worker's entry
point: by `auth`, then by `variant`). Those sources are used only through
"choose", and their folders (`variants/`, `toolchains/`) are never copied as they are: one
source for every variant, switches instead of copies. Nor is the folder "generators" names:
what `cfmcp add` writes into a project (a tool, a resource, a prompt, and its test).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from cfmcp.errors import CfmcpError

TEMPLATE_META = "template.json"
DEFAULT_TEMPLATE = "cloudflare"
DEFAULT_VARIANT = "stateless"
DEFAULT_PROVIDER = "cloudflare"


@dataclass(frozen=True)
class Toolchain:
    """A set of Worker tool versions that install, type-check, bundle and serve together."""

    name: str
    min_node: tuple[int, int, int]
    engines_node: str
    wrangler: str
    workers_types: str
    types_node: str  # @types/node for the tests, of the oldest Node the set runs on
    compatibility_date: str
    esbuild: str  # the one wrangler bundles with; the apps' views are built with it too

    @property
    def min_node_text(self) -> str:
        return ".".join(map(str, self.min_node))

    def as_context(self) -> dict[str, str]:
        return {
            "name": self.name,
            "engines_node": self.engines_node,
            "wrangler": self.wrangler,
            "workers_types": self.workers_types,
            "types_node": self.types_node,
            "esbuild": self.esbuild,
            "compatibility_date": self.compatibility_date,
        }


@dataclass(frozen=True)
class TemplateFile:
    source: Path
    target: Path  # relative to the project root
    render: bool


Choice = dict[str, dict[str, "str | Choice | None"]]  # {option: {value or "*": pick}}


def _pick(choice: Choice, options: dict[str, str], target: str) -> str | None:
    """The source `choice` picks for `options` (None: no such file)."""
    if len(choice) != 1:
        raise CfmcpError(f"The template chooses {target} by {len(choice)} options; nest them.")
    for option, values in choice.items():
        value = options.get(option)
        key = value if value in values else "*"
        if key not in values:
            raise CfmcpError(f"The template has no {option} {value!r} for {target}.")
        picked = values[key]
        return _pick(picked, options, target) if isinstance(picked, dict) else picked
    return None


def _sources(choice: Choice) -> set[str]:
    found: set[str] = set()
    for values in choice.values():
        for picked in values.values():
            if isinstance(picked, dict):
                found |= _sources(picked)
            elif picked:
                found.add(picked)
    return found


@dataclass(frozen=True)
class Template:
    name: str
    root: Path
    version: str
    description: str
    variants: dict[str, str]  # name -> description
    providers: dict[str, str]  # sign-in provider (`auth`) -> description
    toolchains: dict[str, Toolchain]  # newest first
    # target -> option -> value (or "*") -> source, None (no such file), or a nested choice
    choices: dict[str, Choice]
    # Files earlier versions of the template wrote and this one does not: `cfmcp upgrade`
    # removes them when their owner never changed them.
    retired: tuple[str, ...] = ()
    # The folder of `cfmcp add`'s templates (a tool, a resource, …): never copied as it is.
    generators: str | None = None

    @property
    def generators_root(self) -> Path | None:
        return self.root / self.generators if self.generators else None

    def files(self, options: dict[str, str]) -> list[TemplateFile]:
        """The files to write for `options` (each option named in "choose" -> its value)."""
        chosen_sources = {source for choice in self.choices.values() for source in _sources(choice)}
        pools = {PurePosixPath(s).parent for s in chosen_sources} - {PurePosixPath(".")}
        if self.generators:
            pools.add(PurePosixPath(self.generators))
        files = []
        for source in sorted(self.root.rglob("*")):
            if not source.is_file() or source.name == TEMPLATE_META:
                continue
            if "__pycache__" in source.parts or "node_modules" in source.parts:
                continue
            relative = PurePosixPath(source.relative_to(self.root).as_posix())
            if str(relative) in chosen_sources or any(p in relative.parents for p in pools):
                continue
            files.append(self._file(source, _target_of(relative)))
        for target, choice in self.choices.items():
            source = _pick(choice, options, target)
            if source is not None:
                files.append(self._file(self.root / source, Path(target)))
        return sorted(files, key=lambda f: f.target)

    def _file(self, source: Path, target: Path) -> TemplateFile:
        return TemplateFile(source, target, render=source.suffix == ".j2")


def _target_of(relative: PurePosixPath) -> Path:
    render = relative.suffix == ".j2"
    parts = list(relative.with_suffix("").parts if render else relative.parts)
    if parts[-1].startswith("_"):
        parts[-1] = "." + parts[-1][1:]
    return Path(*parts)


def templates_root() -> Path:
    """Inside the wheel the templates sit in the package; in a checkout, beside it."""
    package_dir = Path(__file__).resolve().parent
    for candidate in (package_dir / "templates", package_dir.parent / "templates"):
        if candidate.is_dir():
            return candidate
    raise CfmcpError(
        "cfmcp's templates are missing from this installation.",
        hint="Reinstall cfmcp: pip install --force-reinstall cfmcp",
    )


def parse_version(text: str) -> tuple[int, int, int]:
    major, minor, patch = (int(part) for part in text.split("."))
    return major, minor, patch


def load_template(name: str = DEFAULT_TEMPLATE) -> Template:
    root = templates_root() / name
    meta_path = root / TEMPLATE_META
    if not meta_path.is_file():
        raise CfmcpError(f"Unknown template {name!r}.")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    toolchains = {
        key: Toolchain(
            name=key,
            min_node=parse_version(value["min_node"]),
            engines_node=value["engines_node"],
            wrangler=value["wrangler"],
            workers_types=value["workers_types"],
            types_node=value["types_node"],
            compatibility_date=value["compatibility_date"],
            esbuild=value["esbuild"],
        )
        for key, value in meta["toolchains"].items()
    }
    return Template(
        name=meta.get("name", name),
        root=root,
        version=str(meta["version"]),
        description=meta.get("description", ""),
        variants=dict(meta["variants"]),
        providers=dict(meta["providers"]),
        toolchains=dict(
            sorted(toolchains.items(), key=lambda item: item[1].min_node, reverse=True)
        ),
        choices=meta.get("choose", {}),
        retired=tuple(meta.get("retired", ())),
        generators=meta.get("generators"),
    )


def render_files(
    template: Template, options: dict[str, str], context: dict[str, Any]
) -> dict[Path, bytes]:
    """The content of every template file for `options`, by path relative to the project."""
    from jinja2 import Environment, StrictUndefined

    environment = Environment(
        keep_trailing_newline=True,
        undefined=StrictUndefined,
        autoescape=False,
    )
    rendered: dict[Path, bytes] = {}
    for item in template.files(options):
        if item.render:
            text = item.source.read_text(encoding="utf-8")
            rendered[item.target] = environment.from_string(text).render(**context).encode()
        else:
            rendered[item.target] = item.source.read_bytes()
    return rendered


def render_template(
    template: Template,
    destination: Path,
    options: dict[str, str],
    context: dict[str, Any],
    *,
    set_aside: list[Path] | None = None,
) -> dict[Path, str]:
    """Write every template file for `options` under `destination`; returns the relative paths
    written, each with the git blob id of what was written there (`blob_id`). A file already
    there (or a symlink: never written through) is renamed to a `.bak` beside it first, and the
    new name appended to `set_aside`."""
    from cfmcp.fsutil import set_aside as rename_aside
    from cfmcp.fsutil import write_new_file

    rendered = render_files(template, options, context)
    for relative in rendered:  # all checked before anything is written
        refuse_linked_folders(destination, relative.parent)
    written: dict[Path, str] = {}
    for relative, data in rendered.items():
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists() or target.is_symlink():
            moved = rename_aside(target)
            if set_aside is not None:
                set_aside.append(moved.relative_to(destination))
        write_new_file(target, data)
        written[relative] = blob_id(data)
    return written


def blob_id(data: bytes) -> str:
    """The id git gives `data` as a file's content (`git hash-object`). cfmcp.json records it
    for every file cfmcp writes: a file whose content still has that id is as cfmcp wrote it,
    and the project's git history gives back what cfmcp wrote by it."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def refuse_linked_folders(root: Path, relative: Path, *, command: str = "cfmcp init") -> None:
    """The project's files go into the project's own folders, not wherever a link points."""
    folder = root
    for part in relative.parts:
        folder = folder / part
        if folder.is_symlink():
            raise CfmcpError(
                f"{folder} is a symlink (to {os.readlink(folder)}); {command} writes only into "
                "the project's own folders, so nothing was written.",
                hint=f"Remove the link or pick another folder, then run {command} again.",
            )
