"""A cfmcp project on disk: where it is, its wrangler.toml, and what cfmcp recorded about it.

`cfmcp.json` at the project root holds what cfmcp generated (template and options) and what
later commands learn (deployed URLs, OAuth clients), per environment. It holds no secrets.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cfmcp.errors import CfmcpError, UsageError
from cfmcp.fsutil import atomic_write_text

if TYPE_CHECKING:
    import tomlkit.toml_document

WRANGLER_FILE = "wrangler.toml"
STATE_FILE = "cfmcp.json"
DEV_VARS_FILE = ".dev.vars"
DEFAULT_ENV = "production"
KV_BINDING = "OAUTH_KV"
KV_PLACEHOLDER = "REPLACE_WITH_KV_NAMESPACE_ID"
MCP_PATH = "/mcp"
SSE_PATH = "/sse"


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
        environments = data.get("environments", {}) if isinstance(data, dict) else None
        if not isinstance(environments, dict) or not all(
            isinstance(record, dict) for record in environments.values()
        ):
            raise CfmcpError(
                f"{self.state_path} is not what cfmcp writes: it should be a JSON object whose "
                '"environments" maps names to objects.',
                hint="Fix the file, or move it aside and run `cfmcp deploy` to record the URL "
                "again.",
            )
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

    def environments(self) -> list[str]:
        """The environments wrangler.toml defines (its [env.NAME] tables), in file order."""
        env_root = self.load_wrangler().get("env")
        return [str(name) for name in env_root] if hasattr(env_root, "keys") else []

    def require_env(self, env: str | None, *, create: bool = False) -> list[str] | None:
        """Stop on an environment wrangler.toml does not define, so a typo creates nothing.

        With `create`, a missing [env.NAME] is added (with the top-level keys wrangler does
        not inherit) and the names of the keys copied are returned; None when nothing changed.
        """
        if not env:
            return None
        defined = self.environments()
        if env in defined:
            return None
        if not create:
            listing = ", ".join(defined) if defined else "none, only the top level"
            raise UnknownEnvironment(
                f"{self.wrangler_toml.name} defines no environment {env!r} (defined: {listing}).",
                hint=f"Check the spelling. To add [env.{env}]: cfmcp deploy --env {env} "
                "--create-env (kv create, secrets set, up and oauth-client create take "
                "--create-env too).",
            )
        document = self.load_wrangler()
        _, copied = env_table(document, env, create=True)
        self.save_wrangler(document)
        return copied

    def worker_name(self, env: str | None = None) -> str:
        config = self.load_wrangler()
        name = config.get("name")
        if not isinstance(name, str) or not name:
            raise CfmcpError(f"{self.wrangler_toml} has no `name`.", hint='Add name = "my-worker".')
        if env:
            env_table = config.get("env", {}).get(env, {})
            # wrangler names an environment's Worker `<name>-<env>` unless the env sets a name.
            return str(env_table.get("name") or f"{name}-{env}")
        return str(name)  # a plain str: tomlkit's String is one too, but YAML can't write it

    @property
    def variant(self) -> str:
        """`stateless` or `stateful`, as `cfmcp init` recorded it. Projects made before it was
        recorded were all stateful; the session Durable Object's binding says so too."""
        try:
            recorded = self.read_state().get("options", {}).get("variant")
        except CfmcpError:
            recorded = None
        if recorded in ("stateless", "stateful"):
            return str(recorded)
        try:
            bindings = self.load_wrangler().get("durable_objects", {}).get("bindings", [])
        except CfmcpError:
            bindings = []
        # The session object; every signed-in project also has a RefreshGate.
        stateful = any(binding.get("class_name") == "MyMCP" for binding in bindings)
        return "stateful" if stateful else "stateless"

    @property
    def toolchain(self) -> str | None:
        """The template's toolchain set this project uses (`current`, `node20`): the set whose
        wrangler package.json pins (a project moved up by hand is on the new set), else what
        `cfmcp init` recorded; None if neither says."""
        from cfmcp.scaffold import load_template

        toolchains = load_template().toolchains
        try:
            package = json.loads((self.root / "package.json").read_text(encoding="utf-8"))
            pinned = package.get("devDependencies", {}).get("wrangler")
        except (OSError, ValueError, AttributeError):
            pinned = None
        found = next((name for name, t in toolchains.items() if t.wrangler == pinned), None)
        if found or pinned:
            return found
        try:
            recorded = self.read_state().get("options", {}).get("toolchain")
        except CfmcpError:
            recorded = None
        return str(recorded) if recorded in toolchains else None

    @property
    def node_range(self) -> str | None:
        """The Node versions the project declares it needs (package.json `engines.node`)."""
        try:
            package = json.loads((self.root / "package.json").read_text(encoding="utf-8"))
            value = package.get("engines", {}).get("node")
        except (OSError, ValueError, AttributeError):
            return None
        return value if isinstance(value, str) else None

    def endpoints(self, url: str | None) -> dict[str, str]:
        """The MCP endpoints of this project's server at `url`: /mcp, and /sse where it is
        HTTP+SSE (the stateful variant; a stateless server's /sse is an alias of /mcp)."""
        if not url:
            return {}
        found = {"mcp": url + MCP_PATH}
        if self.variant == "stateful":
            found["sse"] = url + SSE_PATH
        return found

    def kv_namespace_id(self, env: str | None = None) -> str | None:
        """The OAUTH_KV namespace id in wrangler.toml for `env`, as written (maybe the
        placeholder); None when there is no OAUTH_KV binding for `env`."""
        return read_kv_id(self.load_wrangler(), env)


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
        hint="Run this inside a project made by `cfmcp init`, or name one: cfmcp -C DIR COMMAND",
    )


def project_or_none(start: Path | None = None) -> Project | None:
    """The project containing `start`, or None outside one (for commands that work anywhere)."""
    try:
        return find_project(start)
    except CfmcpError:
        return None


# --- the OAUTH_KV binding in wrangler.toml --------------------------------------------------

# wrangler does not inherit these from the top level into [env.NAME]: an environment without
# them deploys a Worker with no Durable Object or vars (wrangler 4.86 only warns).
NON_INHERITED_KEYS = ("vars", "durable_objects", "ratelimits")


def is_kv_namespace_id(value: object) -> bool:
    """A real namespace id (32 hex digits), not the template's placeholder."""
    import re

    return isinstance(value, str) and re.fullmatch(r"[0-9a-f]{32}", value) is not None


class UnknownEnvironment(UsageError):
    """An --env that wrangler.toml does not define."""


def binding_table(document: Any, env: str | None) -> Any:
    """The table holding `kv_namespaces` for `env` (the document itself for the top level),
    or None when the environment has no table yet."""
    if not env:
        return document
    env_root = document.get("env")
    if env_root is None or not hasattr(env_root, "get"):
        return None
    return env_root.get(env)


def env_table(document: Any, env: str | None, *, create: bool = False) -> tuple[Any, list[str]]:
    """The table of `env` in a tomlkit document (the document itself for the top level) and
    the names of the top-level keys copied into it. With `create`, a missing table is
    appended; an environment then gets the keys wrangler does not inherit that it lacks."""
    import copy

    import tomlkit

    table = binding_table(document, env)
    if not env or (table is None and not create):
        return table, []
    if table is None:
        env_root = document.get("env")
        if env_root is None:
            env_root = tomlkit.table(is_super_table=True)
            document.append("env", env_root)
        table = tomlkit.table()  # its own [env.NAME] header, so it exists even when empty
        env_root.append(env, table)
    copied: list[str] = []
    for key in NON_INHERITED_KEYS:
        if key in document and key not in table:
            table.append(key, copy.deepcopy(document[key]))
            copied.append(key)
    return table, copied


def read_kv_id(document: Any, env: str | None = None, binding: str = KV_BINDING) -> str | None:
    """The id of the `binding` KV namespace for `env`, as written (maybe the placeholder)."""
    table = binding_table(document, env)
    entries = table.get("kv_namespaces") if table is not None else None
    for entry in entries or []:
        if hasattr(entry, "get") and entry.get("binding") == binding:
            value = entry.get("id")
            return str(value) if value is not None else None
    return None


def write_kv_id(
    document: Any, namespace_id: str, env: str | None = None, binding: str = KV_BINDING
) -> list[str]:
    """Set the `binding` namespace id for `env` in a tomlkit document, in place.

    The existing entry keeps its comments and layout; a missing one is appended. For an
    environment, top-level keys wrangler does not inherit are copied into it when it lacks them;
    returns the names of the keys copied.
    """
    import tomlkit

    table, copied = env_table(document, env, create=True)
    entries = table.get("kv_namespaces")
    if entries is not None:
        for entry in entries:
            if hasattr(entry, "get") and entry.get("binding") == binding:
                entry["id"] = namespace_id
                return copied
    entry = tomlkit.table()
    entry.add("binding", binding)
    entry.add("id", namespace_id)
    if entries is None:
        entries = tomlkit.aot()
        entries.append(entry)
        table.append("kv_namespaces", entries)
    else:
        entries.append(entry)
    return copied
