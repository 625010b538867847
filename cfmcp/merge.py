"""Three-way merges for `cfmcp upgrade`: base (what cfmcp wrote), ours (the file as its owner
has it now), theirs (what the current template writes).

Text goes through `git merge-file`, the merge git itself does, with the same conflict markers
a developer already knows. `wrangler.toml` is merged by key with tomlkit, so the owner's vars,
bindings, routes, `[env.*]` and comments stay; arrays of tables (bindings, migrations) are
matched by their name, not their place. `package.json` is merged by key too, and by
dependency: the template's pins win for the packages it owns, the owner's own packages stay.

A key both sides changed keeps the owner's value and says so in a note: a Worker's settings are
the owner's to decide, and a conflict marker would leave wrangler.toml unreadable.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cfmcp.errors import CfmcpError

DEPENDENCY_FIELDS = ("dependencies", "devDependencies", "optionalDependencies", "peerDependencies")
# The fields that name an array-of-tables entry in wrangler.toml, in order of preference.
_IDENTITY_KEYS = ("binding", "name", "class_name", "pattern")
_MIGRATION_CLASS_KEYS = (
    "new_classes",
    "new_sqlite_classes",
    "deleted_classes",
    "renamed_classes",
    "transferred_classes",
)
_MISSING = object()


@dataclass
class Merged:
    data: bytes
    conflicts: int = 0  # conflict regions left in the text
    notes: list[str] = field(default_factory=list)  # where the owner's value was kept
    own_packages: list[str] = field(default_factory=list)  # package.json: the owner's additions
    unresolved: list[str] = field(default_factory=list)  # what could not be merged by key


class Notes(list[str]):
    """What a merge by key kept of the owner's over the template's (the list), and what it
    could not merge at all (`unresolved`: a table the owner wrote inline, say)."""

    def __init__(self) -> None:
        super().__init__()
        self.unresolved: list[str] = []


class MergeUnavailable(Exception):
    """No git on PATH to merge text with."""


def merge_text(base: bytes, ours: bytes, theirs: bytes, *, labels: tuple[str, str, str]) -> Merged:
    """git's own three-way merge; conflicts are left as <<<<<<< / ======= / >>>>>>> regions."""
    git = shutil.which("git")
    if git is None:
        raise MergeUnavailable
    with tempfile.TemporaryDirectory(prefix="cfmcp-merge-") as folder:
        paths = []
        for name, data in (("ours", ours), ("base", base), ("theirs", theirs)):
            path = Path(folder) / name
            path.write_bytes(data)
            paths.append(str(path))
        ours_label, base_label, theirs_label = labels
        result = subprocess.run(
            [git, "merge-file", "-p", "-L", ours_label, "-L", base_label, "-L", theirs_label,
             *paths],
            capture_output=True, check=False, timeout=60,
        )  # fmt: skip
    if result.returncode < 0 or result.returncode > 127:
        raise MergeUnavailable
    return Merged(result.stdout, conflicts=result.returncode)


def conflict_regions(data: bytes) -> int:
    """How many conflict regions (`<<<<<<< ` lines) a file still has."""
    return sum(1 for line in data.splitlines() if line.startswith(b"<<<<<<< "))


# --- wrangler.toml ---------------------------------------------------------------------------


def merge_toml(
    base: str | None,
    ours: str,
    theirs: str,
    *,
    name: str = "wrangler.toml",
    delete_classes: list[str] | None = None,
) -> Merged:
    """`ours` with the template's changes since `base` (None: unknown, so every value the owner
    has is kept and only keys new to them are added). Raises CfmcpError when `ours` is not
    TOML."""
    import tomlkit
    from tomlkit.exceptions import ParseError

    try:
        document = tomlkit.parse(ours)
    except ParseError as exc:
        raise CfmcpError(
            f"{name} is not valid TOML ({exc}); cfmcp upgrade changed nothing.",
            hint=f"Fix {name}, then run cfmcp upgrade again.",
        ) from exc
    base_values = tomlkit.parse(base).unwrap() if base is not None else None
    notes = Notes()
    _merge_mapping(document, base_values, tomlkit.parse(theirs), "", notes)
    _merge_environments(document, base_values, theirs, notes)
    for class_name in delete_classes or ():
        _delete_class(document, class_name, notes)
    data = tomlkit.dumps(document).encode("utf-8")
    return Merged(data, notes=list(notes), unresolved=notes.unresolved)


def _merge_environments(document: Any, base: Any, theirs: str, notes: Notes) -> None:
    """An [env.NAME] holds its own copy of the keys wrangler does not inherit (vars, Durable
    Object bindings, rate limits): the template's changes reach those copies too, so a
    staging Worker gets a new binding its code now needs."""
    import tomlkit

    from cfmcp.project import NON_INHERITED_KEYS

    environments = document.get("env")
    if not _is_table(environments):
        return
    base_map = base if isinstance(base, dict) else None
    for name, table in environments.items():
        if not _is_table(table):
            continue
        template = tomlkit.parse(theirs)  # a fresh copy: one item cannot sit in two tables
        where = f"env.{name}"
        for key in NON_INHERITED_KEYS:
            # A section new in the template (not in the base): the environment needs it too.
            new_section = base_map is not None and key not in base_map
            if new_section and key in template and key not in table:
                table[key] = _without_trailing_comments(template[key])
                notes.append(f"{where}.{key}: added (new in the template)")
        keys = [key for key in NON_INHERITED_KEYS if key in table and key in template]
        base_part = {k: base_map[k] for k in keys if k in base_map} if base_map else None
        _merge_mapping(table, base_part, {k: template[k] for k in keys}, where, notes)
        if _is_table_array(table.get("migrations")) and _is_table_array(template.get("migrations")):
            _merge_migrations(table["migrations"], template["migrations"], notes)


def _plain(value: Any) -> Any:
    return value.unwrap() if hasattr(value, "unwrap") else value


def _is_table(value: Any) -> bool:
    """A table merged key by key: a [table] or a JSON object (an inline table is one value)."""
    from tomlkit.items import InlineTable

    return isinstance(value, MutableMapping) and not isinstance(value, InlineTable)


def _is_table_array(value: Any) -> bool:
    from tomlkit.items import AoT

    return isinstance(value, AoT)


def _merge_mapping(
    ours: MutableMapping, base: Any, theirs: MutableMapping, path: str, notes: Any
) -> None:
    base_map = base if isinstance(base, dict) else None
    for key, their_value in theirs.items():
        where = f"{path}.{key}" if path else str(key)
        base_value = base_map.get(key, _MISSING) if base_map is not None else _MISSING
        if key not in ours:
            if base_value is _MISSING:  # new in the template
                ours[key] = (
                    _plain(their_value)
                    if _is_inline(ours)
                    else _without_trailing_comments(their_value)
                )
            elif _plain(their_value) != base_value:
                notes.append(f"{where}: you removed it; the template changed it, left out")
            continue
        our_value = ours[key]
        if isinstance(our_value, MutableMapping) and _is_table(their_value):
            _merge_mapping(our_value, base_value, their_value, where, notes)
        elif _is_table_array(our_value) and _is_table_array(their_value):
            _merge_table_array(our_value, base_value, their_value, where, notes)
        else:
            missing = _missing_entries(our_value, base_value, their_value)
            if missing:
                notes.unresolved.append(
                    f"{where}: yours is written inline, the template's as [[tables]]; add "
                    f"its new entries by hand: {_short(missing)}"
                )
            _merge_value(ours, key, base_value, their_value, where, notes)
    if base_map is None:
        return
    for key in [k for k in ours if k not in theirs and k in base_map]:
        if _plain(ours[key]) == base_map[key]:
            del ours[key]  # the template dropped it and its owner never changed it


def _missing_entries(ours: Any, base: Any, theirs: Any) -> list[Any]:
    """The template's new [[tables]] entries an inline array of the owner's lacks."""
    if not _is_table_array(theirs) or _is_table_array(ours):
        return []
    mine = _plain(ours) if isinstance(_plain(ours), list) else []
    before = base if isinstance(base, list) else []
    return [entry for entry in _plain(theirs) if entry not in mine and entry not in before]


def _is_inline(value: Any) -> bool:
    from tomlkit.items import InlineTable

    return isinstance(value, InlineTable)


def _merge_value(
    ours: MutableMapping, key: str, base: Any, theirs: Any, where: str, notes: list[str]
) -> None:
    mine, new = _plain(ours[key]), _plain(theirs)
    if mine == new:
        return
    if base is not _MISSING and mine == base:
        ours[key] = new if _is_inline(ours) else theirs
    elif base is _MISSING or new != base:
        notes.append(f"{where}: kept yours ({_short(mine)}); the template has {_short(new)}")


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _identity(table: Any) -> tuple[str, Any] | None:
    for key in _IDENTITY_KEYS:
        if key in table:
            return key, _plain(table[key])
    return None


def _merge_table_array(ours: Any, base: Any, theirs: Any, where: str, notes: list[str]) -> None:
    if where == "migrations":
        _merge_migrations(ours, theirs, notes)
        return
    base_items = [item for item in base if isinstance(item, dict)] if isinstance(base, list) else []

    def find(items: Any, identity: tuple[str, Any] | None) -> Any:
        if identity is None:
            return None
        key, value = identity
        return next((item for item in items if _plain(item.get(key)) == value), None)

    for their_item in theirs:
        identity = _identity(their_item)
        label = f"{where}[{identity[1]}]" if identity else where
        mine = find(ours, identity)
        base_item = find(base_items, identity)
        if mine is not None:
            _merge_mapping(mine, base_item, their_item, label, notes)
        elif base_item is None:
            _append_table(ours, their_item)
        else:
            notes.append(f"{label}: you removed it; left out")
    for index in reversed(range(len(ours))):
        identity = _identity(ours[index])
        if find(theirs, identity) is None and _plain(ours[index]) in base_items:
            del ours[index]


def _without_trailing_comments(value: Any) -> Any:
    """A table taken from the template, without the comment lines at its end: tomlkit keeps
    there the comments that introduce the template's next section, which is not next here."""
    from tomlkit.items import AoT, Comment, Table, Whitespace

    tables = list(value) if isinstance(value, AoT) else [value] if isinstance(value, Table) else []
    for table in tables:
        body = table.value.body
        while body and body[-1][0] is None and isinstance(body[-1][1], Comment | Whitespace):
            body.pop()
        if isinstance(value, Table):
            import tomlkit

            table.add(tomlkit.nl())
    return value


def _append_table(tables: Any, new: Any) -> None:
    """Append `new` to an array of tables the way a person would: after a blank line, with the
    comment lines that introduced the next section (tomlkit keeps them at the end of the last
    table) moved below it, so they stay above that section."""
    import tomlkit
    from tomlkit.items import Comment, Whitespace

    body = tables[-1].value.body
    end = len(body)
    while end and body[end - 1][0] is None and isinstance(body[end - 1][1], Comment | Whitespace):
        end -= 1
    first_comment = next(
        (i for i in range(end, len(body)) if isinstance(body[i][1], Comment)), len(body)
    )
    moved = body[first_comment:]
    del body[first_comment:]
    if first_comment == end:  # no blank line after the last table yet
        tables[-1].add(tomlkit.nl())
    if moved:
        new.add(tomlkit.nl())
        new.value.body.extend(moved)
    tables.append(new)


def live_classes(migrations: Any) -> set[str]:
    """The Durable Object classes that exist once `migrations` ran, in order."""
    live: set[str] = set()
    for item in migrations:
        live |= set(_plain(item.get("new_classes", [])))
        live |= set(_plain(item.get("new_sqlite_classes", [])))
        for rename in _plain(item.get("renamed_classes", [])):
            if isinstance(rename, dict):
                live.discard(rename.get("from"))
                live.add(rename.get("to"))
        for transfer in _plain(item.get("transferred_classes", [])):
            if isinstance(transfer, dict):
                live.add(transfer.get("to"))
        live -= set(_plain(item.get("deleted_classes", [])))
    return live


def _next_tag(tags: set[str], wanted: str | None = None) -> str:
    """`wanted` when no migration has that tag yet, else the next unused `vN`."""
    if wanted and wanted not in tags:
        return wanted
    number = len(tags) + 1
    while f"v{number}" in tags:
        number += 1
    return f"v{number}"


def _merge_migrations(ours: Any, theirs: Any, notes: list[str]) -> None:
    """Durable Object migrations run once each, in order, by tag: never change or reorder the
    owner's. A class the template's migrations make that the owner's do not leave alive (never
    made, or deleted since) is made by a migration appended under the template's tag when that
    is free, else the next unused `vN`."""
    from tomlkit import array, table

    live = live_classes(ours)
    tags = {str(_plain(item.get("tag"))) for item in ours}
    for their_item in theirs:
        for key in ("new_sqlite_classes", "new_classes"):
            missing = [c for c in _plain(their_item.get(key, [])) if c not in live]
            if not missing:
                continue
            tag = _next_tag(tags, str(_plain(their_item.get("tag"))))
            added = table()
            added["tag"] = tag
            added[key] = array()
            added[key].extend(missing)
            _append_table(ours, added)
            tags.add(tag)
            live |= set(missing)
            notes.append(f"migrations: added {tag} ({', '.join(missing)})")


def _delete_class(document: Any, class_name: str, notes: Notes) -> None:
    """A migration that deletes `class_name` (and its objects' storage) at the next deploy,
    when a migration made it, none deleted it yet, and no binding still uses it."""
    from tomlkit import table

    migrations = document.get("migrations")
    if migrations is None or not _is_table_array(migrations):
        return
    tables = [document, *(_plain(document.get("env", {})) or {}).values()]
    bindings = [
        binding
        for table in tables
        if isinstance(table, dict)
        for binding in (_plain(table.get("durable_objects", {})) or {}).get("bindings", [])
        if isinstance(binding, dict)
    ]
    if any(b.get("class_name") == class_name for b in bindings):
        notes.unresolved.append(
            f"durable_objects: a binding still uses {class_name} (at the top or in an [env]), "
            "so no migration deletes it; remove that binding, then run cfmcp upgrade again"
        )
        return
    if class_name not in live_classes(migrations):
        return  # never made, or deleted already
    tag = _next_tag({str(_plain(m.get("tag"))) for m in migrations})
    added = table()
    added["tag"] = tag
    added["deleted_classes"] = [class_name]
    _append_table(migrations, added)
    notes.append(f"migrations: added {tag}, deleting {class_name} (its sessions end)")


def same_migrations(ours: bytes, theirs: bytes) -> bool:
    """Whether two wrangler.toml files list the same Durable Object migrations."""
    import tomlkit

    def migrations(data: bytes) -> Any:
        return tomlkit.parse(data.decode("utf-8", "replace")).unwrap().get("migrations", [])

    return bool(migrations(ours) == migrations(theirs))


# --- package.json ----------------------------------------------------------------------------


def parse_json_object(text: str, name: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CfmcpError(
            f"{name} is not valid JSON (line {exc.lineno}, column {exc.colno}); cfmcp upgrade "
            "changed nothing.",
            hint=f"Fix {name}, then run cfmcp upgrade again.",
        ) from exc
    if not isinstance(value, dict):
        raise CfmcpError(
            f"{name} is not a JSON object; cfmcp upgrade changed nothing.",
            hint=f"Fix {name}, then run cfmcp upgrade again.",
        )
    return value


def merge_package_json(base: str | None, ours: str, theirs: str) -> Merged:
    """Keys merged as in wrangler.toml; dependencies by package: a package the template lists
    (now or at `base`) gets the template's pin, or goes when the template dropped it; the
    owner's own packages stay as they are."""
    mine = parse_json_object(ours, "package.json")
    for section in DEPENDENCY_FIELDS:
        if not isinstance(mine.get(section) or {}, dict):
            raise CfmcpError(
                f"package.json's {section} is not an object of package names and versions; "
                "cfmcp upgrade changed nothing.",
                hint=f"Fix {section} in package.json (npm needs it so too), then run cfmcp "
                "upgrade again.",
            )
    template = parse_json_object(theirs, "package.json (template)")
    before = parse_json_object(base, "package.json (as cfmcp wrote it)") if base else None
    owned = {
        package
        for source in (template, before or {})
        for section in DEPENDENCY_FIELDS
        for package in (source.get(section) or {})
    }
    notes: list[str] = []
    rest_mine = {k: v for k, v in mine.items() if k not in DEPENDENCY_FIELDS}
    rest_template = {k: v for k, v in template.items() if k not in DEPENDENCY_FIELDS}
    rest_base = {k: v for k, v in before.items() if k not in DEPENDENCY_FIELDS} if before else None
    _merge_mapping(rest_mine, rest_base, rest_template, "", notes)
    merged: dict[str, Any] = {}
    for key in mine:  # the owner's order of keys, dependency sections in their place
        if key in DEPENDENCY_FIELDS or key in rest_mine:
            merged[key] = rest_mine.get(key)
    for key, value in rest_mine.items():
        merged.setdefault(key, value)  # keys new in the template
    own_packages: list[str] = []
    for section in DEPENDENCY_FIELDS:
        packages = {
            package: version
            for package, version in (mine.get(section) or {}).items()
            if package not in owned
        }
        own_packages += packages
        earlier = (before or {}).get(section) or {}
        for package, version in (template.get(section) or {}).items():
            pinned = (mine.get(section) or {}).get(package)
            if pinned not in (None, version, earlier.get(package)):
                notes.append(f"{section}.{package}: your {pinned} replaced by the template's "
                             f"{version} (cfmcp's packages move together)")  # fmt: skip
        packages.update(template.get(section) or {})
        if packages:
            merged[section] = dict(sorted(packages.items()))
        else:
            merged.pop(section, None)
    text = json.dumps(merged, indent=2, ensure_ascii=False) + "\n"
    return Merged(text.encode("utf-8"), notes=notes, own_packages=sorted(own_packages))
