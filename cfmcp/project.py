"""A cfmcp project on disk: where it is, its wrangler.toml, and what cfmcp recorded about it.

`cfmcp.json` at the project root holds what cfmcp generated (template and options) and what
later commands learn (deployed URLs, OAuth clients), per environment. It holds no secrets.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cfmcp.errors import CfmcpError
from cfmcp.fsutil import atomic_write_text

if TYPE_CHECKING:
    import tomlkit.toml_document

WRANGLER_FILE = "wrangler.toml"
STATE_FILE = "cfmcp.json"
DEV_VARS_FILE = ".dev.vars"
DEFAULT_ENV = "production"
KV_BINDING = "OAUTH_KV"
KV_PLACEHOLDER = "REPLACE_WITH_KV_NAMESPACE_ID"


@dataclass(frozen=True)
class Project:
    root: Path

    @property
    def wrangler_toml(self) -> Path:
        return self.root / WRANGLER_FILE

    @property
    def state_path(self) -> Path:
        return self.root / STATE_FILE

    @property
    def dev_vars(self) -> Path:
        return self.root / DEV_VARS_FILE

    @property
    def wrangler_bin(self) -> Path:
        return self.root / "node_modules" / ".bin" / "wrangler"

    @property
    def has_node_modules(self) -> bool:
        return self.wrangler_bin.exists()

    # --- cfmcp.json -------------------------------------------------------------------------

    def read_state(self) -> dict[str, Any]:
        try:
            text = self.state_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CfmcpError(
                f"{self.state_path} is not valid JSON (line {exc.lineno}, column {exc.colno}).",
                hint="Fix or delete the file; cfmcp records deployed URLs and OAuth clients there.",
            ) from exc
        if not isinstance(data, dict):
            raise CfmcpError(f"{self.state_path} should hold a JSON object.")
        return data

    def write_state(self, state: dict[str, Any]) -> None:
        atomic_write_text(self.state_path, json.dumps(state, indent=2) + "\n")

    def env_state(self, env: str | None) -> dict[str, Any]:
        return dict(self.read_state().get("environments", {}).get(env_key(env), {}))

    def update_env_state(self, env: str | None, **values: Any) -> dict[str, Any]:
        """Merge `values` into the record for `env` (None values remove keys) and save."""
        state = self.read_state()
        envs = state.setdefault("environments", {})
        record = envs.setdefault(env_key(env), {})
        for key, value in values.items():
            if value is None:
                record.pop(key, None)
            else:
                record[key] = value
        self.write_state(state)
        return dict(record)

    # --- wrangler.toml ----------------------------------------------------------------------

    def load_wrangler(self) -> tomlkit.toml_document.TOMLDocument:
        return load_toml(self.wrangler_toml)

    def save_wrangler(self, document: tomlkit.toml_document.TOMLDocument) -> None:
        import tomlkit

        atomic_write_text(self.wrangler_toml, tomlkit.dumps(document))

    def worker_name(self, env: str | None = None) -> str:
        config = self.load_wrangler()
        name = config.get("name")
        if not isinstance(name, str) or not name:
            raise CfmcpError(f"{self.wrangler_toml} has no `name`.", hint='Add name = "my-worker".')
        if env:
            env_table = config.get("env", {}).get(env, {})
            # wrangler names an environment's Worker `<name>-<env>` unless the env sets a name.
            return str(env_table.get("name") or f"{name}-{env}")
        return name


def env_key(env: str | None) -> str:
    return env or DEFAULT_ENV


def load_toml(path: Path) -> tomlkit.toml_document.TOMLDocument:
    import tomlkit
    from tomlkit.exceptions import ParseError

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise CfmcpError(f"{path} does not exist.") from exc
    try:
        return tomlkit.parse(text)
    except ParseError as exc:
        raise CfmcpError(
            f"{path} is not valid TOML (line {exc.line}, column {exc.col}); left it untouched.",
            hint="Fix the file, then run the command again.",
        ) from exc


def find_project(start: Path | None = None) -> Project:
    """The project containing `start` (default: the working directory)."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / WRANGLER_FILE).is_file():
            return Project(folder)
    raise CfmcpError(
        f"No {WRANGLER_FILE} in {here} or any folder above it.",
        hint="Run this inside a project made by `cfmcp init`, or pass --directory DIR.",
    )
