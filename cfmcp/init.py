"""`cfmcp init`: check the destination, render the template, record it, git, npm ci."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from cfmcp import __version__
from cfmcp.errors import CfmcpError, UsageError
from cfmcp.fsutil import set_aside
from cfmcp.names import slugify_worker_name, worker_name_problem
from cfmcp.node import NodeInstall
from cfmcp.project import Project
from cfmcp.scaffold import (
    DEFAULT_PROVIDER,
    DEFAULT_VARIANT,
    Template,
    Toolchain,
    load_template,
    render_template,
)


@dataclass
class InitPlan:
    root: Path
    name: str
    name_derived: bool
    template: Template
    variant: str
    toolchain: Toolchain
    install: bool
    git: bool
    auth: str = DEFAULT_PROVIDER  # the sign-in provider
    node: NodeInstall | None = None  # set when installing
    issuer: str = ""  # the OpenID Connect issuer's URL (`--auth oidc`)
    existing: list[Path] = field(default_factory=list)  # template files already in the folder

    @property
    def options(self) -> dict[str, str]:
        return {"variant": self.variant, "toolchain": self.toolchain.name, "auth": self.auth}

    @property
    def notice(self) -> str | None:
        """What to say about an older toolchain set, once."""
        newest = next(iter(self.template.toolchains.values()))
        if self.toolchain is newest:
            return None
        return (
            f"Using wrangler {self.toolchain.wrangler}, the newest that runs on a Node older "
            f"than {newest.min_node_text}: Node.js {newest.min_node_text}+ brings wrangler "
            f"{newest.wrangler} (and Node 20 is end-of-life). The project's README says how to "
            "move up."
        )


@dataclass
class InitResult:
    root: Path
    name: str
    files: list[str]
    overwritten: list[str]
    backups: list[str] = field(default_factory=list)  # where the overwritten files went
    git: str = "off"
    installed: bool = False
    install_seconds: float | None = None


def resolve_name(directory: Path, name: str | None) -> tuple[str, bool]:
    """The Worker name: `name` when given (and valid), else one derived from the folder."""
    if name is not None:
        problem = worker_name_problem(name)
        if problem:
            suggestion = slugify_worker_name(name)
            raise UsageError(
                f"Invalid --name {name!r}: {problem}.",
                hint=f"Try --name {suggestion}",
            )
        return name, False
    return slugify_worker_name(directory.resolve().name), True


def plan_init(
    directory: Path,
    *,
    name: str | None,
    install: bool,
    git: bool | None,
    force: bool,
    stateful: bool = False,
    toolchain: str | None = None,
    auth: str = DEFAULT_PROVIDER,
    issuer: str | None = None,
) -> InitPlan:
    """Everything decided and checked before a single file is written: the name, the folder,
    the variant, the toolchain set for the Node on PATH (and that Node, when installing)."""
    root = directory.resolve()
    worker_name, derived = resolve_name(root, name)
    if root.exists() and not root.is_dir():
        raise CfmcpError(f"{root} exists and is not a folder.")
    if root.is_dir() and any(root.iterdir()) and not force:
        raise CfmcpError(
            f"{root} is not empty; nothing was written.",
            hint="Pick a new folder, or pass --force to add the project's files to this one "
            "(files of the same name are kept as .bak copies; nothing is deleted).",
        )
    template = load_template()
    if auth not in template.providers:
        known = ", ".join(template.providers)
        raise UsageError(f"Unknown sign-in provider {auth!r}.", hint=f"Use one of: {known}.")
    issuer = check_issuer(auth, issuer)
    if auth == "none" and stateful:
        raise UsageError(
            "--stateful needs sign-in: a session belongs to the user and app that started it.",
            hint="Leave out --stateful (a public server is stateless), or pick an --auth provider.",
        )
    variant = "stateful" if stateful else DEFAULT_VARIANT
    chosen, node = choose_toolchain(template, toolchain, install=install)
    use_git = shutil.which("git") is not None if git is None else git
    plan = InitPlan(
        root, worker_name, derived, template, variant, chosen, install, use_git, auth, node
    )
    plan.issuer = issuer
    plan.existing = [f.target for f in template.files(plan.options) if (root / f.target).exists()]
    if (root / "cfmcp.json").exists():
        plan.existing.append(Path("cfmcp.json"))
    return plan


def check_issuer(auth: str, issuer: str | None) -> str:
    """The OpenID Connect issuer URL for `--auth oidc` ("" to set it later), checked."""
    if issuer is None:
        return ""
    if auth != "oidc":
        raise UsageError("--issuer is for --auth oidc.", hint="Add --auth oidc, or leave it out.")
    issuer = issuer.strip()
    problem = _issuer_problem(issuer)
    if problem:
        raise UsageError(
            f"{issuer!r} is not an issuer URL: {problem}.",
            hint="An issuer is an https URL with no query, e.g. "
            "https://login.microsoftonline.com/<tenant id>/v2.0 or https://<tenant>.okta.com.",
        )
    return issuer


# Entra ID's multi-tenant names: their discovery documents name no single issuer.
_ENTRA_SHARED_TENANTS = ("common", "organizations", "consumers")


def _issuer_problem(issuer: str) -> str | None:
    from urllib.parse import urlsplit

    if any(c in issuer for c in '"\\ ') or any(ord(c) < 32 or ord(c) == 127 for c in issuer):
        return "it has spaces, quotes or control characters"
    try:
        parts = urlsplit(issuer)
        hostname = parts.hostname
        parts.port  # noqa: B018 (raises on a bad port)
    except ValueError:
        return "it does not parse"
    local = parts.scheme == "http" and hostname in ("localhost", "127.0.0.1")
    if not (parts.scheme == "https" or local) or not hostname:
        return "it is not https"
    if parts.query or parts.fragment or parts.username or parts.password:
        return "an issuer has no query, fragment or user name"
    tenant = parts.path.strip("/").split("/")[0]
    if hostname == "login.microsoftonline.com" and tenant in _ENTRA_SHARED_TENANTS:
        return f"Entra ID's {tenant!r} has no fixed issuer; use your tenant's id (a GUID)"
    return None


def choose_toolchain(
    template: Template, name: str | None, *, install: bool
) -> tuple[Toolchain, NodeInstall | None]:
    """The toolchain set `name`, or the newest that the Node on PATH runs. Installing needs a
    Node that runs it: checked here, before anything is written."""
    from cfmcp.node import find_node, node_version, pick_toolchain

    if name is not None and name not in template.toolchains:
        known = ", ".join(template.toolchains)
        raise UsageError(f"Unknown --toolchain {name!r}.", hint=f"Use one of: {known}.")
    if name is not None:
        chosen = template.toolchains[name]
    else:
        node_path = shutil.which("node")
        chosen = pick_toolchain(template, node_version(node_path) if node_path else None)
    node = None
    if install:
        node = find_node(chosen.min_node, needed_by=f"wrangler {chosen.wrangler}")
    return chosen, node


def ratelimit_namespace(worker_name: str) -> int:
    """Rate-limit namespace ids are per account, and every project needs its own pair: derived
    from the Worker name, so one account's projects don't share counters."""
    digest = hashlib.sha256(worker_name.encode()).digest()
    return 100_000 + int.from_bytes(digest[:4], "big") % 800_000 * 2  # even: this id and the next


def template_context(
    template: Template, *, name: str, variant: str, auth: str, issuer: str, toolchain: Toolchain
) -> dict[str, Any]:
    """What the template's `.j2` files are rendered with (init and upgrade alike)."""
    return {
        "worker_name": name,
        "compatibility_date": toolchain.compatibility_date,
        "cfmcp_version": __version__,
        "template_name": template.name,
        "template_version": template.version,
        "variant": variant,
        "stateful": variant == "stateful",
        "auth": auth,
        "issuer": issuer,
        "toolchain": toolchain.as_context(),
        "toolchains": {key: t.as_context() for key, t in template.toolchains.items()},
        "ratelimit_namespace": ratelimit_namespace(name),
    }


def template_record(template: Template, toolchain: Toolchain) -> dict[str, Any]:
    """cfmcp.json's "template": which template, its version, and the toolchain set's pins."""
    return {
        "name": template.name,
        "version": template.version,
        "toolchain": toolchain.as_context(),
    }


def write_project(plan: InitPlan) -> InitResult:
    try:
        return _write_project(plan)
    except OSError as exc:
        where = exc.filename or plan.root
        raise CfmcpError(
            f"Could not write the project into {plan.root}: {exc.strerror} ({where}).",
            hint="Pick a folder you can write to.",
        ) from exc


def _write_project(plan: InitPlan) -> InitResult:
    plan.root.mkdir(parents=True, exist_ok=True)
    context = template_context(
        plan.template,
        name=plan.name,
        variant=plan.variant,
        auth=plan.auth,
        issuer=plan.issuer,
        toolchain=plan.toolchain,
    )
    backups: list[Path] = []
    written = render_template(plan.template, plan.root, plan.options, context, set_aside=backups)
    project = Project(plan.root)
    previous = project.read_state() if project.state_path.exists() else {}
    if project.state_path.exists() or project.state_path.is_symlink():
        backups.append(set_aside(project.state_path).relative_to(plan.root))
    project.write_state(
        {
            "cfmcp": __version__,
            "template": template_record(plan.template, plan.toolchain),
            "created_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
            "options": {
                "name": plan.name,
                **plan.options,
                "install": plan.install,
                "git": plan.git,
            },
            "environments": previous.get("environments", {}),
            # What cfmcp wrote, file by file (git blob ids): `cfmcp upgrade` tells the files
            # their owner changed from the ones it may replace.
            "files": {path.as_posix(): blob for path, blob in sorted(written.items())},
        }
    )
    files = sorted(str(p) for p in [*written, Path("cfmcp.json")])
    return InitResult(
        root=plan.root,
        name=plan.name,
        files=files,
        overwritten=sorted(str(p) for p in plan.existing),
        backups=sorted(str(p) for p in backups),
    )


def git_init(root: Path) -> str:
    """Make the project a git repository with a first commit; says what happened."""
    git = shutil.which("git")
    if git is None:
        return "skipped: git not found"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [git, *args], cwd=root, capture_output=True, text=True, check=False, timeout=60
        )

    inside = run("rev-parse", "--is-inside-work-tree")
    if inside.returncode == 0 and inside.stdout.strip() == "true":
        return "skipped: already inside a git repository"
    if run("init", "-q").returncode != 0:
        return "skipped: git init failed"
    # `main` whatever init.defaultBranch says (git before 2.28 has no --initial-branch).
    run("symbolic-ref", "HEAD", "refs/heads/main")
    run("add", "-A")
    from cfmcp.record import INIT_COMMIT_MESSAGE

    commit = run("commit", "-q", "-m", INIT_COMMIT_MESSAGE)
    if commit.returncode != 0:
        output = (commit.stderr or commit.stdout).strip()
        if "tell me who you are" in output or "auto-detect email" in output:
            return (
                "initialised without a commit: git does not know who you are. Run git config "
                '--global user.email "you@example.com" and git config --global user.name '
                '"Your Name", then git commit -m "Initial commit" in the project'
            )
        reason = output.splitlines()
        detail = reason[-1] if reason else "unknown error"
        return f"initialised without a commit ({detail})"
    return GIT_COMMITTED


GIT_COMMITTED = "initialised with a first commit"


def make_repository(root: Path) -> str:
    """git_init, then cfmcp.json says whether there is a repository with cfmcp's first commit
    (it was written before, so that the commit holds it, saying yes)."""
    status = git_init(root)
    if status != GIT_COMMITTED:
        project = Project(root)
        state = project.read_state()
        state.setdefault("options", {})["git"] = False
        project.write_state(state)
    return status
