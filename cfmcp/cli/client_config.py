"""`cfmcp client-config`."""

from __future__ import annotations

from pathlib import Path

import typer

from cfmcp.cli.app import (
    JSON_OPTION,
    app,
)


def _complete_client(incomplete: str) -> list[str]:
    from cfmcp.clients import CLIENTS, WEB_CLIENTS

    return [name for name in sorted({*CLIENTS, *WEB_CLIENTS}) if name.startswith(incomplete)]


def _complete_scope(incomplete: str) -> list[str]:
    return [scope for scope in ("user", "project") if scope.startswith(incomplete)]


@app.command(
    "client-config",
    epilog="Example: [bold]cfmcp client-config claude[/bold]   or   "
    "[bold]cfmcp client-config vscode --url https://my-mcp.me.workers.dev --dry-run[/bold]",
    rich_help_panel="Connect and diagnose",
)
def client_config(
    client: str | None = typer.Argument(
        None,
        metavar="CLIENT",
        help="claude (Claude Desktop), claude-code, cursor, vscode, windsurf, codex, gemini, "
        "opencode, goose, copilot (GitHub Copilot CLI), qwen (Qwen Code), zed, kiro, amp, "
        "cline, kilo (Kilo Code), droid (Factory Droid), warp, roo (Roo Code), continue or "
        "visualstudio; "
        "claude-ai or chatgpt (web clients: the URL and the steps); lmstudio (--link).",
        show_default=False,
        autocompletion=_complete_client,
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
        autocompletion=_complete_scope,
        help="Which config file: your own or the project's (cursor, vscode, codex, gemini, "
        "opencode, qwen, zed, kiro, amp, kilo, droid, continue). Default: project for vscode, "
        "claude-code and roo, user for the others.",
        show_default=False,
    ),
    bridge: bool = typer.Option(
        False,
        "--bridge",
        help="Connect through the mcp-remote stdio bridge (npx) instead of the client's own "
        "remote support.",
    ),
    print_entry: bool = typer.Option(
        False, "--print", help="Print the entry (as it would stand in the file) and change nothing."
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
    list_clients: bool = typer.Option(
        False,
        "--list",
        help="List every client: installed or not, its config files, and its entries for this "
        "project's server (deployed and local). Changes nothing.",
    ),
    all_clients: bool = typer.Option(
        False,
        "--all",
        help="Every client that looks installed here gets the entry (each in its usual file); "
        "one row per client says what happened. Nothing is created for the others.",
    ),
    link: bool = typer.Option(
        False,
        "--link",
        help="Print the client's one-click install link for this server (cursor, vscode: also "
        "Insiders, goose, lmstudio, visualstudio) instead of writing its file.",
    ),
    links: bool = typer.Option(
        False,
        "--links",
        help="Print every client's install link as Markdown buttons, for a README.",
    ),
    open_settings: bool = typer.Option(
        False,
        "--open",
        help="With --link: open the link (the client asks before it adds anything). "
        "claude-ai, chatgpt: open the client's connector settings in your browser.",
    ),
    reset_auth: bool = typer.Option(
        False,
        "--reset-auth",
        help="Remove the sign-in mcp-remote keeps for this server (~/.mcp-auth), when a client "
        "asks to sign in again and again; say how other clients clear theirs.",
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Add the server to an AI client: Claude Desktop, Claude Code, Cursor, VS Code, Windsurf,
    Codex, Gemini CLI, OpenCode, Goose, GitHub Copilot CLI, Qwen Code, Zed, Kiro, Amp, Cline,
    Kilo Code, Factory Droid, Warp, Roo Code or Visual Studio; for claude.ai and ChatGPT, which
    have no config file, print the URL and the steps.

    Safe on a config you care about:
    • everything else in the file is kept, comments too (JSONC, TOML, YAML);
    • the file is backed up first, then replaced in one step;
    • running the command again changes nothing;
    • an entry of the same name with other settings is replaced only with --force or a yes.

    --list shows each client's entries; --reset-auth clears mcp-remote's sign-in for this server;
    --link (cursor, vscode, goose, lmstudio, visualstudio) and --links print one-click install
    links instead; --all adds the server to every client installed here.
    """
    from cfmcp import clients, console
    from cfmcp.errors import UsageError

    if print_entry and dry_run:
        raise UsageError("--print and --dry-run cannot be used together.")
    if all_clients:
        given = {
            "CLIENT": client is not None,
            "--print": print_entry,
            "--scope": scope is not None,
            "--config-path": config_path is not None,
            "--list": list_clients,
            "--reset-auth": reset_auth,
            "--link": link,
            "--links": links,
            "--open": open_settings,
        }
        _refuse_flags(
            given, "--all", "cfmcp client-config CLIENT for one client, with its own options."
        )
        request = clients.Request(None, url, local, name, None, bridge, None, env)
        _show_all(clients.configure_all(request, dry_run=dry_run, force=force), as_json)
        return
    if link or links:
        given = {
            "--print": print_entry,
            "--dry-run": dry_run,
            "--scope": scope is not None,
            "--bridge": bridge,
            "--force": force,
            "--config-path": config_path is not None,
            "--list": list_clients,
            "--reset-auth": reset_auth,
            "--links": link and links,
            "--open": links and open_settings,
        }
        _refuse_flags(given, "--link" if link else "--links")
        if link and client is None:
            raise UsageError(
                "--link needs a client: cursor, vscode, goose, lmstudio or visualstudio.",
                hint="cfmcp client-config cursor --link (or --links for all of them)",
            )
        if links and client is not None:
            raise UsageError(
                "--links prints every client's link; it takes no CLIENT.",
                hint=f"cfmcp client-config {client} --link",
            )
        request = clients.Request(client, url, local, name, None, False, None, env)
        _show_links(request, open_link=open_settings, markdown=links, as_json=as_json)
        return
    if list_clients and reset_auth:
        raise UsageError("--list and --reset-auth cannot be used together.")
    if list_clients or reset_auth:
        mode = "--list" if list_clients else "--reset-auth"
        given = {
            "--print": print_entry,
            "--dry-run": dry_run and list_clients,  # --list only reads anyway
            "--name": name is not None,
            "--scope": scope is not None,
            "--bridge": bridge,
            "--force": force,
            "--config-path": config_path is not None,
        }
        _refuse_flags(
            given,
            mode,
            "--reset-auth --dry-run lists what it would remove; --list changes nothing.",
        )
    request = clients.Request(client, url, local, name, scope, bridge, config_path, env)
    if clients.is_web_client(client) and not (list_clients or reset_auth):
        _web_client(request, print_entry, dry_run, force, open_settings, as_json)
        return
    if open_settings:
        raise UsageError(
            "--open is for the web clients (claude-ai, chatgpt), which you add in a browser.",
            hint="cfmcp client-config claude-ai --open",
        )
    if list_clients:
        _show_list(clients.list_clients(request), as_json)
        return
    if reset_auth:
        _show_reset(clients.reset_auth(request, dry_run=dry_run), as_json)
        return
    target = clients.resolve_target(request)
    if target.warning and not as_json:
        console.warn(target.warning)
    if print_entry:
        snippet = target.snippet
        if as_json:
            console.print_result(clients.result_json(target, "printed", entry=snippet))
        elif target.spec.format.name in ("TOML", "YAML"):  # as it would stand in the file
            import sys

            spec = target.spec
            sys.stdout.write(spec.format.show(spec.servers_key, target.name, target.entry))
        else:
            console.print_json(snippet)  # the entry itself, as it stands in the file
        return

    plan = clients.plan(target, force=force)
    if dry_run:
        if as_json:
            console.print_result(clients.result_json(target, "dry-run", diff=plan.diff()))
        else:
            _show_dry_run(plan)
        return

    interactive = not as_json and clients.stdin_is_interactive()
    from cfmcp import prompts

    confirm = prompts.confirm if interactive else None
    clients.check_replacement(plan, force=force, confirm=confirm, show=not as_json)
    result = clients.apply(plan)
    if as_json:
        console.print_result(
            clients.result_json(
                target, result.action, backup=result.backup, moved_from_sse=plan.upgrade
            )
        )
    else:
        _print_report(plan, result)


def _refuse_flags(given: dict[str, bool], mode: str, hint: str | None = None) -> None:
    """A usage error naming the flags given that do not apply to `mode`, if any."""
    from cfmcp.errors import UsageError

    unused = [flag for flag, on in given.items() if on]
    if unused:
        raise UsageError(f"{', '.join(unused)} does not apply to {mode}.", hint=hint)


def _show_all(rows, as_json: bool) -> None:  # type: ignore[no-untyped-def]
    from rich.markup import escape
    from rich.table import Table

    from cfmcp import console
    from cfmcp.errors import CfmcpError

    failed = [row.client for row in rows if row.status == "failed"]
    problem = None
    if failed:
        problem = CfmcpError(
            f"Could not add the server to {', '.join(failed)}; the other clients are done.",
            hint="Each failed row says why; cfmcp client-config CLIENT retries one.",
        )
    if as_json:
        console.print_result({"clients": [row.to_json() for row in rows]}, error=problem)
        if problem:
            raise typer.Exit(problem.exit_code)
        return
    table = Table(box=None, pad_edge=False)
    for column in ("Client", "Result", "File"):
        table.add_column(column)
    colours = {"failed": "red", "skipped": "dim", "unchanged": "dim"}
    for row in rows:
        colour = colours.get(row.status, "green")
        where = str(row.path) if row.path else ""
        if row.detail:
            where = f"{where} ({row.detail})" if where else row.detail
        table.add_row(row.title, f"[{colour}]{escape(row.status)}[/{colour}]", escape(where))
    console.err_console().print(table, soft_wrap=True)
    if problem:
        raise problem


def _show_links(request, *, open_link: bool, markdown: bool, as_json: bool) -> None:  # type: ignore[no-untyped-def]
    """The links on stdout (one per line, or Markdown buttons); what they add on stderr."""
    import sys

    from cfmcp import clients, console

    name, url, found = clients.resolve_links(request)
    opened = []
    if open_link:
        import webbrowser

        opened = [item.client for item in found if webbrowser.open(item.link)]
    if as_json:
        data = {"name": name, "url": url, "links": [item.to_json() for item in found]}
        console.print_result({**data, "opened": opened} if open_link else data)
        return
    for item in found:
        if markdown:
            sys.stdout.write(item.markdown() + "\n")
            continue
        console.info(f"{item.title}: adds {name} ({url}), after asking")
        sys.stdout.write(item.link + "\n")
        if item.web:
            console.info(f"  the same through a web page (for a README): {item.web}")
    if open_link and len(opened) < len(found):
        console.warn("Could not open a link here: copy it into a browser on this computer.")


def _web_client(request, print_entry, dry_run, force, open_settings, as_json) -> None:  # type: ignore[no-untyped-def]
    """claude-ai and chatgpt: the public URL and the steps to add it; --open opens the page."""
    from cfmcp import clients, console

    given = {
        "--scope": request.scope is not None,
        "--bridge": request.bridge,
        "--config-path": request.config_path is not None,
        "--print": print_entry,
        "--dry-run": dry_run,
        "--force": force,
    }
    _refuse_flags(
        given,
        f"{request.client}: it has no config file; you add the server in its settings",
        f"cfmcp client-config {request.client} prints the URL and the steps.",
    )
    target = clients.resolve_web_target(request)
    opened = False
    if open_settings:
        import webbrowser

        opened = webbrowser.open(target.spec.settings_url)
    if as_json:
        console.print_result(target.to_json(opened=opened))
        return
    origin = {"deployed": "deployed", "tunnel": "cfmcp dev --tunnel", "given": "--url"}
    console.success(f"{target.spec.title}: add {target.url} ({origin[target.source]})")
    if target.note:
        console.warn(target.note)
    for number, step in enumerate(target.steps, start=1):
        console.info(f"  {number}. {step}")
    if open_settings and not opened:
        console.warn(f"Could not open a browser here; visit {target.spec.settings_url}")


def _show_list(statuses, as_json: bool) -> None:  # type: ignore[no-untyped-def]
    from rich.table import Table

    from cfmcp import console

    if as_json:
        console.print_result({"clients": [status.to_json() for status in statuses]})
        return
    table = Table(box=None, pad_edge=False)
    for column in ("Client", "Installed", "Config file", "This server"):
        table.add_column(column)
    for status in statuses:
        installed = {True: "yes", False: "no", None: "-"}[status.installed]
        for index, file in enumerate(status.files):
            if file.problem:
                entries = f"unreadable: {file.problem}"
            elif file.entries:
                entries = ", ".join(f"{name} ({label})" for name, label in file.entries.items())
            else:
                entries = "-" if file.exists else "(no file)"
            first = index == 0
            table.add_row(
                status.spec.name if first else "",
                installed if first else "",
                f"{file.path} ({file.scope})",
                entries,
            )
    console.err_console().print(table, soft_wrap=True)


def _show_reset(result, as_json: bool) -> None:  # type: ignore[no-untyped-def]
    from cfmcp import console
    from cfmcp.clients.mcp_remote import OTHER_CLIENTS

    if as_json:
        console.print_result(result.to_json())
        return
    verb = "Would remove" if result.dry_run else "Removed"
    if result.files:
        count = f"{len(result.files)} file{'s' if len(result.files) != 1 else ''}"
        console.success(f"{verb} mcp-remote's sign-in for this server ({count}):")
        for path in result.files:
            console.info(f"  {path}")
    else:
        console.info(f"mcp-remote keeps nothing for this server in {result.folder}.")
    console.info("  URLs matched: " + ", ".join(result.urls[:2]) + " (and with a trailing /)")
    console.info("Clients that sign in themselves keep their own state; to clear it:")
    for client, how in OTHER_CLIENTS:
        console.info(f"  {client}: {how}")


def _show_dry_run(plan) -> None:  # type: ignore[no-untyped-def]
    from rich.markup import escape

    from cfmcp import console
    from cfmcp.clients.edit import show_diff

    where = escape(str(plan.path))
    if plan.action == "unchanged":
        console.info(f"{plan.name} is already configured in {plan.path}; nothing would change.")
        return
    show_diff(plan.diff())
    name = f"[bold]{escape(plan.name)}[/bold]"
    would = {
        "created": f"create {where} with {name}",
        "added": f"add {name} to {where}",
        "updated": f"replace {name} in {where}",
    }[plan.action]
    console.info(f"Dry run: would {would}.", markup=True)
    if plan.make_dirs:
        console.info(f"  and create the folder {plan.write_path.parent}")
    if plan.conflict:
        console.info("  replacing an existing entry needs --force (or a yes at the prompt)")
    elif plan.upgrade:
        console.info("  (an entry cfmcp wrote earlier for this server: updated without --force)")
    console.info("Nothing was written.")


def _print_report(plan, result) -> None:  # type: ignore[no-untyped-def]
    from rich.markup import escape

    from cfmcp import console

    name, where, url = escape(plan.name), escape(str(plan.path)), escape(plan.url)
    messages = {
        "created": f"Created {where} with the server [bold]{name}[/bold] → {url}",
        "added": f"Added [bold]{name}[/bold] → {url} to {where}",
        "updated": f"Replaced [bold]{name}[/bold] in {where}; it now points at {url}",
        "unchanged": f"[bold]{name}[/bold] is already configured in {where}; nothing changed.",
    }
    console.success(messages[result.action], markup=True)
    if result.backup is not None:
        console.info(f"  backup of the previous file: {result.backup}")
    if result.action == "unchanged":
        return
    if plan.spec.name == "claude":  # Claude Desktop
        console.warn(
            "Restart Claude Desktop (quit it completely, then open it) to load the server."
        )
        console.warn(
            "If Claude Desktop was running, it may overwrite this file with its own copy: "
            "if the server is missing after the restart, run this command again."
        )
        command = str(plan.entry.get("command", ""))
        node_folder = str(plan.entry.get("env", {}).get("PATH", "")).split(":")[0]
        where = (
            f"npx at {command}, run by the node in {node_folder}"
            if Path(command).is_absolute() and node_folder
            else "npx on the PATH it sees"
        )
        console.info(
            f"  This entry needs Node.js ({where}). Or skip the file: in Claude Desktop, "
            f"Settings → Connectors → Add custom connector with {plan.url} needs no bridge."
        )
    public = _public_server()
    if Path(str(plan.entry.get("command", ""))).name in ("npx", "cmd"):
        sign_in = (
            "The server has no sign-in." if public
            else "The first connection opens a browser to sign in."
        )  # fmt: skip
        console.info(
            "  The client starts the server through `npx mcp-remote`: Node.js must be "
            f"installed. {sign_in}"
        )
    elif public:
        console.info(f"  {plan.spec.title} connects with no sign-in: the server has none.")
    elif plan.spec.next_hint is not None:
        console.info(f"  {plan.spec.next_hint(plan.project_scope, plan.name)}")
    else:
        console.info(f"  {plan.spec.title} signs in with a browser on the first connection.")


def _public_server() -> bool:
    """The project here signs nobody in (`cfmcp init --auth none`)."""
    from cfmcp.errors import CfmcpError
    from cfmcp.project import project_or_none
    from cfmcp.providers import provider_of

    project = project_or_none()
    try:
        return project is not None and provider_of(project).public
    except CfmcpError:
        return False
