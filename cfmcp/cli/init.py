"""`cfmcp init`."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from cfmcp.cli.app import (
    JSON_OPTION,
    app,
    complete_from,
)
from cfmcp.errors import CfmcpError


@app.command(
    epilog="Examples: [bold]cfmcp init my-mcp[/bold]   then   [bold]cd my-mcp && cfmcp dev[/bold]"
    "   ·   [bold]cfmcp init my-mcp --stateful[/bold]  (Durable Object sessions, HTTP+SSE)",
    rich_help_panel="Develop",
)
def init(
    directory: Path = typer.Argument(
        Path("."),
        metavar="DIR",
        help="Folder for the new project (created if missing).",
        show_default="the current folder",
    ),
    name: str | None = typer.Option(
        None,
        "--name",
        "-n",
        help="Worker name: lowercase letters, digits and dashes, 1-63 characters. "
        "Default: derived from DIR.",
    ),
    yes: bool = typer.Option(False, "--yes", "-y", help="Ask nothing; use defaults everywhere."),
    install: bool = typer.Option(
        True, "--install/--no-install", help="Run npm ci in the new project."
    ),
    git: bool | None = typer.Option(
        None,
        "--git/--no-git",
        help="Make the project a git repository with a first commit.",
        show_default="on when git is installed",
    ),
    force: bool = typer.Option(
        False, "--force", help="Write into a non-empty folder (same-name files are replaced)."
    ),
    stateful: bool = typer.Option(
        False,
        "--stateful",
        help="A Durable Object session per 2025-era client, with real HTTP+SSE on /sse: for "
        "servers that push notifications, keep per-session state or serve SSE-only clients.",
        show_default="stateless: MCP 2026-07-28 on /mcp, no sessions",
    ),
    toolchain: str | None = typer.Option(
        None,
        "--toolchain",
        metavar="SET",
        help="The Worker's tool versions: 'current' (Node 22.12+) or 'node20' (the last "
        "wrangler that runs on Node 20).",
        show_default="the newest the Node on PATH runs",
    ),
    auth: str = typer.Option(
        "cloudflare",
        "--auth",
        metavar="PROVIDER",
        autocompletion=complete_from("cloudflare", "github", "google", "oidc", "none"),
        help="Who signs users in: 'cloudflare' (Cloudflare's own OAuth), 'github' (an OAuth "
        "app you register on GitHub), 'google', 'oidc' (any OpenID Connect issuer: Entra ID, "
        "Okta, Auth0, WorkOS, Keycloak, ...), or 'none' (a public server: anyone can call its "
        "tools). cfmcp dev runs a local stand-in for each provider.",
    ),
    issuer: str | None = typer.Option(
        None,
        "--issuer",
        metavar="URL",
        help="With --auth oidc: the issuer's URL, e.g. https://<tenant>.okta.com (it serves "
        "/.well-known/openid-configuration). Can be set later as OIDC_ISSUER in wrangler.toml.",
        show_default=False,
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Create a remote MCP server project: Worker, OAuth sign-in, tools, wrangler.toml."""
    from cfmcp import console
    from cfmcp import init as init_module

    interactive = not yes and not as_json and sys.stdin.isatty()
    if interactive and directory == Path(".") and name is None and _folder_has_files(Path(".")):
        from cfmcp import prompts

        directory = Path(prompts.text("Project folder", default="my-mcp-server"))

    # Everything that can fail is checked here, Node included, before a file is written.
    plan = init_module.plan_init(
        directory,
        name=name,
        install=install,
        git=git,
        force=force,
        stateful=stateful,
        toolchain=toolchain,
        auth=auth,
        issuer=issuer,
    )
    if plan.notice and not as_json:
        console.warn(plan.notice)
    if plan.name_derived and not as_json:
        console.info(
            f"Worker name: [bold]{console.escape(plan.name)}[/bold] (from the folder name; "
            "use --name to choose another)",
            markup=True,
        )
    if plan.existing and not as_json:
        console.warn("Replacing existing files: " + ", ".join(map(str, plan.existing)))

    result = init_module.write_project(plan)
    if not as_json:
        console.success(f"Created {len(result.files)} files in {result.root}")
        if result.backups:
            console.info(f"  kept what they replaced: {', '.join(result.backups)}")
    if plan.git:
        result.git = init_module.make_repository(result.root)
        if not as_json:
            console.info(f"  git: {result.git}")

    if install:
        from cfmcp.node import npm_ci

        try:
            with console.spinner("Installing the Worker's packages (npm ci)…") as timer:
                npm_ci(result.root, plan.node)
        except KeyboardInterrupt:
            raise CfmcpError(
                "Interrupted during npm ci: the project's files are written, its packages are "
                "not all installed.",
                hint=f"cd {os.path.relpath(result.root)} && npm ci",
                exit_code=130,
            ) from None
        result.installed = True
        result.install_seconds = round(timer.stop(), 1)
        if not as_json:
            console.success(f"Installed packages in {result.install_seconds:.1f} s")

    if as_json:
        console.print_result(
            {
                "path": str(result.root),
                "name": result.name,
                "template": {"name": plan.template.name, "version": plan.template.version},
                "variant": plan.variant,
                "auth": plan.auth,
                "toolchain": {"name": plan.toolchain.name, "wrangler": plan.toolchain.wrangler},
                "notice": plan.notice,
                "files": result.files,
                "overwritten": result.overwritten,
                "backups": result.backups,
                "git": result.git,
                "installed": result.installed,
                "install_seconds": result.install_seconds,
            }
        )
        return
    _next_steps_panel(result.root, installed=result.installed, auth=plan.auth, issuer=plan.issuer)


def _folder_has_files(folder: Path) -> bool:
    return folder.is_dir() and any(folder.iterdir())


def _next_steps_panel(root: Path, *, installed: bool, auth: str, issuer: str = "") -> None:
    from cfmcp import console

    rows = []
    relative = os.path.relpath(root)
    if relative != ".":
        rows.append((f"cd {relative}", ""))
    if not installed:
        rows.append(("npm ci", "install the Worker's packages"))
    if auth == "none":
        rows.append(("cfmcp dev", "run locally on http://localhost:8788 (no sign-in)"))
        rows.append(("cfmcp check --headless", "call a tool, as an MCP client would"))
    else:
        rows.append(("cfmcp dev", "run locally on http://localhost:8788 with a local sign-in"))
        rows.append(("cfmcp check --headless", "sign in and call a tool, as an MCP client would"))
    if auth == "none":
        rows.append(("cfmcp up", "live on Cloudflare: deploy (no KV, no secrets)"))
        rows.append(("", "anyone with the URL can call its tools"))
    elif auth == "cloudflare":
        rows.append(("cfmcp up", "live on Cloudflare: KV, OAuth client, secrets, deploy"))
        rows.append(("  or step by step:", "cfmcp oauth-client create, cfmcp secrets set,"))
        rows.append(("", "cfmcp deploy"))
    else:
        from cfmcp.providers import PROVIDERS

        if auth == "oidc" and not issuer:
            rows.append(("wrangler.toml", "set OIDC_ISSUER to your issuer's URL before you"))
            rows.append(("", "deploy (cfmcp dev needs none)"))
        title = PROVIDERS[auth].title
        rows.append(("cfmcp up", "live on Cloudflare: KV, secrets, deploy (it says"))
        rows.append(("", f"which {title} OAuth client to register first)"))
    rows.append(("cfmcp client-config claude", "connect Claude Desktop (or cursor, vscode, …)"))
    rows.append(("cfmcp add tool NAME", "a tool of your own: src/tools/NAME.ts, tested"))
    rows.append(("src/tools/", "the tools (add and whoami are examples)"))
    tested = "tools" if auth == "none" else "sign-in and tools"
    rows.append(("npm test", f"test them: {tested} in workerd, offline (test/)"))
    console.panel("Next steps", rows)
