"""Render a project template (templates/<name>/) into a folder with Jinja2.

Files ending in `.j2` are rendered and lose the suffix; other files are copied as they are.
A leading `_` on a file name stands for a dot (`_gitignore` becomes `.gitignore`), so the
template's own ignore rules never apply to this repository. `template.json` describes the
template and is not copied.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cfmcp.errors import CfmcpError

TEMPLATE_META = "template.json"
DEFAULT_TEMPLATE = "cloudflare"


@dataclass(frozen=True)
class TemplateFile:
    source: Path
    target: Path  # relative to the project root
    render: bool


@dataclass(frozen=True)
class Template:
    name: str
    root: Path
    version: str
    description: str
    compatibility_date: str

    def files(self) -> list[TemplateFile]:
        files = []
        for source in sorted(self.root.rglob("*")):
            if not source.is_file() or source.name == TEMPLATE_META:
                continue
            if "__pycache__" in source.parts or "node_modules" in source.parts:
                continue
            relative = source.relative_to(self.root)
            render = relative.suffix == ".j2"
            parts = list(relative.with_suffix("").parts if render else relative.parts)
            if parts[-1].startswith("_"):
                parts[-1] = "." + parts[-1][1:]
            files.append(TemplateFile(source, Path(*parts), render))
        return files


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


def load_template(name: str = DEFAULT_TEMPLATE) -> Template:
    root = templates_root() / name
    meta_path = root / TEMPLATE_META
    if not meta_path.is_file():
        raise CfmcpError(f"Unknown template {name!r}.")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    return Template(
        name=meta.get("name", name),
        root=root,
        version=str(meta["version"]),
        description=meta.get("description", ""),
        compatibility_date=meta["compatibility_date"],
    )


def render_template(template: Template, destination: Path, context: dict[str, Any]) -> list[Path]:
    """Write every template file under `destination`; returns the relative paths written."""
    from jinja2 import Environment, StrictUndefined

    environment = Environment(
        keep_trailing_newline=True,
        undefined=StrictUndefined,
        autoescape=False,
    )
    written = []
    for item in template.files():
        target = destination / item.target
        target.parent.mkdir(parents=True, exist_ok=True)
        if item.render:
            text = item.source.read_text(encoding="utf-8")
            rendered = environment.from_string(text).render(**context)
            target.write_text(rendered, encoding="utf-8")
        else:
            shutil.copyfile(item.source, target)
        written.append(item.target)
    return written
