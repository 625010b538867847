"""`cfmcp deploy`: preflight (wrangler, sign-in, KV id, secrets), `wrangler deploy`, and the URL
recorded in cfmcp.json for `cfmcp client-config` and `cfmcp check`.

A first deploy: the Worker does not exist, so `wrangler secret list` fails; that counts as no
secrets set and preflight stops, pointing at `cfmcp secrets set`. `wrangler secret put` on a
missing Worker creates a placeholder Worker to hold the secrets (wrangler 4.86 and 4.164:
`export default { fetch() {} }`, no bindings), which the next `cfmcp deploy` replaces. The live
Worker therefore never runs without its secrets.
"""

from __future__ import annotations

import gzip
import tempfile
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from cfmcp.errors import CfmcpError
from cfmcp.kv import KvResult, ensure_kv
from cfmcp.project import (
    DEFAULT_ENV,
    MCP_PATH,
    Project,
    env_key,
    is_kv_namespace_id,
    read_kv_id,
)
from cfmcp.secrets import check_env, required_secrets

Progress = Callable[[str], AbstractContextManager[Any]]
Notify = Callable[[str], None]

INSPECTOR_COMMAND = "npx @modelcontextprotocol/inspector"


@dataclass
class Preflight:
    worker: str
    signed_in_as: str | None
    kv: KvResult | None
    secrets_set: list[str]


@dataclass
class DeployResult:
    env: str | None
    worker: str
    url: str | None
    targets: list[str]
    version_id: str | None
    deployed_at: str
    kv: KvResult | None = None  # the namespace, when this deploy had to create or find it
    endpoints: dict[str, str] = field(default_factory=dict)
    readme: str | None = None  # the README's "Add to your client": "updated" or "unchanged"

    @property
    def redirect_uri(self) -> str | None:
        return f"{self.url}/callback" if self.url else None

    def next_steps(self) -> list[str]:
        env_flag = f" --env {self.env}" if self.env else ""
        return [f"cfmcp client-config claude{env_flag}", f"cfmcp check{env_flag}"]

    def to_json(self) -> dict[str, Any]:
        return {
            "env": env_key(self.env),
            "worker": self.worker,
            "url": self.url,
            "targets": self.targets,
            "endpoints": self.endpoints,
            "redirect_uri": self.redirect_uri,
            "version_id": self.version_id,
            "deployed_at": self.deployed_at,
            "kv": self.kv.to_json() if self.kv else None,
            "inspector": INSPECTOR_COMMAND,
            "readme": self.readme,
            "next": self.next_steps(),
        }


@dataclass
class DryRunResult:
    env: str | None
    worker: str
    files: list[str] = field(default_factory=list)
    bundle_bytes: int = 0
    gzip_bytes: int = 0
    kv_placeholder: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "env": env_key(self.env),
            "worker": self.worker,
            "dry_run": True,
            "files": self.files,
            "bundle_bytes": self.bundle_bytes,
            "gzip_bytes": self.gzip_bytes,
            "kv_placeholder": self.kv_placeholder,
        }


def _quiet(message: str) -> AbstractContextManager[Any]:
    return nullcontext()


def preflight(
    project: Project,
    env: str | None = None,
    *,
    progress: Progress = _quiet,
    notify: Notify = lambda message: None,
) -> Preflight:
    """Everything a deploy needs, checked in order; creates the KV namespace when it is missing.

    Raises a CfmcpError naming what is missing and the command that fixes it.
    """
    from cfmcp import wrangler

    env = check_env(env)
    document = project.load_wrangler()  # a malformed file: a clear error, nothing run
    project.require_env(env)
    from cfmcp.providers import require_location

    require_location(project, env)  # an OpenID Connect project names its issuer first
    worker = project.worker_name(env)
    wrangler.wrangler_binary(project)

    with progress("Checking the Cloudflare sign-in…"):
        who = wrangler.whoami(project)
    if not who.logged_in:
        raise CfmcpError("Not signed in to Cloudflare.", hint=wrangler.LOGIN_HINT)

    # Everything that can fail is checked before anything is created.
    with progress(f"Checking the secrets of Worker {worker}…"):
        names = wrangler.secret_list(project, env=env)
    missing = [name for name in required_secrets(project) if name not in (names or [])]
    if missing:
        env_flag = f" --env {env}" if env else ""
        if names is None:
            message = f"Worker {worker} is not on Cloudflare yet, so none of its secrets are set"
            creates = " (it creates the Worker to hold them)"
        else:
            message = f"Worker {worker} is missing secrets on Cloudflare"
            creates = ""
        raise CfmcpError(
            f"{message}: {', '.join(missing)}.",
            hint=f"Run `cfmcp secrets set{env_flag}`{creates}, then `cfmcp deploy{env_flag}` "
            f"again. Or let `cfmcp up{env_flag}` do it all, OAuth client included.",
        )

    kv: KvResult | None = None
    from cfmcp.providers import provider_of

    needs_kv = not provider_of(project).public  # a server with no sign-in keeps no grants
    if needs_kv and not is_kv_namespace_id(read_kv_id(document, env)):
        notify(
            f"wrangler.toml has no KV namespace id for OAUTH_KV{_env_text(env)}: creating it "
            "(as `cfmcp kv create` does)."
        )
        kv = ensure_kv(project, env, progress=progress)
    return Preflight(worker, who.email, kv, names or [])


def deploy(
    project: Project,
    env: str | None = None,
    *,
    progress: Progress = _quiet,
    notify: Notify = lambda message: None,
    now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    checked: Preflight | None = None,
) -> DeployResult:
    """Preflight, `wrangler deploy`, and the URL recorded in cfmcp.json for `env`.

    A caller that has just made sure of everything preflight checks (`cfmcp up`) passes
    `checked` and spares two wrangler runs.
    """
    from cfmcp import wrangler

    if checked is None:
        checked = preflight(project, env, progress=progress, notify=notify)
    with progress(f"Deploying {checked.worker}…"):
        result = wrangler.deploy(project, env=env)
    record = result.record("deploy") or {}
    targets = [str(target) for target in record.get("targets") or []]
    url = next((t.rstrip("/") for t in targets if t.startswith("https://")), None)
    deployed = DeployResult(
        env=env,
        worker=str(record.get("worker_name") or checked.worker),
        url=url,
        targets=targets,
        version_id=record.get("version_id"),
        deployed_at=now().replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        kv=checked.kv,
        endpoints=project.endpoints(url),
    )
    project.update_env_state(
        env,
        url=deployed.url,
        deployed_at=deployed.deployed_at,
        version_id=deployed.version_id,
        worker=deployed.worker,
    )
    if url is not None and env_key(env) == DEFAULT_ENV:
        from cfmcp.project_readme import fill_client_section

        # The README names the production server only: a staging deploy leaves it as it is.
        deployed.readme = fill_client_section(project, deployed.worker, f"{url}{MCP_PATH}")
    if url is None:
        notify(
            "wrangler reported no workers.dev URL (workers_dev = false, or only routes): "
            "pass --url to `cfmcp client-config` and `cfmcp check`."
        )
    return deployed


def dry_run(
    project: Project, env: str | None = None, *, progress: Progress = _quiet
) -> DryRunResult:
    """Bundle as `wrangler deploy` would, upload nothing; no sign-in needed."""
    from cfmcp import wrangler

    env = check_env(env)
    document = project.load_wrangler()
    project.require_env(env)
    worker = project.worker_name(env)
    wrangler.wrangler_binary(project)
    with tempfile.TemporaryDirectory(prefix="cfmcp-bundle-") as outdir:
        with progress(f"Bundling {worker} (dry run)…"):
            wrangler.deploy(project, env=env, dry_run_outdir=Path(outdir))
        files = sorted(
            path
            for path in Path(outdir).rglob("*")
            if path.is_file() and path.suffix != ".map" and path.name != "README.md"
        )
        result = DryRunResult(
            env=env,
            worker=worker,
            files=[str(path.relative_to(outdir)) for path in files],
            bundle_bytes=sum(path.stat().st_size for path in files),
            gzip_bytes=sum(len(gzip.compress(path.read_bytes())) for path in files),
            kv_placeholder=not is_kv_namespace_id(read_kv_id(document, env)),
        )
    return result


def _env_text(env: str | None) -> str:
    return f" in [env.{env}]" if env else ""
