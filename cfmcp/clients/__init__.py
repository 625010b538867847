"""`cfmcp client-config`: put the server into an AI client's config file, in the shape that
client expects, without damaging anything already there.

The CLI calls, in order: `resolve_target` (which client, URL, name and file), `plan`
(read, validate, compute the new text; nothing written), then either shows the plan
(--dry-run) or calls `check_replacement` and `apply` (backup, then atomic write). The CLI
renders the results.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cfmcp.clients import (
    amp,
    claude_code,
    claude_desktop,
    cline,
    codex,
    continue_dev,
    copilot,
    cursor,
    droid,
    gemini,
    goose,
    inventory,
    kilo,
    kiro,
    mcp_remote,
    opencode,
    paths,
    qwen,
    roo,
    visualstudio,
    vscode,
    warp,
    web,
    windsurf,
    zed,
)
from cfmcp.clients.base import (
    SCOPES,
    ClientSpec,
    Endpoints,
    Location,
    Scope,
    build_entry,
    earlier_entries,
    normalise_url,
)
from cfmcp.clients.edit import ApplyResult, EditPlan, apply_plan, plan_edit, show_diff
from cfmcp.errors import CfmcpError, UsageError
from cfmcp.project import project_or_none

if TYPE_CHECKING:
    from cfmcp.project import Project

__all__ = [
    "CLIENTS",
    "LOCAL_URL",
    "WEB_CLIENTS",
    "ApplyResult",
    "EditPlan",
    "Request",
    "Target",
    "WebTarget",
    "apply",
    "check_replacement",
    "plan",
    "resolve_target",
    "result_json",
    "stdin_is_interactive",
]

CLIENTS: dict[str, ClientSpec] = {
    spec.name: spec
    for spec in (
        claude_desktop.SPEC,
        claude_code.SPEC,
        cursor.SPEC,
        vscode.SPEC,
        windsurf.SPEC,
        codex.SPEC,
        gemini.SPEC,
        opencode.SPEC,
        goose.SPEC,
        copilot.SPEC,
        qwen.SPEC,
        zed.SPEC,
        kiro.SPEC,
        amp.SPEC,
        cline.SPEC,
        kilo.SPEC,
        droid.SPEC,
        warp.SPEC,
        roo.SPEC,
        continue_dev.SPEC,
        visualstudio.SPEC,
    )
}
LOCAL_URL = "http://localhost:8788"
WEB_CLIENTS = web.WEB_CLIENTS


@dataclass(frozen=True)
class Request:
    """What was asked for on the command line."""

    client: str | None
    url: str | None = None
    local: bool = False
    name: str | None = None
    scope: str | None = None
    bridge: bool = False
    config_path: Path | None = None
    env: str | None = None


@dataclass(frozen=True)
class Target:
    """What will be written, and where."""

    spec: ClientSpec
    name: str
    url: str  # the endpoint the entry points at
    entry: dict[str, Any]
    scope: Scope
    location: Location
    earlier: list[dict[str, Any]] = field(default_factory=list)  # cfmcp's earlier entries
    warning: str | None = None  # worth saying, not worth stopping for

    @property
    def snippet(self) -> dict[str, Any]:
        return {self.name: self.entry}


def get_client(name: str) -> ClientSpec:
    spec = CLIENTS.get(name.lower())
    from cfmcp.clients.links import LINK_ONLY

    if spec is None and name.lower() in LINK_ONLY:
        raise UsageError(
            f"cfmcp adds the server to {LINK_ONLY[name.lower()]} with a link, not a file.",
            hint=f"cfmcp client-config {name.lower()} --link (--open opens it)",
        )
    if spec is None:
        import difflib

        known = {**CLIENTS, **WEB_CLIENTS}
        nearest = difflib.get_close_matches(name.lower(), known, n=1, cutoff=0.6)
        if nearest:
            raise UsageError(
                f"Unknown client {name!r}. Did you mean {nearest[0]}?",
                hint=f"cfmcp client-config {nearest[0]}",
            )
        choices = ", ".join(f"{key} ({spec.title})" for key, spec in sorted(known.items()))
        raise UsageError(f"Unknown client {name!r}.", hint=f"Choose one of: {choices}.")
    return spec


def is_web_client(name: str | None) -> bool:
    return name is not None and name.lower() in WEB_CLIENTS


@dataclass(frozen=True)
class WebTarget:
    """A hosted client: the public URL to paste into its settings, and the steps."""

    spec: web.WebClientSpec
    name: str
    url: str  # the /mcp endpoint
    source: str  # "deployed", "tunnel" (a running cfmcp dev --tunnel) or "given" (--url)
    note: str | None = None
    public: bool = False  # the server has no sign-in

    @property
    def steps(self) -> list[str]:
        return self.spec.steps(self.url, self.name, self.public)

    def to_json(self, *, opened: bool = False) -> dict[str, Any]:
        return {
            "client": self.spec.name,
            "name": self.name,
            "url": self.url,
            "source": self.source,
            "settings_url": self.spec.settings_url,
            "steps": self.steps,
            "opened": opened,
            "note": self.note,
        }


def resolve_web_target(request: Request) -> WebTarget:
    """The URL a hosted client can reach: --url, the running tunnel (--local), else the deployed
    URL of --env, else a running tunnel. Hosted clients connect from their own servers, so it
    must be public https."""
    assert request.client is not None
    spec = WEB_CLIENTS[request.client.lower()]
    if request.url is not None and request.local:
        raise UsageError("--url and --local cannot be used together.")
    project = project_or_none()
    if project is not None:
        project.require_env(request.env)
    tunnel = _running_tunnel(project)
    how = "Deploy it (cfmcp deploy), or run `cfmcp dev --tunnel` for a public URL to your laptop."
    note = None
    if request.url is not None:
        endpoints, source = normalise_url(request.url), "given"
    elif request.local:
        if tunnel is None:
            raise CfmcpError(
                f"{spec.title} connects from its own servers: it cannot reach localhost, and no "
                "cfmcp dev --tunnel is running for this project.",
                hint="Start `cfmcp dev --tunnel` in another terminal, then run this again.",
            )
        endpoints, source = normalise_url(tunnel), "tunnel"
    else:
        recorded = project.env_state(request.env).get("url") if project is not None else None
        if isinstance(recorded, str) and recorded:
            endpoints, source = normalise_url(recorded), "deployed"
        elif tunnel is not None and request.env is None:
            endpoints, source = normalise_url(tunnel), "tunnel"
            note = "Not deployed yet: this is the URL of your running cfmcp dev --tunnel."
        elif project is None:
            raise CfmcpError(
                "No URL to give: this is not a cfmcp project, so there is no deploy record.",
                hint="Pass --url https://NAME.SUBDOMAIN.workers.dev, or run this in the project.",
            )
        else:
            raise CfmcpError("No public URL for this server yet.", hint=how)
    if not endpoints.base.startswith("https://"):
        raise UsageError(
            f"{spec.title} connects from its own servers: {endpoints.mcp} is on this machine "
            "and it cannot reach it.",
            hint=how,
        )
    if request.name is not None or project is not None:
        name = _name(replace(request, local=False), project)
    else:
        name = "my-mcp-server"
    if source == "tunnel":
        name += "-dev" if request.name is None else ""
        if endpoints.base.endswith(".trycloudflare.com"):
            note = (note + " " if note else "") + (
                "A Quick Tunnel's URL changes each time it starts: update the connector then."
            )
    public = False
    if project is not None:
        from cfmcp.providers import provider_of

        with contextlib.suppress(CfmcpError):
            public = provider_of(project).public
    return WebTarget(spec, name, endpoints.mcp, source, note, public)


def _running_tunnel(project: Project | None) -> str | None:
    if project is None:
        return None
    from cfmcp.dev.supervisor import running_tunnel_urls

    return next(iter(running_tunnel_urls(project)), None)


def resolve_target(request: Request) -> Target:
    if not request.client:
        choices = ", ".join(sorted(CLIENTS))
        raise UsageError(
            "Which client? Name one, e.g. cfmcp client-config cursor.",
            hint=f"Clients: {choices}. `cfmcp client-config --list` shows what each has.",
        )
    spec = get_client(request.client)
    elsewhere = spec.platforms is not None and paths.current_platform() not in spec.platforms
    if elsewhere and request.config_path is None:
        systems = " and ".join(p.capitalize() for p in spec.platforms or ())
        raise UsageError(
            f"{spec.title} runs on {systems} only.",
            hint="Pass --config-path FILE to write its file anyway (for another computer).",
        )
    if request.url is not None and request.local:
        raise UsageError("--url and --local cannot be used together.")
    project = project_or_none()
    if project is not None:
        project.require_env(request.env)
    scope = _scope(spec, request, project)
    endpoints = _endpoints(request, project)
    name = _name(request, project)
    platform = paths.current_platform()
    entry, url = build_entry(spec, endpoints, bridge=request.bridge, platform=platform, name=name)
    earlier = earlier_entries(spec, endpoints, platform=platform, name=name)
    problem = spec.name_problem(name) if spec.name_problem is not None else None
    if problem:
        from cfmcp.names import slugify_worker_name

        raise UsageError(
            f"{spec.title} would not start a server named {name!r}: {problem}.",
            hint=f"Pass --name {slugify_worker_name(name)}",
        )
    if spec.entry_key is not None:
        name = spec.entry_key(name)
    if request.config_path is not None:
        path = Path(request.config_path).expanduser().absolute()
        location = Location(path, install_dir=path.parent, chosen=True)
    else:
        root = project.root if project is not None else Path.cwd()
        location = spec.locate(scope, root)
        if scope == "project":
            location = replace(location, project_root=root)
    warning = None
    if request.local and request.url is None and _dev_not_running(project):
        warning = (
            f"No cfmcp dev is running for this project: {url} answers once you start it "
            "(cfmcp dev)."
        )
    return Target(spec, name, url, entry, scope, location, earlier, warning)


def resolve_links(request: Request) -> tuple[str, str, list[Any]]:
    """The one-click install links for `request.client` (every client that has one when
    None; vscode means VS Code and VS Code Insiders): the name, the URL, the links."""
    from cfmcp.clients.links import LINK_CLIENTS, install_links

    wanted: tuple[str, ...] = LINK_CLIENTS
    if request.client is not None:
        client = request.client.lower()
        if is_web_client(client):
            raise UsageError(
                f"{client} is added in its settings, not by a link.",
                hint=f"cfmcp client-config {client} prints the URL and the steps.",
            )
        if client not in LINK_CLIENTS:
            spec = get_client(client)  # an unknown name says so, with the nearest one
            others = ", ".join(c for c in LINK_CLIENTS if c != "vscode-insiders")
            raise UsageError(
                f"{spec.title} has no documented install link.",
                hint=f"Links exist for {others}; cfmcp client-config {spec.name} writes its "
                "config file instead.",
            )
        wanted = ("vscode", "vscode-insiders") if client == "vscode" else (client,)
    if request.url is not None and request.local:
        raise UsageError("--url and --local cannot be used together.")
    project = project_or_none()
    if project is not None:
        project.require_env(request.env)
    url = _endpoints(request, project).mcp
    name = _name(request, project)
    return name, url, install_links(name, url, wanted)


def configure_all(request: Request, *, dry_run: bool, force: bool) -> list[Any]:
    """`--all`: see cfmcp/clients/everywhere.py."""
    from cfmcp.clients.everywhere import configure_all as configure_everywhere

    return configure_everywhere(request, dry_run=dry_run, force=force)


def _dev_not_running(project: Project | None) -> bool:
    if project is None:
        return True
    from cfmcp.dev.supervisor import running_dev_url

    return running_dev_url(project) is None


def plan(target: Target, *, force: bool) -> EditPlan:
    return plan_edit(
        target.spec,
        target.location,
        name=target.name,
        url=target.url,
        entry=target.entry,
        force=force,
        earlier=target.earlier,
    )


def check_replacement(
    plan: EditPlan,
    *,
    force: bool,
    confirm: Callable[[str], bool] | None,
    show: bool = True,
) -> None:
    """Allow replacing an entry of the same name only with --force or a yes at the prompt
    (`confirm` is None when nobody can be asked). Raises CfmcpError otherwise. An entry cfmcp
    wrote earlier for this server is replaced without asking, the change shown."""
    if plan.upgrade and show:
        from cfmcp import console

        console.info(f"Updating {plan.name}, cfmcp's own earlier entry, in {plan.path}:")
        show_diff(plan.entry_diff())
    if not plan.conflict or force:
        return
    if show:
        from cfmcp import console

        console.warn(f"{plan.path} already has a server named {plan.name} with other settings:")
        show_diff(plan.entry_diff())
    if confirm is None:
        raise CfmcpError(
            f"{plan.path} already has a server named {plan.name!r} with other settings; "
            "left the file untouched.",
            hint="Pass --force to replace it (the file is backed up first), or --name to add "
            "this one under another name.",
        )
    if not confirm(f"Replace {plan.name} in {plan.path}?"):
        raise CfmcpError(f"Left {plan.path} untouched.", hint="--force replaces without asking.")


def apply(plan: EditPlan) -> ApplyResult:
    return apply_plan(plan)


def stdin_is_interactive() -> bool:
    return sys.stdin.isatty()


def result_json(
    target: Target, action: str, *, backup: Path | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "client": target.spec.name,
        "path": str(target.location.path),
        "name": target.name,
        "url": target.url,
        "action": action,
        "backup": None if backup is None else str(backup),
        "warning": target.warning,
        **extra,
    }


# --- --list and --reset-auth --------------------------------------------------------------


def list_clients(request: Request) -> list[inventory.ClientStatus]:
    """Every client (or the one asked for) and its entries for this project's server: the
    deployed one (of --env) and the local `cfmcp dev`; or the --url given."""
    project = project_or_none()
    if project is not None:
        project.require_env(request.env)
    servers: dict[str, Endpoints] = {}
    if request.url is not None:
        servers["given"] = normalise_url(request.url)
    elif project is not None:
        recorded = project.env_state(request.env).get("url")
        if isinstance(recorded, str) and recorded:
            servers["deployed"] = normalise_url(recorded)
        servers["local"] = _endpoints(replace(request, local=True), project)
    specs = [get_client(request.client)] if request.client else list(CLIENTS.values())
    root = project.root if project is not None else Path.cwd()
    return inventory.list_clients(specs, root, servers)


def reset_auth(request: Request, *, dry_run: bool) -> mcp_remote.ResetResult:
    """Remove mcp-remote's registration and tokens for this server (deployed, --local or
    --url), and nothing of any other server."""
    if request.client:
        raise UsageError(
            "--reset-auth clears mcp-remote's sign-in for every client that uses it; leave out "
            "CLIENT.",
            hint="Clients that sign in themselves keep their own state: the command lists how to "
            "clear it in each.",
        )
    project = project_or_none()
    if project is not None:
        project.require_env(request.env)
    return mcp_remote.reset_auth(_endpoints(request, project), dry_run=dry_run)


# --- resolving the request ----------------------------------------------------------------


def _scope(spec: ClientSpec, request: Request, project: Project | None) -> Scope:
    requested = request.scope
    if requested is None:
        return spec.default_scope
    scope = next((s for s in SCOPES if s == requested.lower()), None)
    if scope is None:
        raise UsageError(f"Unknown --scope {requested!r}: use user or project.")
    if scope in spec.scopes:
        return scope
    if spec.scope_hint is not None:
        hint = spec.scope_hint(scope, *_name_and_url_for_hint(spec, request, project))
    else:
        hint = (
            f"{spec.title} has a {spec.default_scope} config only: leave out --scope "
            "(or use --config-path FILE)."
        )
    raise UsageError(f"{spec.title} has no {scope}-scope config file cfmcp can edit.", hint=hint)


def _name_and_url_for_hint(
    spec: ClientSpec, request: Request, project: Project | None
) -> tuple[str, str]:
    try:
        name = _name(request, project)
    except CfmcpError:
        name = "NAME"
    try:
        endpoints = _endpoints(request, project)
    except CfmcpError:
        return name, "URL"
    return name, endpoints.mcp


def _endpoints(request: Request, project: Project | None) -> Endpoints:
    if request.local:
        # The running `cfmcp dev` of this project (it may be on another port), else the default.
        running = None
        if project is not None:
            from cfmcp.dev.supervisor import running_dev_url

            running = running_dev_url(project)
        return normalise_url(running or LOCAL_URL)
    if request.url is not None:
        return normalise_url(request.url)
    if project is None:
        raise CfmcpError(
            "No URL to connect to: this is not a cfmcp project, so there is no deploy record.",
            hint="Pass --url https://NAME.SUBDOMAIN.workers.dev (or --local for `cfmcp dev`), "
            "or run this inside the project after `cfmcp deploy`.",
        )
    from cfmcp.project import env_key

    recorded = project.env_state(request.env).get("url")
    if not isinstance(recorded, str) or not recorded:
        raise CfmcpError(
            f"No deployed URL recorded for {env_key(request.env)} in {project.state_path}.",
            hint=f"Run `cfmcp deploy{' --env ' + request.env if request.env else ''}` first, "
            "or pass --url URL (or --local for `cfmcp dev`).",
        )
    try:
        return normalise_url(recorded)
    except UsageError as exc:
        raise CfmcpError(
            f"The URL recorded in {project.state_path} is not usable: {exc.message}",
            hint="Run `cfmcp deploy` again, or pass --url URL.",
        ) from exc


def _name(request: Request, project: Project | None) -> str:
    if request.name is not None:
        name = request.name.strip()
        if not name or any(ord(char) < 32 for char in name):
            raise UsageError(
                f"Invalid --name {request.name!r}.", hint="For example: --name my-mcp-server"
            )
        return name
    if project is None:
        raise UsageError(
            "--name is required outside a cfmcp project.",
            hint="Pass --name my-mcp-server, or run this inside the project folder.",
        )
    # The dev server gets its own entry beside the deployed one, never in its place.
    suffix = "-local" if request.local else ""
    return project.worker_name(request.env) + suffix
