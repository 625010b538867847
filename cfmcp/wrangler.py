"""Running the project's own wrangler: environment, process, output records, errors.

We always run `node_modules/.bin/wrangler` directly, never through npx: through npx a SIGTERM
orphans wrangler and workerd, and SIGINT is ignored.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cfmcp.errors import CfmcpError
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

# The user's Cloudflare settings that wrangler reads and we pass through untouched.
PASSTHROUGH = (
    "CLOUDFLARE_API_TOKEN",
    "CLOUDFLARE_ACCOUNT_ID",
    "CLOUDFLARE_API_BASE_URL",
    "CLOUDFLARE_API_KEY",
    "CLOUDFLARE_EMAIL",
)


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
        full_env = wrangler_env({**(env or {}), "WRANGLER_OUTPUT_FILE_PATH": str(output_file)})
        try:
            completed = subprocess.run(
                [str(binary), *args],
                cwd=project.root,
                env=full_env,
                input=input if input is not None else "",
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise CfmcpError(
                f"wrangler {' '.join(args[:2])} did not finish within {timeout:.0f} s."
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


def explain_failure(result: WranglerResult) -> CfmcpError:
    """A one-line cause and a fix for a failed wrangler run, from its record or its output."""
    command = " ".join(result.args[:2])
    text = result.output
    failed = result.record("command-failed") or {}
    codes = {str(failed.get("code", ""))} | set(_API_CODE.findall(text))
    codes.discard("")

    if "10042" in codes or "REPLACE_WITH_KV_NAMESPACE_ID" in text:
        return CfmcpError(
            "The OAUTH_KV namespace id in wrangler.toml is still the placeholder.",
            hint="Run `cfmcp kv create` to create the namespace and write its id.",
        )
    if codes & {"10099", "10061", "10074"}:
        return CfmcpError(
            "Cloudflare refused the Durable Object migration in wrangler.toml.",
            hint="Keep existing [[migrations]] entries as they are and add a new tag for each "
            "change (new_sqlite_classes for new classes); a class cannot switch storage type.",
        )
    if "10007" in codes or "workers.api.error.script_not_found" in text:
        return CfmcpError(
            "The Worker does not exist on Cloudflare yet.",
            hint="Run `cfmcp deploy` first.",
        )
    if codes & {"10000", "9106", "9109", "10001"} or re.search(
        r"Authentication error|Unable to authenticate request|Invalid access token", text
    ):
        return CfmcpError(
            "Cloudflare refused the credentials (authentication error).",
            hint="Check CLOUDFLARE_API_TOKEN (it needs Workers Scripts Edit and Workers KV "
            "Storage Edit) or run `npx wrangler login` in the project.",
        )
    if re.search(r"CLOUDFLARE_API_TOKEN|not logged in|wrangler login", text, re.IGNORECASE):
        return CfmcpError(
            "Not signed in to Cloudflare.",
            hint="Set CLOUDFLARE_API_TOKEN (and CLOUDFLARE_ACCOUNT_ID), or run "
            "`npx wrangler login` in the project.",
        )
    if re.search(
        r"ENOTFOUND|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|fetch failed|getaddrinfo|network", text
    ):
        return CfmcpError(
            "Could not reach Cloudflare's API (network error).",
            hint="Check the connection (and CLOUDFLARE_API_BASE_URL if set), then try again.",
        )
    return CfmcpError(
        f"wrangler {command} failed (exit {result.returncode}): {_last_error_line(text)}",
        hint="Run the same command with wrangler directly for its full output.",
    )


def _last_error_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in lines:
        if "ERROR" in line or line.startswith("✘"):
            return re.sub(r"^(✘\s*)?\[ERROR\]\s*", "", line)
    return lines[-1] if lines else "no output"


# --- wrangler dev ---------------------------------------------------------------------------


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
) -> subprocess.Popen:
    """Start `wrangler dev` in its own process group (stop it with cfmcp.process.stop_process).

    Vars and secrets go through `env_files` (later files win), never the command line.
    """
    binary = wrangler_binary(project)
    args = [str(binary), "dev", "--port", str(port), "--ip", ip]
    if inspector_port is not None:
        args += ["--inspector-port", str(inspector_port)]
    for env_file in env_files:
        args += ["--env-file", str(env_file)]
    args += list(extra_args)
    return subprocess.Popen(
        args,
        cwd=project.root,
        env=wrangler_env(env),
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        text=True,
        bufsize=1,
    )
