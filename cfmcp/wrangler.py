"""Running the project's own wrangler: environment, process, output records, errors.

We always run `node_modules/.bin/wrangler` directly, never through npx: through npx a SIGTERM
orphans wrangler and workerd, and SIGINT is ignored.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cfmcp import console
from cfmcp.errors import CfmcpError
from cfmcp.process import die_with_parent, run_group
from cfmcp.project import Project

# Non-interactive, quiet and offline-safe. Without CLOUDFLARE_CF_FETCH_ENABLED=false,
# `wrangler dev` fetches cf.json at start and prints a stack trace when offline.
QUIET_ENV = {
    "CI": "true",
    "WRANGLER_SEND_METRICS": "false",
    "WRANGLER_SEND_ERROR_REPORTS": "false",
    "CLOUDFLARE_CF_FETCH_ENABLED": "false",
    "NO_UPDATE_NOTIFIER": "1",
    "FORCE_COLOR": "0",
}

# For commands run to completion: no banner, which also skips wrangler's update check (a request
# to the npm registry on every run).
BATCH_ENV = {"WRANGLER_HIDE_BANNER": "true"}

# For commands that carry a secret on stdin. With WRANGLER_LOG=debug and
# WRANGLER_LOG_SANITIZE=false in the user's environment, wrangler 4.86 prints the request body,
# value included, to its output and its log file (measured); these override both.
SECRET_SAFE_ENV = {"WRANGLER_LOG": "log", "WRANGLER_LOG_SANITIZE": "true"}


@dataclass
class WranglerResult:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    records: list[dict[str, Any]] = field(default_factory=list)

    @property
    def output(self) -> str:
        return f"{self.stdout}\n{self.stderr}"

    def record(self, kind: str) -> dict[str, Any] | None:
        """The last structured output record of `kind` (`deploy`, `command-failed`, ...)."""
        for record in reversed(self.records):
            if record.get("type") == kind:
                return record
        return None


def wrangler_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The user's environment (CLOUDFLARE_API_TOKEN, CLOUDFLARE_ACCOUNT_ID,
    CLOUDFLARE_API_BASE_URL… pass through untouched) made quiet and non-interactive."""
    env = dict(os.environ)
    env.update(QUIET_ENV)
    if extra:
        env.update(extra)
    return env


def wrangler_binary(project: Project) -> Path:
    binary = project.wrangler_bin
    if not binary.exists():
        raise CfmcpError(
            f"wrangler is not installed in {project.root} (no node_modules/.bin/wrangler).",
            hint=f"Run `npm ci` in {project.root}, then try again.",
        )
    # The wrangler script starts with `#!/usr/bin/env node`; a Node older than it declares
    # makes it print a stack trace or stop, so say so first.
    from cfmcp.node import require_node_range

    package = installed_wrangler(project)
    version = package.version if package else ""
    require_node_range(
        package.node_range if package else None,
        needed_by=f"This project's wrangler {version}".rstrip(),
    )
    return binary


def run_wrangler(
    project: Project,
    args: Sequence[str],
    *,
    input: str | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    timeout: float = 600,
) -> WranglerResult:
    """Run wrangler to completion. Secret values go in `input` (stdin), never in `args`."""
    binary = wrangler_binary(project)
    with tempfile.TemporaryDirectory(prefix="cfmcp-wrangler-") as scratch:
        output_file = Path(scratch) / "output.jsonl"
        full_env = wrangler_env(
            {**BATCH_ENV, **(env or {}), "WRANGLER_OUTPUT_FILE_PATH": str(output_file)}
        )
        started = time.perf_counter()
        try:
            completed = run_group(
                [str(binary), *args],
                cwd=project.root,
                env=full_env,
                input=input if input is not None else "",
                timeout=timeout,
            )
            console.trace(
                f"$ wrangler {shlex.join(args)}  "
                f"(exit {completed.returncode}, {time.perf_counter() - started:.2f} s)"
            )
        except subprocess.TimeoutExpired as exc:
            console.trace(f"$ wrangler {shlex.join(args)}  (stopped after {timeout:.0f} s)")
            raise CfmcpError(
                f"wrangler {' '.join(args[:2])} did not finish within {timeout:.0f} s.",
                hint="Check the connection to Cloudflare (and CLOUDFLARE_API_BASE_URL if set), "
                "then try again.",
            ) from exc
        records = _read_records(output_file)
    result = WranglerResult(
        list(args), completed.returncode, completed.stdout, completed.stderr, records
    )
    if check and result.returncode != 0:
        raise explain_failure(result)
    return result


def _read_records(path: Path) -> list[dict[str, Any]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    records = []
    for line in lines:
        try:
            value = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            records.append(value)
    return records


# --- errors ---------------------------------------------------------------------------------

_API_CODE = re.compile(r"\[code: (\d+)\]")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

LOGIN_HINT = (
    "Set CLOUDFLARE_API_TOKEN (and CLOUDFLARE_ACCOUNT_ID), or run `npx wrangler login` in the "
    "project."
)
TOKEN_HINT = (
    "Check CLOUDFLARE_API_TOKEN: it needs Workers Scripts Edit and Workers KV Storage Edit "
    "(the 'Edit Cloudflare Workers' template). Or unset it and run `npx wrangler login` in the "
    "project."
)
NETWORK_HINT = "Check the connection (and CLOUDFLARE_API_BASE_URL if set), then try again."

# Codes from Cloudflare's API (wrangler prints them as `[code: N]` and in its output record).
KV_INVALID_CODES = {"10042"}
MIGRATION_CODES = {"10061", "10074", "10099"}
WORKER_MISSING_CODES = {"10007", "10090"}
AUTH_CODES = {"6003", "6111", "9106", "9109", "10000", "10001"}

_NOT_LOGGED_IN = re.compile(
    r"necessary to set a CLOUDFLARE_API_TOKEN|\"loggedIn\":\s*false|You are not authenticated"
    r"|Not logged in",
    re.IGNORECASE,
)
_AUTH_TEXT = re.compile(
    r"Authentication error|Unable to authenticate request|Invalid access token|Invalid API Token"
)
_WORKER_MISSING = re.compile(
    # `Worker "x" not found`, or with --env: `Worker "x-qa" (env: qa) not found` (wrangler 4.86)
    r"Worker \"[^\"]+\"(?: \(env: [^)]+\))? not found|This Worker does not exist"
    r"|workers\.api\.error\.script_not_found"
)
_NETWORK = re.compile(
    r"ENOTFOUND|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EAI_AGAIN|getaddrinfo|fetch failed"
    r"|Connection error\.|connectivity issue"
)


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def _failure_text(result: WranglerResult) -> str:
    """What wrangler said: its output and its `command-failed` record, whose message is not
    always printed (a refused connection prints "A request to the Cloudflare API failed." and
    records "Connection error.")."""
    failed = result.record("command-failed") or {}
    return strip_ansi(f"{result.output}\n{failed.get('message') or ''}")


def failure_codes(result: WranglerResult) -> set[str]:
    """Cloudflare API error codes in a failed run: its output record and `[code: N]` lines."""
    failed = result.record("command-failed") or {}
    codes = set(_API_CODE.findall(_failure_text(result)))
    if failed.get("code") not in (None, ""):
        codes.add(str(failed["code"]))
    return codes


def worker_missing(result: WranglerResult) -> bool:
    """Whether a failed run failed because the Worker does not exist on Cloudflare (yet)."""
    return bool(failure_codes(result) & WORKER_MISSING_CODES) or bool(
        _WORKER_MISSING.search(_failure_text(result))
    )


def _command_words(args: Sequence[str]) -> str:
    words = []
    for arg in args[:3]:
        if not re.fullmatch(r"[a-z][a-z-]*", arg):
            break
        words.append(arg)
    return " ".join(words)


def explain_failure(result: WranglerResult) -> CfmcpError:
    """A one-line cause and a fix for a failed wrangler run, from its record or its output."""
    command = _command_words(result.args)
    text = _failure_text(result)
    codes = failure_codes(result)

    # Not the placeholder alone: wrangler prints it in its bindings table before any upload.
    if codes & KV_INVALID_CODES or "REPLACE_WITH_KV_NAMESPACE_ID' is not valid" in text:
        return CfmcpError(
            "The OAUTH_KV namespace id in wrangler.toml is still the placeholder (or not a "
            "namespace of this account).",
            hint="Run `cfmcp kv create` to create the namespace and write its id.",
        )
    if codes & MIGRATION_CODES:
        return CfmcpError(
            "Cloudflare refused the Durable Object migration in wrangler.toml.",
            hint="Keep existing [[migrations]] entries as they are and add a new tag for each "
            "change (new_sqlite_classes for new classes); a class cannot switch storage type.",
        )
    if _NOT_LOGGED_IN.search(text):
        return CfmcpError("Not signed in to Cloudflare.", hint=LOGIN_HINT)
    if codes & AUTH_CODES or _AUTH_TEXT.search(text):
        from cfmcp.cloudflare_api import invalid_token_error, token_is_invalid

        if token_is_invalid():  # else a token short of a permission, or a wrangler login
            return invalid_token_error()
        return CfmcpError(
            "Cloudflare refused the credentials (authentication error).", hint=TOKEN_HINT
        )
    if "More than one account available" in text:
        return CfmcpError(
            "These credentials reach more than one Cloudflare account; wrangler cannot pick one.",
            hint="Set CLOUDFLARE_ACCOUNT_ID (see `npx wrangler whoami`), or add account_id to "
            "wrangler.toml.",
        )
    if codes & WORKER_MISSING_CODES or _WORKER_MISSING.search(text):
        return CfmcpError(
            "The Worker does not exist on Cloudflare yet.",
            hint="Run `cfmcp deploy` first.",
        )
    if _NETWORK.search(text):
        return CfmcpError("Could not reach Cloudflare's API (network error).", hint=NETWORK_HINT)
    return CfmcpError(
        f"wrangler {command} failed (exit {result.returncode}): {_first_error_line(result)}",
        hint="Run the same command with wrangler directly for its full output.",
    )


def _first_error_line(result: WranglerResult) -> str:
    failed = result.record("command-failed") or {}
    message = str(failed.get("message") or "").strip()
    if message:
        return message.splitlines()[0]
    lines = [line.strip() for line in strip_ansi(result.output).splitlines() if line.strip()]
    for line in lines:
        if "ERROR" in line or line.startswith("✘"):
            return re.sub(r"^(✘\s*)?\[ERROR\]\s*", "", line)
    return lines[-1] if lines else "no output"


# --- operations -----------------------------------------------------------------------------


def parse_json_output(text: str) -> Any:
    """The JSON value wrangler printed, skipping any warning lines before it."""
    text = strip_ansi(text)
    decoder = json.JSONDecoder()
    for match in re.finditer(r"^[ \t]*[\[{]", text, re.MULTILINE):
        try:
            value, _ = decoder.raw_decode(text, match.end() - 1)
        except json.JSONDecodeError:
            continue
        return value
    raise CfmcpError(
        "Could not read wrangler's JSON output.",
        hint="Run the same command with wrangler directly to see what it printed.",
    )


def _env_args(env: str | None) -> list[str]:
    return ["--env", env] if env else []


@dataclass
class WhoAmI:
    logged_in: bool
    email: str | None = None
    auth_type: str | None = None
    accounts: list[dict[str, Any]] = field(default_factory=list)


def whoami(project: Project, *, timeout: float = 30) -> WhoAmI:
    """Who wrangler is signed in as (API token or `wrangler login`); raises on API errors."""
    result = run_wrangler(project, ["whoami", "--json"], check=False, timeout=timeout)
    if result.returncode != 0:
        if _NOT_LOGGED_IN.search(_failure_text(result)):
            return WhoAmI(logged_in=False)
        raise explain_failure(result)
    data = parse_json_output(result.stdout)
    if not isinstance(data, dict) or not data.get("loggedIn"):
        return WhoAmI(logged_in=False)
    return WhoAmI(
        logged_in=True,
        email=data.get("email"),
        auth_type=data.get("authType"),
        accounts=list(data.get("accounts") or []),
    )


def kv_namespace_list(project: Project, *, timeout: float = 120) -> list[dict[str, Any]]:
    """Every KV namespace of the account: [{"id", "title", ...}]."""
    result = run_wrangler(project, ["kv", "namespace", "list"], timeout=timeout)
    data = parse_json_output(result.stdout)
    if not isinstance(data, list):
        raise CfmcpError("wrangler kv namespace list did not print a list.")
    return [item for item in data if isinstance(item, dict)]


_KV_ID = re.compile(r"^\s*id\s*=\s*\"([0-9a-f]{32})\"", re.MULTILINE)


def kv_namespace_create(project: Project, name: str, *, timeout: float = 120) -> str | None:
    """Create a namespace; returns its id from the config snippet wrangler prints (it writes no
    output record for this), or None when the snippet is not there (then list to find it).

    wrangler 4.86 titles the namespace `name` exactly when no --env is given (measured)."""
    result = run_wrangler(project, ["kv", "namespace", "create", name], timeout=timeout)
    match = _KV_ID.search(strip_ansi(result.stdout))
    return match[1] if match else None


def secret_put(
    project: Project, name: str, value: str, *, env: str | None = None, timeout: float = 120
) -> WranglerResult:
    """`wrangler secret put NAME`: the value goes on stdin (wrangler reads it to EOF when stdin
    is not a terminal and trims trailing whitespace), never on the command line.

    On a Worker that does not exist, wrangler (4.86, 4.164) uploads a placeholder Worker of that
    name first (`export default { fetch() {} }`, no bindings), then puts the secret (measured)."""
    return run_wrangler(
        project,
        ["secret", "put", name, *_env_args(env)],
        input=value,
        env=SECRET_SAFE_ENV,
        timeout=timeout,
    )


def secret_list(
    project: Project, *, env: str | None = None, timeout: float = 60
) -> list[str] | None:
    """The names of the Worker's secrets, or None when the Worker does not exist yet."""
    result = run_wrangler(
        project, ["secret", "list", *_env_args(env)], check=False, timeout=timeout
    )
    if result.returncode != 0:
        if worker_missing(result) and not failure_codes(result) & AUTH_CODES:
            return None
        raise explain_failure(result)
    data = parse_json_output(result.stdout)
    if not isinstance(data, list):
        raise CfmcpError("wrangler secret list did not print a list.")
    return [str(item["name"]) for item in data if isinstance(item, dict) and "name" in item]


def deploy(
    project: Project,
    *,
    env: str | None = None,
    dry_run_outdir: Path | None = None,
    timeout: float = 600,
) -> WranglerResult:
    """`wrangler deploy`; with `dry_run_outdir`, bundle into it without uploading."""
    args = ["deploy", *_env_args(env)]
    if dry_run_outdir is not None:
        args += ["--dry-run", "--outdir", str(dry_run_outdir)]
    return run_wrangler(project, args, timeout=timeout)


# --- the installed wrangler -----------------------------------------------------------------


@dataclass(frozen=True)
class WranglerPackage:
    version: str
    node_range: str | None  # package.json engines.node, e.g. ">=20.3.0"


def installed_wrangler(project: Project) -> WranglerPackage | None:
    """The project's wrangler from node_modules/wrangler/package.json, without running it."""
    path = project.root / "node_modules" / "wrangler" / "package.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    engines = data.get("engines") or {}
    return WranglerPackage(str(data.get("version", "?")), engines.get("node"))


# --- wrangler dev ---------------------------------------------------------------------------

# The first wrangler cfmcp knows with `--infer-origin-from-routes` (the current set's).
_KEEPS_LOCAL_ORIGIN = (4, 164, 0)


def local_origin_args(
    project: Project, *, port: int, tunnel: bool, document: Mapping[str, Any] | None = None
) -> list[str]:
    """With `routes` in wrangler.toml, `wrangler dev` shows the Worker the first route's host
    (request.url, Host, Origin) instead of localhost, and the Worker refuses every request as
    addressed to another host (421). These flags keep the origin the client used. `document`:
    wrangler.toml, when the caller has read it already."""
    if document is None:
        try:
            document = project.load_wrangler()
        except CfmcpError:
            return []  # wrangler says what is wrong with the file
    if not (document.get("routes") or document.get("route")):
        return []
    package = installed_wrangler(project)
    try:
        version = tuple(int(part) for part in package.version.split(".")[:3]) if package else ()
    except ValueError:
        version = ()
    if version >= _KEEPS_LOCAL_ORIGIN:
        return ["--infer-origin-from-routes=false"]
    # An older wrangler: a fixed origin, which a tunnel's own host would then lose.
    return [] if tunnel else ["--local-upstream", f"localhost:{port}"]


def start_dev(
    project: Project,
    *,
    port: int,
    ip: str = "127.0.0.1",
    inspector_port: int | None = None,
    env_files: Sequence[Path] = (),
    extra_args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    stdout: Any = subprocess.PIPE,
    pass_fds: Sequence[int] = (),
) -> subprocess.Popen:
    """Start `wrangler dev` in its own process group (stop it with cfmcp.process.stop_process).

    Vars and secrets go through `env_files` (later files win), never the command line; an env
    file may be `/dev/fd/N` for a descriptor in `pass_fds`.
    """
    binary = wrangler_binary(project)
    args = [str(binary), "dev", "--port", str(port), "--ip", ip]
    if inspector_port is not None:
        args += ["--inspector-port", str(inspector_port)]
    for env_file in env_files:
        args += ["--env-file", str(env_file)]
    args += list(extra_args)
    console.trace(f"$ {shlex.join(['wrangler', *args[1:]])}  (runs until cfmcp dev stops)")
    return subprocess.Popen(
        args,
        cwd=project.root,
        env=wrangler_env(env),
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        pass_fds=tuple(pass_fds),
        preexec_fn=die_with_parent if sys.platform == "linux" else None,
        text=True,
        bufsize=1,
    )
