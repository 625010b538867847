"""The Worker's secrets: where each value comes from, the OS keyring, `.dev.vars`, and putting
them on Cloudflare.

Values never go on a command line, into cfmcp.json, or into any output: only their names and
where they came from are shown.

Keyring entries are per Worker and target: service `cfmcp:<worker>:<env or production>` for
values put on Cloudflare, `cfmcp:<worker>:local` (or `local-<env>`) for `.dev.vars`, so that a
dev OAuth client (redirect URI on localhost) never ends up on the deployed Worker. Username =
the secret's name.
"""

from __future__ import annotations

import os
import re
import secrets as random_source
import sys
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from cfmcp.dotenv import check_name, dev_vars_path, read_dev_vars, write_dev_vars
from cfmcp.errors import CfmcpError, UsageError
from cfmcp.fsutil import atomic_write_text
from cfmcp.project import Project, env_key


def required_secrets(project: Project) -> tuple[str, ...]:
    """The secrets the project's Worker needs: its sign-in provider's client id and secret,
    and COOKIE_ENCRYPTION_KEY."""
    from cfmcp.providers import provider_of

    return provider_of(project).secrets


# Where a value came from (in --json output), and how to say it.
STDIN = "stdin"
ENVIRONMENT = "env"
KEYRING = "keyring"
PROMPT = "prompt"
GENERATED = "generated"
CLOUDFLARE = "cloudflare"  # made by `cfmcp oauth-client`
RECORD = "record"  # the OAuth client id recorded in cfmcp.json (an id is not a secret)
SOURCE_TEXT = {
    STDIN: "from standard input",
    ENVIRONMENT: "from the environment",
    KEYRING: "from the keyring",
    PROMPT: "entered",
    GENERATED: "generated",
    CLOUDFLARE: "from Cloudflare (OAuth client)",
    RECORD: "from cfmcp.json",
}

_ENV_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")


def generate_cookie_key() -> str:
    """32 random bytes, hex: the key the Worker encrypts its approval cookies with."""
    return random_source.token_hex(32)


GENERATORS: dict[str, Callable[[], str]] = {"COOKIE_ENCRYPTION_KEY": generate_cookie_key}


@dataclass(frozen=True)
class SecretValue:
    name: str
    value: str = field(repr=False)
    source: str


def check_env(env: str | None) -> str | None:
    if env is not None and not _ENV_NAME.fullmatch(env):
        raise UsageError(
            f"Invalid environment name {env!r}.",
            hint="Use letters, digits, dashes and underscores, as in [env.NAME] in wrangler.toml.",
        )
    return env or None


# --- keyring --------------------------------------------------------------------------------


def keyring_service(worker: str, env: str | None = None, *, local: bool = False) -> str:
    if local:
        return f"cfmcp:{worker}:local" + (f"-{env}" if env else "")
    return f"cfmcp:{worker}:{env_key(env)}"


class SecretStore:
    """The OS keyring for one service, or the reason there is none (`unavailable`).

    A machine without a usable backend (a headless Linux: keyring's fail.Keyring) or a backend
    that errors is not a failure: reads find nothing, writes are skipped, and `unavailable` says
    why, for one notice.
    """

    def __init__(self, service: str):
        self.service = service
        self.unavailable: str | None = None
        self._backend: Any = None

    def _keyring(self) -> Any:
        if self.unavailable is not None:
            return None
        if self._backend is None:
            try:
                import keyring
                from keyring.backends import fail, null

                backend = keyring.get_keyring()
            except Exception as exc:  # a broken keyring configuration must not stop cfmcp
                self.unavailable = f"the keyring could not be loaded ({exc})"
                return None
            if isinstance(backend, (fail.Keyring, null.Keyring)):
                self.unavailable = (
                    f"no usable keyring backend on this machine ({_describe(backend)})"
                )
                return None
            self._backend = backend
        return self._backend

    def get(self, name: str) -> str | None:
        backend = self._keyring()
        if backend is None:
            return None
        try:
            return backend.get_password(self.service, name) or None
        except Exception as exc:
            self.unavailable = f"the keyring ({_describe(backend)}) failed: {exc}"
            return None

    def usable(self) -> bool:
        """Whether a keyring backend is there to write to (else `unavailable` says why)."""
        return self._keyring() is not None

    def set(self, name: str, value: str) -> bool:
        backend = self._keyring()
        if backend is None:
            return False
        try:
            backend.set_password(self.service, name, value)
        except Exception as exc:
            self.unavailable = f"the keyring ({_describe(backend)}) failed: {exc}"
            return False
        return True

    def delete(self, name: str) -> bool:
        backend = self._keyring()
        if backend is None:
            return False
        try:
            backend.delete_password(self.service, name)
        except Exception:  # not there (PasswordDeleteError) or a backend failure: nothing to do
            return False
        return True


def _describe(backend: Any) -> str:
    return f"{type(backend).__module__.removeprefix('keyring.backends.')}.{type(backend).__name__}"


# --- where values come from -----------------------------------------------------------------


def read_stdin_value(stream: TextIO) -> str | None:
    """A value piped on standard input, trailing whitespace trimmed as wrangler does."""
    value = stream.read().rstrip()
    return value or None


def resolve_values(
    names: Iterable[str],
    *,
    store: SecretStore,
    stdin: TextIO | None = None,
    environ: Mapping[str, str] | None = None,
    prompt: Callable[[str], str] | None = None,
    recorded: Mapping[str, str] | None = None,
) -> list[SecretValue]:
    """A value for each name, from the first source that has one:

    1. standard input, when it is not a terminal and exactly one name is asked for (a value
       piped for several names is refused: which one would it be?);
    2. an environment variable of the same name;
    3. the keyring (`store`), saved by an earlier run;
    4. `recorded`: what cfmcp.json knows (the OAuth client id);
    5. for COOKIE_ENCRYPTION_KEY, a new random key (nobody should have to invent one);
    6. `prompt(name)` (pass one only when standard input is a terminal).

    Raises a CfmcpError naming every value it found no source for.
    """
    names = list(dict.fromkeys(check_name(name) for name in names))
    environ = os.environ if environ is None else environ
    piped: str | None = None
    if stdin is not None and not _isatty(stdin):
        piped = read_stdin_value(stdin)
        if piped is not None and len(names) > 1:
            raise UsageError(
                f"A value on standard input answers one secret, and {len(names)} are named "
                f"({', '.join(names)}); nothing was set.",
                hint=f'Pipe one at a time: printf %s "$VALUE" | cfmcp secrets set {names[0]}',
            )

    values: list[SecretValue] = []
    missing: list[str] = []
    for name in names:
        if piped is not None:
            values.append(SecretValue(name, piped, STDIN))
            continue
        from_env = (environ.get(name) or "").rstrip()
        if from_env:
            values.append(SecretValue(name, from_env, ENVIRONMENT))
            continue
        saved = store.get(name)
        if saved:
            values.append(SecretValue(name, saved, KEYRING))
            continue
        if recorded and recorded.get(name):
            values.append(SecretValue(name, recorded[name], RECORD))
            continue
        if name in GENERATORS:
            values.append(SecretValue(name, GENERATORS[name](), GENERATED))
            continue
        if prompt is not None:
            answer = prompt(name).rstrip()
            if not answer:
                raise CfmcpError(f"No value given for {name}; nothing was changed.")
            values.append(SecretValue(name, answer, PROMPT))
            continue
        missing.append(name)
    for value in values:
        check_value(value)
    if missing:
        first = missing[0]
        raise CfmcpError(
            f"No value for {', '.join(missing)} (standard input is not a terminal, so cfmcp "
            "cannot ask); nothing was changed.",
            hint=f"Set {' and '.join(missing)} in the environment "
            f"(`{first}=... cfmcp secrets set`), pipe a single value "
            f'(`printf %s "$VALUE" | cfmcp secrets set {first}`), or run it in a terminal.'
            + _new_client_hint(missing),
        )
    return values


# The Worker signs remembered approvals with it; the OAuth library needs 32 characters at least.
MIN_COOKIE_KEY_LENGTH = 32


def check_value(value: SecretValue) -> SecretValue:
    """Refuse a value the Worker would refuse at run time, before anything is stored."""
    if value.name == "COOKIE_ENCRYPTION_KEY" and len(value.value) < MIN_COOKIE_KEY_LENGTH:
        raise UsageError(
            f"COOKIE_ENCRYPTION_KEY ({SOURCE_TEXT.get(value.source, value.source)}) is "
            f"{len(value.value)} characters; the Worker needs {MIN_COOKIE_KEY_LENGTH} or more. "
            "Nothing was changed.",
            hint="Leave it unset and cfmcp generates one (32 random bytes, hex).",
        )
    return value


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _new_client_hint(missing: list[str]) -> str:
    """How to get the OAuth client whose id or secret is missing, if one is."""
    from cfmcp.providers import PROVIDERS

    for spec in PROVIDERS.values():
        if set(missing) & set(spec.client_secrets):
            return f" No OAuth client yet? {spec.new_client_hint}"
    return ""


def hidden_prompt(name: str) -> str:
    """Ask for a value without echoing it (on stderr, so stdout stays clean)."""
    from cfmcp import prompts
    from cfmcp.providers import PROVIDERS

    texts = {}
    for spec in PROVIDERS.values():
        texts[spec.client_id] = spec.client_id_prompt
        texts[spec.client_secret] = spec.client_secret_prompt
    return prompts.secret(texts.get(name, name))


def ensure_git_ignored(project: Project, path: Path) -> bool:
    """Make sure git ignores `path`; returns True when a line was added to .gitignore."""
    if is_git_ignored(project, path):
        return False
    gitignore = project.root / ".gitignore"
    try:
        text = gitignore.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    if text and not text.endswith("\n"):
        text += "\n"
    relative = os.path.relpath(path, project.root)
    text += f"# Local secrets for `wrangler dev` (cfmcp secrets set --local)\n/{relative}\n"
    atomic_write_text(gitignore, text)
    return True


def _git(project: Project, *args: str) -> int | None:
    """The exit code of `git ARGS` in the project, or None when git cannot answer."""
    import shutil
    import subprocess

    if not shutil.which("git"):
        return None
    try:
        result = subprocess.run(
            ["git", *args], cwd=project.root, capture_output=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.returncode


def is_git_tracked(project: Project, path: Path) -> bool:
    """Whether git already tracks `path`: .gitignore then no longer protects it."""
    relative = os.path.relpath(path, project.root)
    return _git(project, "ls-files", "--error-unmatch", "--", relative) == 0


def refuse_if_tracked(project: Project, path: Path) -> None:
    if is_git_tracked(project, path):
        relative = os.path.relpath(path, project.root)
        raise CfmcpError(
            f"git tracks {relative}: secrets written there would be committed; nothing was "
            "written.",
            hint=f"Stop tracking it (the file stays): git rm --cached {relative}",
        )


def is_git_ignored(project: Project, path: Path) -> bool:
    """Whether the project's .gitignore covers `path` (git itself decides when it can); a file
    git already tracks is not protected by .gitignore, so it does not count."""
    if is_git_tracked(project, path):
        return False
    relative = os.path.relpath(path, project.root)
    code = _git(project, "check-ignore", "-q", "--no-index", relative)
    if code in (0, 1):
        return code == 0
    return _gitignore_matches(project.root / ".gitignore", relative)


def _gitignore_matches(gitignore: Path, relative: str) -> bool:
    """A plain reading of one .gitignore for a file at the project root (no git needed)."""
    from fnmatch import fnmatchcase

    try:
        lines = gitignore.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return False
    ignored = False
    for line in lines:
        pattern = line.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negate = pattern.startswith("!")
        pattern = pattern.removeprefix("!").removeprefix("/")
        if pattern.endswith("/"):
            continue  # directories only
        if fnmatchcase(relative, pattern) or fnmatchcase(relative, f"**/{pattern}"):
            ignored = not negate
    return ignored


# --- putting values where they go -----------------------------------------------------------


@dataclass
class StoreResult:
    worker: str
    env: str | None
    local: bool
    target: str  # "Cloudflare (Worker NAME)" or the .dev.vars path
    values: list[SecretValue]
    saved: list[str] = field(default_factory=list)  # names saved to the keyring
    keyring_notice: str | None = None
    created_worker: bool = False  # wrangler made a placeholder Worker to hold the secrets
    gitignore_added: bool = False
    kept: list[str] = field(default_factory=list)  # already set there, left as they were

    def to_json(self) -> dict[str, Any]:
        return {
            "worker": self.worker,
            "env": env_key(self.env),
            "target": "local" if self.local else "cloudflare",
            "path": self.target if self.local else None,
            "secrets": [{"name": v.name, "source": v.source} for v in self.values],
            "saved_to_keyring": self.saved,
            "keyring": self.keyring_notice or "ok",
            "created_worker": self.created_worker,
            "gitignore_added": self.gitignore_added,
            "kept": self.kept,
        }


def set_secrets(
    project: Project,
    names: list[str],
    *,
    env: str | None = None,
    local: bool = False,
    save: bool = True,
    force: bool = False,
    progress: Callable[[str], AbstractContextManager[Any]] | None = None,
) -> StoreResult:
    """`cfmcp secrets set`: the named secrets, or, with no names, the required ones that are
    not set yet at the target (all of them with `force`). What is already there is kept."""
    kept: list[str] = []
    required = required_secrets(project)
    if not names and not force and required:  # a server without sign-in needs none: ask nobody
        progress = progress or (lambda message: nullcontext())
        with progress("Checking which secrets are set…"):
            present = set(_names_at_target(project, env, local=local))
        kept = [name for name in required if name in present]
    wanted = list(names) or [name for name in required if name not in kept]
    if not wanted:
        worker = project.worker_name(env)
        return StoreResult(
            worker=worker,
            env=env,
            local=local,
            target=str(dev_vars_path(project, env)) if local else f"Cloudflare (Worker {worker})",
            values=[],
            kept=kept,
        )
    # Standard input answers only for a name the user gave, never for one cfmcp chose.
    values, store = secret_values(project, wanted, env=env, local=local, read_stdin=bool(names))
    result = store_secrets(
        project, values, env=env, local=local, save=save, store=store, progress=progress
    )
    result.kept = kept
    return result


def _names_at_target(project: Project, env: str | None, *, local: bool) -> list[str]:
    if local:
        return list(read_dev_vars(project, env))
    from cfmcp import wrangler

    return wrangler.secret_list(project, env=env) or []


def store_for(project: Project, env: str | None = None, *, local: bool = False) -> SecretStore:
    return SecretStore(keyring_service(project.worker_name(), env, local=local))


def store_secrets(
    project: Project,
    values: Iterable[SecretValue],
    *,
    env: str | None = None,
    local: bool = False,
    save: bool = True,
    store: SecretStore | None = None,
    progress: Callable[[str], AbstractContextManager[Any]] | None = None,
) -> StoreResult:
    """Save the values to the keyring (unless `save` is off), then put them on the Worker with
    `wrangler secret put` (value on stdin) or, with `local`, into .dev.vars.

    The one path for every secret cfmcp writes (`secrets set`, and OAuth clients it creates).
    """
    env = check_env(env)
    values = list(values)
    store = store or store_for(project, env, local=local)
    progress = progress or (lambda message: nullcontext())
    worker = project.worker_name(env)
    if local:
        refuse_if_tracked(project, dev_vars_path(project, env))
    result = StoreResult(
        worker=worker,
        env=env,
        local=local,
        target=str(dev_vars_path(project, env)) if local else f"Cloudflare (Worker {worker})",
        values=values,
    )
    if save:
        for value in values:
            if value.source != KEYRING and store.set(value.name, value.value):
                result.saved.append(value.name)
    result.keyring_notice = store.unavailable

    if local:
        path = dev_vars_path(project, env)
        write_dev_vars(path, {value.name: value.value for value in values})
        result.gitignore_added = ensure_git_ignored(project, path)
        return result

    from cfmcp import wrangler

    for value in values:
        with progress(f"Putting {value.name} on Worker {worker}…"):
            put = wrangler.secret_put(project, value.name, value.value, env=env)
        if "Creating new Worker" in wrangler.strip_ansi(put.stdout):
            result.created_worker = True
    return result


def secret_values(
    project: Project,
    names: Iterable[str],
    *,
    env: str | None = None,
    local: bool = False,
    stdin: TextIO | None = None,
    environ: Mapping[str, str] | None = None,
    interactive: bool | None = None,
    store: SecretStore | None = None,
    read_stdin: bool = True,
) -> tuple[list[SecretValue], SecretStore]:
    """The values for `secrets set`, with the store they were looked up in."""
    store = store or store_for(project, env, local=local)
    stdin = sys.stdin if stdin is None else stdin
    if interactive is None:
        interactive = _isatty(stdin)
    values = resolve_values(
        names,
        store=store,
        stdin=stdin if read_stdin else None,
        environ=environ,
        prompt=hidden_prompt if interactive else None,
        recorded=recorded_values(project, env, local=local),
    )
    return values, store


def recorded_values(project: Project, env: str | None, *, local: bool = False) -> dict[str, str]:
    """Values cfmcp.json holds: the id of the OAuth client recorded for `env` (the
    development client's with `local`). A client id is public; its secret is never recorded."""
    from cfmcp.oauth_record import recorded_client

    client_id = recorded_client(project, env, dev=local).get("id")
    return {"CLOUDFLARE_CLIENT_ID": str(client_id)} if client_id else {}


# --- what is set where ----------------------------------------------------------------------


@dataclass
class SecretStatus:
    name: str
    required: bool
    cloudflare: bool | None  # None: not checked
    local: bool


@dataclass
class SecretListing:
    worker: str
    env: str | None
    worker_exists: bool | None  # None: Cloudflare not asked
    dev_vars: str
    secrets: list[SecretStatus]

    @property
    def missing(self) -> list[str]:
        """Required names not set on Cloudflare."""
        return [s.name for s in self.secrets if s.required and s.cloudflare is False]

    def to_json(self) -> dict[str, Any]:
        return {
            "worker": self.worker,
            "env": env_key(self.env),
            "worker_exists": self.worker_exists,
            "dev_vars": self.dev_vars,
            "secrets": [
                {
                    "name": s.name,
                    "required": s.required,
                    "cloudflare": s.cloudflare,
                    "local": s.local,
                }
                for s in self.secrets
            ],
            "missing": self.missing,
        }


def list_secrets(project: Project, env: str | None = None, *, remote: bool = True) -> SecretListing:
    """The required names and every other secret, with where each is set (never values)."""
    from cfmcp import wrangler

    env = check_env(env)
    worker = project.worker_name(env)
    remote_names: list[str] | None = None
    worker_exists: bool | None = None
    if remote:
        remote_names = wrangler.secret_list(project, env=env)
        worker_exists = remote_names is not None
    local_names = set(read_dev_vars(project, env))
    required = required_secrets(project)
    names = list(required)
    names += sorted((set(remote_names or []) | local_names) - set(required))
    return SecretListing(
        worker=worker,
        env=env,
        worker_exists=worker_exists,
        dev_vars=str(dev_vars_path(project, env)),
        secrets=[
            SecretStatus(
                name=name,
                required=name in required,
                cloudflare=None if not remote else name in (remote_names or []),
                local=name in local_names,
            )
            for name in names
        ],
    )


def dev_upstream_credentials(project: Project) -> dict[str, str]:
    """The developer's own dev OAuth client and cookie key for `cfmcp dev --upstream real`:
    from .dev.vars first, then the `local` keyring entry; a cookie key is generated when there is
    none (cookies then last one run)."""
    local = read_dev_vars(project)
    store = store_for(project, local=True)
    values: dict[str, str] = {}
    for name in required_secrets(project):
        value = local.get(name) or store.get(name)
        if value:
            values[name] = value
    values.setdefault("COOKIE_ENCRYPTION_KEY", generate_cookie_key())
    return values
