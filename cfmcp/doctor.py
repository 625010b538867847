"""`cfmcp doctor`: one line per check, each with its fix. Fails only on what would break a deploy
or leak a secret; warnings are things cfmcp can fix by itself or that only matter later."""

from __future__ import annotations

import os
import shutil
import socket
import stat
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cfmcp.errors import CfmcpError
from cfmcp.project import DEV_VARS_FILE, Project, find_project, is_kv_namespace_id, read_kv_id

PASS, WARN, FAIL, SKIP = "pass", "warn", "fail", "skip"
LATER = "later"  # a Cloudflare check on a project that has not been deployed: not yet needed
CLOUDFLARE_CHECKS = ("KV namespace", "API token", "Cloudflare sign-in", "secrets on Cloudflare")
MIN_PYTHON = (3, 10)
DEFAULT_DEV_PORT = 8788


@dataclass
class Check:
    name: str
    status: str
    message: str
    fix: str | None = None


@dataclass
class DoctorReport:
    project: str | None
    checks: list[Check]

    @property
    def ok(self) -> bool:
        return all(check.status != FAIL for check in self.checks)

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "project": self.project,
            "checks": [asdict(check) for check in self.checks],
        }


def run_doctor(
    start: Path | None = None,
    *,
    env: str | None = None,
    offline: bool = False,
    timeout: float = 20,
) -> DoctorReport:
    from cfmcp.secrets import check_env

    env = check_env(env)
    checks = [check_python()]
    node_check, node_version = check_node()
    checks.append(node_check)

    try:
        project: Project | None = find_project(start)
    except CfmcpError as error:
        project = None
        checks.append(Check("project", SKIP, error.message, error.hint))
    if project is None:
        return DoctorReport(None, checks)

    wrangler_check = check_wrangler(project, node_version)
    checks.append(wrangler_check)
    checks.append(check_toolchain(project))
    try:
        document = project.load_wrangler()
        checks.append(Check("wrangler.toml", PASS, f"Worker {project.worker_name()}"))
    except CfmcpError as error:
        checks.append(Check("wrangler.toml", FAIL, error.message, error.hint))
        document = None
    if document is not None and env and env not in project.environments():
        defined = ", ".join(project.environments()) or "none"
        checks.append(
            Check(
                "environment",
                FAIL,
                f"wrangler.toml defines no [env.{env}] (defined: {defined})",
                f"Check the spelling, or add it: cfmcp kv create --env {env} --create-env",
            )
        )
    elif document is not None and not _public(project):
        checks.append(check_kv(document, env))
    checks.append(check_state(project))
    checks.append(check_template(project))
    checks.append(check_provider(project))
    checks.append(check_api_token())

    usable = wrangler_check.status != FAIL and document is not None
    if offline:
        checks.append(Check("Cloudflare sign-in", SKIP, "skipped (--offline)"))
        checks.append(Check("secrets on Cloudflare", SKIP, "skipped (--offline)"))
    elif not usable:
        checks.append(Check("Cloudflare sign-in", SKIP, "skipped: needs a working wrangler"))
        checks.append(Check("secrets on Cloudflare", SKIP, "skipped: needs a working wrangler"))
    else:
        signin = check_signin(project, timeout)
        checks.append(signin)
        if signin.status == PASS:
            checks.append(check_remote_secrets(project, env, timeout))
        else:
            checks.append(Check("secrets on Cloudflare", SKIP, "skipped: not signed in"))

    if document is not None and is_local_only(project, document, env):
        checks = [not_yet_needed(check) for check in checks]
    registry = check_registry(project, env, offline=offline, timeout=timeout)
    if registry is not None:
        checks.append(registry)
    checks.extend(check_dev_vars(project))
    checks.append(check_port(_dev_port(document), project))
    return DoctorReport(str(project.root), checks)


def is_local_only(project: Project, document: Any, env: str | None) -> bool:
    """Never deployed and headed nowhere yet: no URL recorded and no KV namespace made."""
    try:
        deployed = bool(project.env_state(env).get("url"))
    except CfmcpError:
        return False
    return not deployed and not is_kv_namespace_id(read_kv_id(document, env))


def not_yet_needed(check: Check) -> Check:
    """A Cloudflare check of a project that runs only under `cfmcp dev` so far: what it found
    matters at the first deploy, so it does not fail (or warn) today."""
    if check.name not in CLOUDFLARE_CHECKS or check.status not in (WARN, FAIL):
        return check
    return Check(check.name, LATER, f"{check.message} (not needed until you deploy)", check.fix)


# --- the checks -----------------------------------------------------------------------------


def check_python() -> Check:
    version = ".".join(map(str, sys.version_info[:3]))
    if sys.version_info[:2] < MIN_PYTHON:
        return Check(
            "Python", FAIL, f"{version} is too old", "Install Python 3.10 or newer for cfmcp."
        )
    return Check("Python", PASS, version)


def check_node() -> tuple[Check, tuple[int, int, int] | None]:
    from cfmcp.node import INSTALL_HINT, OLDEST_NODE, node_version, version_text

    node = shutil.which("node")
    if node is None:
        return Check("Node.js", FAIL, "not found on PATH", INSTALL_HINT), None
    version = node_version(node)
    if version is None:
        return Check("Node.js", FAIL, f"could not read the version of {node}", INSTALL_HINT), None
    text = version_text(version)
    if version < OLDEST_NODE:
        needed = version_text(OLDEST_NODE)
        return Check("Node.js", FAIL, f"{text} is older than {needed}", INSTALL_HINT), version
    return Check("Node.js", PASS, f"{text} ({node})"), version


def check_wrangler(project: Project, node: tuple[int, int, int] | None) -> Check:
    from cfmcp.node import INSTALL_HINT, node_satisfies, version_text
    from cfmcp.wrangler import installed_wrangler

    package = installed_wrangler(project)
    if package is None or not project.wrangler_bin.exists():
        return Check(
            "wrangler", FAIL, "not installed in the project", f"Run `npm ci` in {project.root}."
        )
    text = f"{package.version} (needs Node {package.node_range or 'any'})"
    if node is None:
        return Check("wrangler", WARN, f"{text}; Node.js not found to run it")
    fits = node_satisfies(node, package.node_range)
    if fits is False:
        return Check(
            "wrangler",
            FAIL,
            f"{package.version} needs Node {package.node_range}; this Node is {version_text(node)}",
            INSTALL_HINT,
        )
    if fits is None:
        return Check("wrangler", WARN, f"{text}; could not compare with this Node")
    return Check("wrangler", PASS, text)


def check_toolchain(project: Project) -> Check:
    """A project on an older toolchain set works, and should move up when it can."""
    from cfmcp.scaffold import load_template

    toolchains = load_template().toolchains
    name = project.toolchain
    newest = next(iter(toolchains))
    if name is None:
        return Check("toolchain", SKIP, "not one of cfmcp's sets (package.json was changed)")
    toolchain = toolchains[name]
    if name == newest:
        return Check("toolchain", PASS, f"{name}: wrangler {toolchain.wrangler}")
    current = toolchains[newest]
    readme = project.root / "README.md"
    if "Move to the current toolchain" in (readme.read_text() if readme.is_file() else ""):
        how = 'follow "Move to the current toolchain" in the project\'s README.md'
    else:  # a project made before its README had the section
        how = (
            "run `npm install --save-exact --save-dev "
            f"wrangler@{current.wrangler} @cloudflare/workers-types@{current.workers_types}`, "
            f'then set compatibility_date = "{current.compatibility_date}" in wrangler.toml and '
            f'engines.node to "{current.engines_node}" in package.json'
        )
    return Check(
        "toolchain",
        WARN,
        f"{name}: wrangler {toolchain.wrangler}, the newest for a Node older than "
        f"{current.min_node_text} (Node 20 is end-of-life); Node {current.min_node_text}+ runs "
        f"wrangler {current.wrangler}",
        f"With Node {current.min_node_text} or newer: cfmcp upgrade --toolchain {newest} "
        f"(or by hand: {how}).",
    )


def check_kv(document: Any, env: str | None) -> Check:
    value = read_kv_id(document, env)
    where = f"[env.{env}]" if env else "wrangler.toml"
    env_flag = f" --env {env}" if env else ""
    if is_kv_namespace_id(value):
        return Check("KV namespace", PASS, f"OAUTH_KV = {value}")
    found = "the placeholder id" if value else "no OAUTH_KV binding"
    return Check(
        "KV namespace",
        WARN,
        f"{where} has {found}",
        f"Run `cfmcp kv create{env_flag}` (`cfmcp deploy` does it too).",
    )


def check_signin(project: Project, timeout: float) -> Check:
    from cfmcp.wrangler import LOGIN_HINT, whoami

    try:
        who = whoami(project, timeout=timeout)
    except CfmcpError as error:
        return Check(
            "Cloudflare sign-in",
            FAIL,
            error.message,
            f"{error.hint or ''} Offline? Run `cfmcp doctor --offline`.".strip(),
        )
    if not who.logged_in:
        return Check("Cloudflare sign-in", FAIL, "not signed in", LOGIN_HINT)
    accounts = ", ".join(str(a.get("name") or a.get("id")) for a in who.accounts) or "no account"
    identity = who.email or who.auth_type or "signed in"
    return Check("Cloudflare sign-in", PASS, f"{identity} ({accounts})")


def check_remote_secrets(project: Project, env: str | None, timeout: float) -> Check:
    from cfmcp.secrets import required_secrets
    from cfmcp.wrangler import secret_list

    env_flag = f" --env {env}" if env else ""
    try:
        required = required_secrets(project)  # an unknown sign-in provider is reported, once
    except CfmcpError as error:
        return Check("secrets on Cloudflare", SKIP, error.message)
    try:
        names = secret_list(project, env=env, timeout=timeout)
    except CfmcpError as error:
        return Check("secrets on Cloudflare", FAIL, error.message, error.hint)
    if names is None:
        return Check(
            "secrets on Cloudflare",
            WARN,
            f"Worker {project.worker_name(env)} is not on Cloudflare yet",
            f"Run `cfmcp secrets set{env_flag}`, then `cfmcp deploy{env_flag}`.",
        )
    missing = [name for name in required if name not in names]
    if missing:
        return Check(
            "secrets on Cloudflare",
            FAIL,
            f"missing: {', '.join(missing)}",
            f"Run `cfmcp secrets set{env_flag}`.",
        )
    return Check("secrets on Cloudflare", PASS, "all required secrets are set")


def check_dev_vars(project: Project) -> list[Check]:
    from cfmcp.secrets import is_git_ignored, is_git_tracked

    checks = []
    for path in sorted(project.root.glob(f"{DEV_VARS_FILE}*")):
        if path.name.endswith(".example") or not path.is_file():
            continue
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            checks.append(
                Check(
                    path.name,
                    WARN,
                    f"mode {mode:04o}: other users can read these secrets",
                    f"chmod 600 {path}",
                )
            )
        else:
            checks.append(Check(path.name, PASS, f"mode {mode:04o}"))
        if is_git_tracked(project, path):
            checks.append(
                Check(
                    f"{path.name} in git",
                    FAIL,
                    "tracked by git: its secrets are (or will be) committed",
                    f"git rm --cached {path.name}  (then rotate the secrets it held)",
                )
            )
        elif not is_git_ignored(project, path):
            checks.append(
                Check(
                    f"{path.name} in git",
                    FAIL,
                    "not git-ignored: its secrets could be committed",
                    f"Add /{path.name} to {project.root / '.gitignore'}.",
                )
            )
    return checks


def check_registry(
    project: Project, env: str | None, *, offline: bool, timeout: float
) -> Check | None:
    """The newest listing `cfmcp publish` made points at the server deployed now (None when
    nothing was published)."""
    name = "MCP Registry"
    try:
        state = project.read_state()
    except CfmcpError:
        return None
    published = state.get("registry", {}).get("published") if isinstance(
        state.get("registry"), dict) else None  # fmt: skip
    if not isinstance(published, dict) or not published:
        return None
    listing, record = list(published.items())[-1]
    url = record.get("url") if isinstance(record, dict) else None
    if not isinstance(url, str):
        return None
    if offline:
        return Check(name, SKIP, "skipped (--offline)")
    import httpx2

    try:
        response = httpx2.get(url, timeout=timeout)
    except httpx2.HTTPError as exc:
        return Check(name, WARN, f"could not read the listing {url}: {exc}")
    if response.status_code == 404:
        return Check(name, WARN, f"{listing} is not in the registry any more ({url})",
                     "Publish it again: cfmcp publish --version <a new version>")  # fmt: skip
    try:
        remotes = response.json()["server"].get("remotes", [])
    except (ValueError, KeyError, TypeError, AttributeError):
        return Check(name, WARN, f"the registry's answer for {listing} is not a listing")
    listed = [str(remote.get("url", "")).rstrip("/") for remote in remotes]
    deployed = str(project.env_state(env).get("url", "")).rstrip("/")
    if deployed and f"{deployed}/mcp" in listed:
        return Check(name, PASS, f"{listing} lists {deployed}/mcp")
    return Check(
        name, WARN, f"{listing} lists {', '.join(listed) or 'no URL'}, but the server is "
        f"deployed at {deployed or 'no URL'}",
        "Publish a new version for the deployed URL: cfmcp publish --version <a new version>",
    )  # fmt: skip


def check_state(project: Project) -> Check:
    try:
        project.read_state()
    except CfmcpError as error:
        return Check("cfmcp.json", FAIL, error.message, error.hint)
    return Check("cfmcp.json", PASS, "readable" if project.state_path.exists() else "none yet")


def check_template(project: Project) -> Check:
    """Whether the project is on this cfmcp's template and pins: `cfmcp upgrade` moves it."""
    from cfmcp.scaffold import load_template

    try:
        state = project.read_state()
    except CfmcpError:
        return Check("template", SKIP, "skipped: cfmcp.json is unreadable")
    recorded = state.get("template") if isinstance(state.get("template"), dict) else {}
    version = str(recorded.get("version", ""))
    template = load_template()
    fix = "See what would change: cfmcp upgrade --dry-run (then cfmcp upgrade)."
    if not version.isdigit():
        return Check("template", SKIP, "no template version in cfmcp.json")
    if int(version) > int(template.version):
        return Check(
            "template", WARN, f"v{version}, newer than this cfmcp's v{template.version}",
            "Upgrade cfmcp: pip install --upgrade cfmcp",
        )  # fmt: skip
    if int(version) < int(template.version):
        return Check(
            "template", WARN, f"v{version}; this cfmcp writes v{template.version}", fix
        )  # fmt: skip
    pins = recorded.get("toolchain") if isinstance(recorded.get("toolchain"), dict) else None
    toolchain = template.toolchains.get(str((pins or {}).get("name")))
    if pins and toolchain is not None and pins != toolchain.as_context():
        behind = sorted(
            key for key, value in toolchain.as_context().items() if pins.get(key) != value
        )
        return Check(
            "template", WARN, f"v{version}; pins behind this cfmcp's ({', '.join(behind)})", fix
        )
    return Check("template", PASS, f"v{version}, current")


def _public(project: Project) -> bool:
    """A server with no sign-in: no KV namespace, no secrets to check."""
    from cfmcp.providers import provider_of

    try:
        return provider_of(project).public
    except CfmcpError:
        return False  # reported by check_provider


def check_provider(project: Project) -> Check:
    """Who signs users in (cfmcp.json `options.auth`), and the secrets that takes."""
    from cfmcp.providers import provider_of, unset_url_vars

    try:
        provider = provider_of(project)
        unset = unset_url_vars(project, provider)
    except CfmcpError as error:
        return Check("sign-in provider", FAIL, error.message, error.hint)
    if provider.public:
        return Check("sign-in provider", PASS, "none: a public server, anyone can call /mcp")
    summary = f"{provider.title} ({', '.join(provider.secrets)})"
    if unset:
        return Check(
            "sign-in provider",
            WARN,
            f"{summary}; {', '.join(unset)} is empty in wrangler.toml",
            "Set it before you deploy (cfmcp dev needs none: it runs a local stand-in).",
        )
    return Check("sign-in provider", PASS, summary)


def check_api_token() -> Check:
    """`cfmcp up` and `cfmcp oauth-client` call Cloudflare's API directly: a login session of
    wrangler's is not enough for them."""
    if os.environ.get("CLOUDFLARE_API_TOKEN"):
        return Check("API token", PASS, "CLOUDFLARE_API_TOKEN is set")
    return Check(
        "API token",
        WARN,
        "CLOUDFLARE_API_TOKEN is not set: `cfmcp up` and `cfmcp oauth-client` need one",
        "Create a token at https://dash.cloudflare.com/profile/api-tokens with Workers Scripts "
        "Edit, Workers KV Storage Edit and OAuth Client Write; export CLOUDFLARE_API_TOKEN.",
    )


def check_port(port: int, project: Project | None = None) -> Check:
    name = f"port {port}"
    if project is not None:
        from cfmcp.dev.supervisor import running_dev_servers

        if any(int(record.get("port", 0)) == port for record in running_dev_servers(project)):
            return Check(name, PASS, "in use by this project's `cfmcp dev`")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        if os.name != "nt":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return Check(
                name,
                WARN,
                "in use (another `cfmcp dev` or `wrangler dev`?)",
                f"Stop what listens on {port}, or run `cfmcp dev --port PORT`.",
            )
    return Check(name, PASS, "free for `cfmcp dev`")


def _dev_port(document: Any) -> int:
    try:
        port = int((document or {}).get("dev", {}).get("port", DEFAULT_DEV_PORT))
    except (TypeError, ValueError, AttributeError):
        return DEFAULT_DEV_PORT
    return port if 0 < port < 65536 else DEFAULT_DEV_PORT
