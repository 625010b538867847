"""The command line: parse, call a module, render. Modules are imported inside the commands
so that `cfmcp --help` stays fast."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer
from typer.core import TyperGroup

from cfmcp import __version__
from cfmcp.errors import CfmcpError


class CfmcpGroup(TyperGroup):
    """Turns a CfmcpError from any command into its message, hint and exit code."""

    def invoke(self, ctx):  # type: ignore[no-untyped-def]
        try:
            return super().invoke(ctx)
        except CfmcpError as error:
            from cfmcp.console import show_error

            show_error(error)
            ctx.exit(error.exit_code)


app = typer.Typer(
    cls=CfmcpGroup,
    name="cfmcp",
    help="Ship an OAuth-protected remote MCP server on Cloudflare Workers, and connect it to "
    "your AI clients.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

JSON_OPTION = typer.Option(False, "--json", help="Print the result as JSON on stdout.")


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"cfmcp {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(
        False,
        "--version",
        "-V",
        help="Show the version and exit.",
        callback=_show_version,
        is_eager=True,
    ),
    directory: Path | None = typer.Option(
        None,
        "--directory",
        "-C",
        metavar="DIR",
        help="Run as if cfmcp was started in DIR.",
    ),
) -> None:
    if directory is not None:
        try:
            os.chdir(directory)
        except OSError as exc:
            raise CfmcpError(f"Cannot change to {directory}: {exc.strerror}.", exit_code=2) from exc


# --- init ---------------------------------------------------------------------------------


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
        show_default="stateless: MCP 2026-07-28 on /mcp, no Durable Object",
    ),
    toolchain: str | None = typer.Option(
        None,
        "--toolchain",
        metavar="SET",
        help="The Worker's tool versions: 'current' (Node 22.12+) or 'node20' (the last "
        "wrangler that runs on Node 20).",
        show_default="the newest the Node on PATH runs",
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Create a remote MCP server project: Worker, Cloudflare OAuth, tools, wrangler.toml."""
    from cfmcp import console
    from cfmcp import init as init_module

    interactive = not yes and not as_json and sys.stdin.isatty()
    if interactive and directory == Path(".") and name is None and _folder_has_files(Path(".")):
        directory = Path(typer.prompt("Project folder", default="my-mcp-server"))

    # Everything that can fail is checked here, Node included, before a file is written.
    plan = init_module.plan_init(
        directory,
        name=name,
        install=install,
        git=git,
        force=force,
        stateful=stateful,
        toolchain=toolchain,
    )
    if plan.notice and not as_json:
        console.warn(plan.notice)
    if plan.name_derived and not as_json:
        console.info(
            f"Worker name: [bold]{plan.name}[/bold] (from the folder name; "
            "use --name to choose another)"
        )
    if plan.existing and not as_json:
        console.warn("Replacing existing files: " + ", ".join(map(str, plan.existing)))

    result = init_module.write_project(plan)
    if not as_json:
        console.success(f"Created {len(result.files)} files in {result.root}")
    if plan.git:
        result.git = init_module.git_init(result.root)
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
        console.print_json(
            {
                "path": str(result.root),
                "name": result.name,
                "template": {"name": plan.template.name, "version": plan.template.version},
                "variant": plan.variant,
                "toolchain": {"name": plan.toolchain.name, "wrangler": plan.toolchain.wrangler},
                "notice": plan.notice,
                "files": result.files,
                "overwritten": result.overwritten,
                "git": result.git,
                "installed": result.installed,
                "install_seconds": result.install_seconds,
            }
        )
        return
    _next_steps_panel(result.root, installed=result.installed)


# --- wrangler operations: kv, secrets, deploy, doctor -------------------------------------

ENV_OPTION = typer.Option(
    None,
    "--env",
    "-e",
    metavar="ENV",
    help="A wrangler environment (\\[env.ENV] in wrangler.toml). Default: the top level "
    "(recorded as 'production').",
)

kv_app = typer.Typer(
    cls=CfmcpGroup,
    help="The OAUTH_KV namespace that holds OAuth clients, grants and tokens.",
    epilog="Example: [bold]cfmcp kv create[/bold]",
    no_args_is_help=True,
    rich_markup_mode="rich",
)
secrets_app = typer.Typer(
    cls=CfmcpGroup,
    help="The Worker's secrets: Cloudflare OAuth client id and secret, cookie key.",
    epilog="Example: [bold]cfmcp secrets set[/bold]   then   [bold]cfmcp secrets list[/bold]",
    no_args_is_help=True,
    rich_markup_mode="rich",
)
app.add_typer(kv_app, name="kv", rich_help_panel="Ship")
app.add_typer(secrets_app, name="secrets", rich_help_panel="Ship")


def _progress(message: str):  # type: ignore[no-untyped-def]
    from cfmcp import console

    return console.spinner(message)


@kv_app.command(
    "create",
    epilog="Example: [bold]cfmcp kv create[/bold]   or   "
    "[bold]cfmcp kv create --env staging[/bold]",
)
def kv_create(env: str | None = ENV_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Create the OAUTH_KV namespace and write its id into wrangler.toml.

    Safe to re-run: nothing happens when wrangler.toml has a real id, and a namespace with the
    expected title (<worker>-OAUTH_KV) is reused rather than created again.
    """
    from cfmcp import console, kv
    from cfmcp.project import find_project
    from cfmcp.secrets import check_env

    env = check_env(env)
    result = kv.ensure_kv(find_project(), env, progress=_progress)
    if as_json:
        console.print_json(result.to_json())
        return
    if result.action == kv.CONFIGURED:
        console.success(f"OAUTH_KV already has a namespace id: {result.namespace_id}")
        return
    verb = "Created" if result.action == kv.CREATED else "Found existing"
    console.success(f"{verb} KV namespace {result.title} ({result.namespace_id})")
    console.success(f"Wrote its id into {result.wrangler_toml}")
    if result.copied:
        console.info(
            f"  also copied {', '.join(result.copied)} into \\[env.{env}] "
            "(wrangler does not inherit them)"
        )


@secrets_app.command(
    "set",
    epilog="Example: [bold]cfmcp secrets set[/bold]   or   "
    '[bold]printf %s "$ID" | cfmcp secrets set CLOUDFLARE_CLIENT_ID --env staging[/bold]',
)
def secrets_set(
    names: list[str] | None = typer.Argument(
        None,
        metavar="NAME",
        help="Secrets to set. Default: CLOUDFLARE_CLIENT_ID, CLOUDFLARE_CLIENT_SECRET, "
        "COOKIE_ENCRYPTION_KEY.",
        show_default=False,
    ),
    env: str | None = ENV_OPTION,
    local: bool = typer.Option(
        False, "--local", help="Write .dev.vars (for `wrangler dev`) instead of Cloudflare."
    ),
    save: bool = typer.Option(
        True, "--save/--no-save", help="Save the values in the OS keyring for the next run."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Put the Worker's secrets on Cloudflare (or into .dev.vars with --local).

    Each value comes from the first of: standard input (one NAME, piped), an environment
    variable of the same name, the OS keyring (saved by an earlier run), a hidden prompt.
    A missing COOKIE_ENCRYPTION_KEY is generated. Values are never printed.
    """
    from cfmcp import console
    from cfmcp import secrets as secrets_module
    from cfmcp.project import find_project

    env = secrets_module.check_env(env)
    project = find_project()
    project.load_wrangler()  # a malformed wrangler.toml: stop before asking for anything
    if not local:
        from cfmcp.wrangler import wrangler_binary

        wrangler_binary(project)
    values, store = secrets_module.secret_values(
        project, names or secrets_module.REQUIRED_SECRETS, env=env, local=local
    )
    result = secrets_module.store_secrets(
        project, values, env=env, local=local, save=save, store=store, progress=_progress
    )
    if as_json:
        console.print_json(result.to_json())
        return
    if save and result.keyring_notice:
        console.warn(f"Not saved for next time: {result.keyring_notice}.")
    if result.created_worker:
        console.info(
            f"Worker {result.worker} did not exist: wrangler created a placeholder to hold the "
            "secrets; `cfmcp deploy` replaces it."
        )
    for value in result.values:
        source = secrets_module.SOURCE_TEXT.get(value.source, value.source)
        saved = ", saved to the keyring" if value.name in result.saved else ""
        console.success(f"{value.name} ({source}{saved}) → {result.target}")
    if result.gitignore_added:
        console.info("Added the file to .gitignore.")
    if not local:
        env_flag = f" --env {env}" if env else ""
        console.info(f"Next: [bold]cfmcp deploy{env_flag}[/bold]")


@secrets_app.command(
    "list",
    epilog="Example: [bold]cfmcp secrets list[/bold]   or   "
    "[bold]cfmcp secrets list --env staging --json[/bold]",
)
def secrets_list(env: str | None = ENV_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Show which secrets are set on Cloudflare and in .dev.vars (names only, never values)."""
    from cfmcp import console
    from cfmcp import secrets as secrets_module
    from cfmcp.project import find_project

    env = secrets_module.check_env(env)
    project = find_project()
    with console.spinner("Listing the Worker's secrets…"):
        listing = secrets_module.list_secrets(project, env)
    if as_json:
        console.print_json(listing.to_json())
        return
    from rich.table import Table

    table = Table(title=f"Secrets of Worker {listing.worker}", title_justify="left")
    table.add_column("Name")
    table.add_column("Cloudflare")
    table.add_column(Path(listing.dev_vars).name)
    for status in listing.secrets:
        label = status.name + ("" if status.required else " [dim](extra)[/dim]")
        table.add_row(label, _mark(status.cloudflare), _mark(status.local))
    console.err_console().print(table)
    env_flag = f" --env {env}" if env else ""
    if listing.worker_exists is False:
        console.info(f"Worker {listing.worker} is not on Cloudflare yet.")
    if listing.missing:
        console.warn(
            f"Missing on Cloudflare: {', '.join(listing.missing)}. "
            f"Run [bold]cfmcp secrets set{env_flag}[/bold]."
        )


def _mark(value: bool | None) -> str:
    return {True: "[green]set[/green]", False: "[red]missing[/red]", None: "-"}[value]


@app.command(
    epilog="Example: [bold]cfmcp deploy[/bold]   or   [bold]cfmcp deploy --env staging --json"
    "[/bold]   or   [bold]cfmcp deploy --dry-run[/bold]",
    rich_help_panel="Ship",
)
def deploy(
    env: str | None = ENV_OPTION,
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Bundle without uploading (no sign-in needed); show the size."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Deploy the Worker and print its MCP URL(s) and OAuth redirect URI.

    Checks first: wrangler installed, signed in, KV namespace (created if missing), required
    secrets set. The URL is recorded for `cfmcp client-config` and `cfmcp check`.
    """
    from cfmcp import console
    from cfmcp import deploy as deploy_module
    from cfmcp.project import find_project
    from cfmcp.secrets import check_env

    env = check_env(env)
    project = find_project()
    if dry_run:
        bundle = deploy_module.dry_run(project, env, progress=_progress)
        if as_json:
            console.print_json(bundle.to_json())
            return
        console.success(
            f"Bundled {bundle.worker}: {bundle.bundle_bytes / 1024:.1f} KiB "
            f"(gzip {bundle.gzip_bytes / 1024:.1f} KiB); nothing uploaded"
        )
        if bundle.kv_placeholder:
            console.info("The KV namespace id is still the placeholder: `cfmcp deploy` creates it.")
        return

    result = deploy_module.deploy(project, env, progress=_progress, notify=console.step)
    if as_json:
        console.print_json(result.to_json())
        return
    _deploy_panel(result)


def _deploy_panel(result) -> None:  # type: ignore[no-untyped-def]
    from rich.panel import Panel
    from rich.table import Table

    from cfmcp import console

    version = f" (version {result.version_id})" if result.version_id else ""
    console.success(f"Deployed {result.worker}{version}")
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    if result.url:
        table.add_row("URL", result.url)
        table.add_row("MCP (streamable HTTP)", result.endpoints["mcp"])
        if "sse" in result.endpoints:
            table.add_row("MCP (HTTP+SSE)", result.endpoints["sse"])
        table.add_row("OAuth redirect URI", f"{result.redirect_uri}")
        table.add_row("", f"[dim]{_redirect_note(result)}[/dim]")
        table.add_row(
            "MCP Inspector",
            f"{result.to_json()['inspector']}  → connect to {result.endpoints['mcp']}",
        )
    for index, step in enumerate(result.next_steps()):
        table.add_row("Next" if index == 0 else "", step)
    console.err_console().print(
        Panel(table, title=f"cfmcp deploy · {result.worker}", title_align="left", expand=False)
    )


def _redirect_note(result) -> str:  # type: ignore[no-untyped-def]
    from cfmcp.oauth_client import recorded_client
    from cfmcp.project import find_project

    env_flag = f" --env {result.env}" if result.env else ""
    client = recorded_client(find_project(), result.env)
    if not client.get("id"):
        return (
            f"register it on your Cloudflare OAuth client (or: cfmcp oauth-client create{env_flag})"
        )
    if result.redirect_uri in client.get("redirect_uris", []):
        return f"registered on OAuth client {client['id']}"
    return f"not yet on OAuth client {client['id']}: cfmcp oauth-client sync{env_flag}"


@app.command(
    epilog="Example: [bold]cfmcp doctor[/bold]   or   [bold]cfmcp doctor --offline --json[/bold]",
    rich_help_panel="Connect and diagnose",
)
def doctor(
    env: str | None = ENV_OPTION,
    offline: bool = typer.Option(
        False, "--offline", help="Skip the checks that call Cloudflare (sign-in, secrets)."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Check the machine and the project, one line each with its fix.

    Python, Node, wrangler (and whether it runs on this Node), sign-in, KV id, secrets on
    Cloudflare, .dev.vars (mode, git-ignored), the dev port. Exit 1 when a check fails;
    warnings don't.
    """
    from cfmcp import console
    from cfmcp.doctor import run_doctor

    with console.spinner("Checking…"):
        report = run_doctor(env=env, offline=offline)
    if as_json:
        console.print_json(report.to_json())
    else:
        from rich.markup import escape

        marks = {
            "pass": "[green]✓[/green]",
            "warn": "[yellow]![/yellow]",
            "fail": "[red]✗[/red]",
            "skip": "[dim]-[/dim]",
        }
        for check in report.checks:
            line = f"{marks[check.status]} {escape(check.name)}: {escape(check.message)}"
            if check.fix and check.status != "pass":
                line += f"\n    [bold]fix:[/bold] {escape(check.fix)}"
            console.err_console().print(line, soft_wrap=True)
    if not report.ok:
        raise typer.Exit(1)


# --- client-config ------------------------------------------------------------------------


@app.command(
    "client-config",
    epilog="Example: [bold]cfmcp client-config claude[/bold]   or   "
    "[bold]cfmcp client-config vscode --url https://my-mcp.me.workers.dev --dry-run[/bold]",
    rich_help_panel="Connect and diagnose",
)
def client_config(
    client: str = typer.Argument(
        ...,
        metavar="CLIENT",
        help="claude (Claude Desktop), claude-code, cursor, vscode or windsurf.",
        show_default=False,
    ),
    url: str | None = typer.Option(
        None,
        "--url",
        metavar="URL",
        help="The server's URL (a trailing /mcp or /sse is fine). "
        "Default: the URL `cfmcp deploy` recorded.",
    ),
    local: bool = typer.Option(False, "--local", help="Use the dev server, http://localhost:8788."),
    name: str | None = typer.Option(
        None, "--name", "-n", help="Server name in the client. Default: the Worker name."
    ),
    scope: str | None = typer.Option(
        None,
        "--scope",
        metavar="user|project",
        help="Which config file: your own or the project's (cursor, vscode). "
        "Default: project for vscode and claude-code, user for the others.",
        show_default=False,
    ),
    bridge: bool = typer.Option(
        False,
        "--bridge",
        help="Connect through the mcp-remote stdio bridge (npx) instead of the client's own "
        "remote support.",
    ),
    print_entry: bool = typer.Option(
        False, "--print", help="Print the entry as JSON and change nothing."
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Show the change as a diff; write nothing."
    ),
    force: bool = typer.Option(
        False,
        "--force",
        help="Replace an entry of the same name without asking; create a missing client folder.",
    ),
    config_path: Path | None = typer.Option(
        None, "--config-path", metavar="PATH", help="Edit this file instead of the usual one."
    ),
    env: str | None = typer.Option(
        None,
        "--env",
        "-e",
        metavar="ENV",
        help="The environment whose deployed URL and Worker name to use.",
        show_default="production",
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Add the server to an AI client: Claude Desktop, Claude Code, Cursor, VS Code, Windsurf.

    Safe on a config you care about:
    • everything else in the file is kept, comments too (VS Code);
    • the file is backed up first, then replaced in one step;
    • running the command again changes nothing;
    • an entry of the same name with other settings is replaced only with --force or a yes.
    """
    from cfmcp import clients, console
    from cfmcp.errors import UsageError

    if print_entry and dry_run:
        raise UsageError("--print and --dry-run cannot be used together.")
    request = clients.Request(client, url, local, name, scope, bridge, config_path, env)
    target = clients.resolve_target(request)
    if print_entry:
        snippet = target.snippet
        if as_json:
            console.print_json(clients.result_json(target, "printed", entry=snippet))
        else:
            console.print_json(snippet)
        return

    plan = clients.plan(target, force=force)
    if dry_run:
        if as_json:
            console.print_json(clients.result_json(target, "dry-run", diff=plan.diff()))
        else:
            clients.show_dry_run(plan)
        return

    interactive = not as_json and clients.stdin_is_interactive()
    confirm = (
        (lambda question: typer.confirm(question, default=False, err=True)) if interactive else None
    )
    clients.check_replacement(plan, force=force, confirm=confirm, show=not as_json)
    result = clients.apply(plan)
    if as_json:
        console.print_json(
            clients.result_json(
                target, result.action, backup=result.backup, moved_from_sse=plan.upgrade
            )
        )
    else:
        clients.print_report(plan, result)


def _folder_has_files(folder: Path) -> bool:
    return folder.is_dir() and any(folder.iterdir())


def _next_steps_panel(root: Path, *, installed: bool) -> None:
    from rich.panel import Panel
    from rich.table import Table

    from cfmcp.console import err_console

    table = Table.grid(padding=(0, 2))
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")
    relative = os.path.relpath(root)
    if relative != ".":
        table.add_row(f"cd {relative}", "")
    if not installed:
        table.add_row("npm ci", "install the Worker's packages")
    table.add_row("cfmcp dev", "run locally on http://localhost:8788 with a local sign-in")
    table.add_row("cfmcp check --headless", "sign in and call a tool, as an MCP client would")
    table.add_row("cfmcp up", "live on Cloudflare: KV, OAuth client, secrets, deploy")
    table.add_row("  or step by step:", "cfmcp kv create, cfmcp secrets set, cfmcp deploy")
    table.add_row("cfmcp client-config claude", "connect Claude Desktop (or cursor, vscode, …)")
    table.add_row("src/tools.ts", "where your tools go (add and whoami are examples)")
    err_console().print(Panel(table, title="Next steps", title_align="left", expand=False))


# --- oauth-client and up --------------------------------------------------------------------

oauth_app = typer.Typer(
    cls=CfmcpGroup,
    help="The Cloudflare OAuth client your Worker signs users in with.\n\n"
    "Managed through Cloudflare's API: needs CLOUDFLARE_API_TOKEN with the OAuth Client Write "
    "permission.",
    epilog="Example: [bold]cfmcp oauth-client create[/bold]   or   "
    "[bold]cfmcp oauth-client create --dev[/bold]",
    no_args_is_help=True,
    rich_markup_mode="rich",
)
app.add_typer(oauth_app, name="oauth-client", rich_help_panel="Ship")

DEV_CLIENT_OPTION = typer.Option(
    False,
    "--dev",
    help="The development client (redirect URI http://localhost:8788/callback) for "
    "`cfmcp dev --upstream cloudflare`; its values go to .dev.vars.",
)


def _interactive(*flags: bool) -> bool:
    return sys.stdin.isatty() and not any(flags)


def _choose_account(accounts: list[tuple[str, str]]) -> str:
    from cfmcp import console

    console.info("Your token can see several accounts:")
    for number, (account_id, name) in enumerate(accounts, 1):
        console.info(f"  {number}. {name}  ({account_id})")
    choice = typer.prompt("Account number", type=typer.IntRange(1, len(accounts)), err=True)
    return accounts[choice - 1][0]


def _oauth_api():  # type: ignore[no-untyped-def]
    from cfmcp.cloudflare_api import CloudflareAPI

    return CloudflareAPI.from_env()


@oauth_app.command(
    "create",
    epilog="Example: [bold]cfmcp oauth-client create[/bold]   or   "
    "[bold]cfmcp oauth-client create --dev[/bold]  (for cfmcp dev --upstream cloudflare)",
)
def oauth_client_create(
    env: str | None = ENV_OPTION,
    dev: bool = DEV_CLIENT_OPTION,
    scopes: list[str] | None = typer.Option(
        None,
        "--scopes",
        metavar="SCOPE",
        help="Extra scopes beyond user-details.read and "
        "account.read (repeat, or space-separated), e.g. workers-scripts.read.",
    ),
    name: str | None = typer.Option(
        None, "--name", "-n", help="Client name. Default: the Worker's."
    ),
    put_secrets: bool = typer.Option(
        True,
        "--secrets/--no-secrets",
        help="Also put the id and secret on the Worker (.dev.vars with --dev).",
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Create the Cloudflare OAuth client for this Worker (or reuse the recorded one).

    A confidential client (authorization code + refresh) with the redirect URI
    <worker URL>/callback. The id and secret go to the OS keyring and the Worker's secrets; the
    secret is never shown.
    """
    from cfmcp import console, oauth_client
    from cfmcp.project import find_project

    project = find_project()
    with _oauth_api() as api:
        result = oauth_client.create(
            project, api, env=env, dev=dev, scopes=scopes, name=name, put_secrets=put_secrets,
            choose=_choose_account if _interactive(as_json) else None, progress=_progress,
        )  # fmt: skip
    if as_json:
        console.print_json(result.to_json())
        return
    for note in result.notes:
        console.warn(note)
    verb = {"reused": "Reusing", "created": "Created", "recreated": "Created"}[result.action]
    console.success(f"{verb} OAuth client {result.name} ({result.client_id})")
    console.info(f"  redirect URI: {', '.join(result.redirect_uris)}")
    console.info(f"  scopes: {' '.join(result.scopes)}")
    if result.secrets_target:
        console.success(
            f"Put CLOUDFLARE_CLIENT_ID and CLOUDFLARE_CLIENT_SECRET on {result.secrets_target}"
        )
    if result.keyring != "ok":
        console.warn(f"Not saved to the keyring: {result.keyring}")
    if dev:
        console.info("Next: cfmcp dev --upstream cloudflare")
    elif result.action != "reused":
        console.info("Next: cfmcp deploy (or cfmcp up)")


@oauth_app.command("sync", epilog="Example: [bold]cfmcp oauth-client sync --env staging[/bold]")
def oauth_client_sync(
    env: str | None = ENV_OPTION, dev: bool = DEV_CLIENT_OPTION, as_json: bool = JSON_OPTION
) -> None:
    """Point the client's redirect URI at the Worker's current URL.

    After a rename, a custom domain or a new env: a PATCH of only that field, only when it
    differs.
    """
    from cfmcp import console, oauth_client
    from cfmcp.project import find_project

    with _oauth_api() as api:
        result = oauth_client.sync(find_project(), api, env=env, dev=dev)
    if as_json:
        console.print_json(result.to_json())
    elif result.changed:
        console.success(
            f"Redirect URI of {result.client_id} is now {', '.join(result.redirect_uris)}"
        )
    else:
        console.success(f"Redirect URI already {', '.join(result.redirect_uris)}; nothing to do")


@oauth_app.command(
    "rotate",
    epilog="Example: [bold]cfmcp oauth-client rotate[/bold]   then, later,   "
    "[bold]cfmcp oauth-client rotate --retire-old[/bold]",
)
def oauth_client_rotate(
    env: str | None = ENV_OPTION,
    dev: bool = DEV_CLIENT_OPTION,
    retire_old: bool = typer.Option(
        False, "--retire-old", help="Delete the old secret of an earlier rotation."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Rotate the client secret without downtime.

    Cloudflare issues a second secret, cfmcp puts it on the Worker and checks that it works;
    both secrets work until you retire the old one with --retire-old.
    """
    from cfmcp import console, oauth_client
    from cfmcp.project import find_project

    with _oauth_api() as api:
        result = oauth_client.rotate(
            find_project(), api, env=env, dev=dev, retire_old=retire_old, progress=_progress
        )
    if as_json:
        console.print_json(result.to_json())
        return
    if result.action == "retired":
        console.success(f"Retired the old secret of {result.client_id}; only the new one works now")
        return
    console.success(f"New secret for {result.client_id} put on {result.secrets_target}")
    for check in result.verified:
        console.success(f"Verified: {check}")
    console.info(
        "The old secret still works. Retire it when you are sure: "
        "cfmcp oauth-client rotate --retire-old"
    )


@oauth_app.command("show", epilog="Example: [bold]cfmcp oauth-client show --json[/bold]")
def oauth_client_show(
    env: str | None = ENV_OPTION, dev: bool = DEV_CLIENT_OPTION, as_json: bool = JSON_OPTION
) -> None:
    """What cfmcp recorded about the client, and what Cloudflare has (never the secret)."""
    import os as _os

    from cfmcp import console, oauth_client
    from cfmcp.project import find_project

    project = find_project()
    if _os.environ.get("CLOUDFLARE_API_TOKEN"):
        with _oauth_api() as api:
            data = oauth_client.show(project, api, env=env, dev=dev)
    else:
        data = oauth_client.show(project, None, env=env, dev=dev)
    if as_json:
        console.print_json(data)
        return
    record = data["recorded"]
    if not record:
        console.info(
            f"No OAuth client recorded for {data['env']}. Create one: cfmcp oauth-client create"
            + (" --dev" if dev else "")
            + (f" --env {env}" if env else "")
        )
        return
    console.info(
        f"[bold]{record.get('name')}[/bold]  {record['id']}  (account {record['account_id']})"
    )
    console.info(f"  recorded redirect URIs: {', '.join(record.get('redirect_uris', []))}")
    if "cloudflare" not in data:
        console.warn("Set CLOUDFLARE_API_TOKEN to compare with what Cloudflare has.")
    elif data["cloudflare"] is None:
        console.warn("Cloudflare no longer has this client.")
    else:
        remote = data["cloudflare"]
        console.info(
            f"  on Cloudflare: redirect URIs {', '.join(remote.get('redirect_uris') or [])}"
        )
        console.info(f"  scopes: {' '.join(remote.get('scopes') or [])}")
        if remote.get("has_rotated_secret"):
            console.info("  a rotation is pending: cfmcp oauth-client rotate --retire-old")


@oauth_app.command("delete", epilog="Example: [bold]cfmcp oauth-client delete --yes[/bold]")
def oauth_client_delete(
    env: str | None = ENV_OPTION,
    dev: bool = DEV_CLIENT_OPTION,
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Delete the recorded OAuth client on Cloudflare and forget it here.

    Sign-in to the Worker stops working until a new client is created.
    """
    from cfmcp import console, oauth_client
    from cfmcp.errors import CfmcpError
    from cfmcp.project import find_project

    project = find_project()
    record = oauth_client.recorded_client(project, env, dev)
    if not yes:
        if not sys.stdin.isatty():
            raise CfmcpError(
                "Deleting the OAuth client needs a confirmation.",
                hint="Run it in a terminal, or pass --yes.",
            )
        what = f"{record.get('name')} ({record.get('id')})" if record else "the recorded client"
        if not typer.confirm(
            f"Delete OAuth client {what}? Sign-in stops working", default=False, err=True
        ):
            raise typer.Exit(1)
    with _oauth_api() as api:
        client_id = oauth_client.delete(project, api, env=env, dev=dev)
    if as_json:
        console.print_json({"deleted": client_id})
        return
    console.success(f"Deleted OAuth client {client_id}")
    console.info(
        "The Worker still has its old CLOUDFLARE_CLIENT_ID/SECRET; create a new client "
        "with `cfmcp oauth-client create` to sign in again."
    )


@app.command(
    epilog="Example: [bold]export CLOUDFLARE_API_TOKEN=…[/bold]   then   [bold]cfmcp up[/bold]",
    rich_help_panel="Ship",
)
def up(
    env: str | None = ENV_OPTION,
    yes: bool = typer.Option(False, "--yes", "-y", help="Ask nothing (also without a terminal)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Go live in one command: KV, OAuth client, secrets, deploy, redirect URI.

    From a generated project to a live, signed-in server: packages, KV namespace, OAuth client,
    secrets (cookie key generated), deploy, redirect URI. Each step is skipped when it is done,
    so re-running changes nothing but the deploy. Needs CLOUDFLARE_API_TOKEN.
    """
    from cfmcp import console
    from cfmcp import up as up_module
    from cfmcp.project import find_project

    def report(step) -> None:  # type: ignore[no-untyped-def]
        if not as_json:
            mark = "[green]✓[/green]" if step.status == "done" else "[dim]·[/dim]"
            state = "" if step.status == "done" else " [dim](already done)[/dim]"
            console.err_console().print(
                f"{mark} {step.name:<14}{state} {step.detail}", soft_wrap=True
            )

    result = up_module.up(
        find_project(), env=env,
        choose_account=_choose_account if _interactive(yes, as_json) else None,
        progress=_progress, report=report,
        notify=(lambda message: None) if as_json else console.warn,
    )  # fmt: skip
    if as_json:
        console.print_json(result.to_json())
        return
    if result.url:
        env_flag = f" --env {env}" if env else ""
        console.success(f"Live at {result.url}")
        console.info(f"  MCP (streamable HTTP)  {result.endpoints['mcp']}")
        if "sse" in result.endpoints:
            console.info(f"  MCP (HTTP+SSE)         {result.endpoints['sse']}")
        console.info(f"Next: cfmcp check{env_flag}   (signs in through your browser)")
        console.info(f"      cfmcp client-config claude{env_flag}")


# --- dev and check ------------------------------------------------------------------------


@app.command(
    epilog="Example: [bold]cfmcp dev[/bold]   then, in another terminal,   "
    "[bold]cfmcp check --headless[/bold]",
    rich_help_panel="Develop",
)
def dev(
    port: int = typer.Option(8788, "--port", "-p", help="Port for the Worker."),
    upstream: str = typer.Option(
        "local",
        "--upstream",
        metavar="local|cloudflare",
        help="Who signs users in: a local stand-in (no account needed) or real Cloudflare "
        "with your dev OAuth client.",
    ),
    user: str = typer.Option(
        "dev@localhost",
        "--user",
        metavar="EMAIL",
        help="Who the local sign-in page offers to sign in as (any address can be typed there).",
    ),
    token_ttl: int = typer.Option(
        3600, "--token-ttl", hidden=True, help="Lifetime of local upstream tokens (seconds)."
    ),
) -> None:
    """Run the server locally with a local Cloudflare sign-in: no account needed.

    The Worker runs on http://localhost:8788 under the project's wrangler, beside a local
    stand-in for Cloudflare's sign-in, so the whole OAuth flow works on your laptop. Ctrl-C stops
    everything.
    """
    from cfmcp.dev.command import run_dev

    run_dev(port=port, upstream=upstream, user=user, token_ttl=token_ttl)


@app.command(
    epilog="Examples: [bold]cfmcp check --headless[/bold]  (against cfmcp dev)   "
    "[bold]cfmcp check https://my-mcp.example.workers.dev[/bold]   "
    "[bold]cfmcp check --headless --era modern[/bold]   "
    "[bold]cfmcp check --tool whoami --json[/bold]",
    rich_help_panel="Develop",
)
def check(
    url: str | None = typer.Argument(
        None,
        metavar="URL",
        help="Server URL (origin, /mcp or /sse). Default: the running cfmcp dev, else the "
        "deployed URL.",
    ),
    headless: bool = typer.Option(
        False,
        "--headless",
        help="Approve and sign in without a browser (loopback servers only, e.g. cfmcp dev).",
    ),
    tool: str = typer.Option("add", "--tool", help="Tool to call."),
    args: str | None = typer.Option(
        None, "--args", metavar="JSON", help='Tool arguments. Default for add: {"a":23,"b":19}.'
    ),
    expect: str | None = typer.Option(
        None, "--expect", help="Text the tool must return (default for add 23+19: 42)."
    ),
    transport: str = typer.Option(
        "both",
        "--transport",
        metavar="mcp|sse|both",
        help="Which endpoints to try: /mcp, /sse (HTTP+SSE where the server has it, else the "
        "alias of /mcp) or both.",
    ),
    era: str = typer.Option(
        "both",
        "--era",
        metavar="modern|legacy|both",
        help="Protocol era: 2026-07-28 (server/discover, no session), 2025 (initialize) or both.",
    ),
    env: str | None = typer.Option(None, "--env", "-e", help="Environment of the deployed URL."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Prove it works: sign in as a real MCP client and call a tool.

    Discovery, dynamic registration, PKCE authorization and token, then, for each endpoint and
    protocol era, server/discover or initialize, tools/list and a tool call, each step timed.
    Exit 0 only if all pass.
    """
    from cfmcp.check import check_command

    code = check_command(
        url=url,
        headless=headless,
        tool=tool,
        args=args,
        expect=expect,
        transport=transport,
        era=era,
        env=env,
        as_json=as_json,
    )
    raise typer.Exit(code)


def main() -> None:
    from cfmcp import console

    try:
        app()
    except KeyboardInterrupt:
        console.err_console().print("interrupted")
        sys.exit(130)
    except Exception as exc:  # a bug: one clear line, the traceback on request
        if os.environ.get("CFMCP_DEBUG"):
            raise
        console.show_error(
            CfmcpError(
                f"internal error: {type(exc).__name__}: {exc}",
                hint="Run again with CFMCP_DEBUG=1 for the traceback, and please report it.",
            )
        )
        sys.exit(1)
