"""`cfmcp secrets set` and `cfmcp secrets list`."""

from __future__ import annotations

from pathlib import Path

import typer

from cfmcp.cli.app import (
    CREATE_ENV_OPTION,
    ENV_OPTION,
    JSON_OPTION,
    CfmcpGroup,
    app,
    can_ask,
    spinner,
    use_env,
)

secrets_app = typer.Typer(
    cls=CfmcpGroup,
    help="The Worker's secrets: Cloudflare OAuth client id and secret, cookie key.",
    epilog="Example: [bold]cfmcp secrets set[/bold]   then   [bold]cfmcp secrets list[/bold]",
    no_args_is_help=True,
    rich_markup_mode="rich",
)
app.add_typer(secrets_app, name="secrets", rich_help_panel="Ship")


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
    force: bool = typer.Option(
        False, "--force", help="With no NAME: replace the secrets already set, too."
    ),
    create_env: bool = CREATE_ENV_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Put the Worker's secrets on Cloudflare (or into .dev.vars with --local).

    With no NAME, only the required secrets not set yet (all of them with --force); a NAME is
    always set. Each value comes from the first of: standard input (one NAME, piped), an
    environment variable of the same name, the OS keyring (saved by an earlier run), the OAuth
    client id in cfmcp.json, a hidden prompt. A missing COOKIE_ENCRYPTION_KEY is generated.
    Values are never printed.
    """
    from cfmcp import console
    from cfmcp import secrets as secrets_module
    from cfmcp.project import find_project

    project = find_project()
    project.load_wrangler()  # a malformed wrangler.toml: stop before asking for anything
    env = use_env(project, env, create=create_env, ask=can_ask(as_json))
    if not local:
        from cfmcp.wrangler import wrangler_binary

        wrangler_binary(project)
    result = secrets_module.set_secrets(
        project, list(names or []), env=env, local=local, save=save, force=force, progress=spinner
    )
    if as_json:
        console.print_result(result.to_json())
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
    from cfmcp.providers import provider_of

    if not result.values and not names and provider_of(project).public:
        console.info(
            "Nothing to set: this server has no sign-in, so it needs no secrets. Name your "
            "tools' own to set them, e.g. `cfmcp secrets set WEATHER_API_KEY`."
        )
        return
    if result.gitignore_added:
        console.info("Added the file to .gitignore.")
    if result.kept:
        console.info(
            f"Kept {', '.join(result.kept)}: already set in {result.target} "
            "(name one, or pass --force, to replace it)."
        )
    if not local:
        env_flag = f" --env {env}" if env else ""
        console.info(f"Next: cfmcp deploy{env_flag}")
        return
    provider = provider_of(project)
    if any(value.name in provider.client_secrets for value in result.values):
        from cfmcp.dev.supervisor import DEFAULT_PORT

        console.info(
            f"Your development OAuth client must allow the redirect URI "
            f"http://localhost:{DEFAULT_PORT}/callback; then: cfmcp dev --upstream real"
        )


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

    project = find_project()
    env = use_env(project, env)
    with console.spinner("Listing the Worker's secrets…"):
        listing = secrets_module.list_secrets(project, env)
    if as_json:
        console.print_result(listing.to_json())
        return
    from rich.table import Table

    table = Table(title=f"Secrets of Worker {listing.worker}", title_justify="left")
    table.add_column("Name")
    table.add_column("Cloudflare")
    table.add_column(Path(listing.dev_vars).name)
    for status in listing.secrets:
        label = console.escape(status.name) + ("" if status.required else " [dim](extra)[/dim]")
        table.add_row(label, _mark(status.cloudflare), _mark(status.local))
    console.err_console().print(table)
    env_flag = f" --env {env}" if env else ""
    if listing.worker_exists is False:
        console.info(f"Worker {listing.worker} is not on Cloudflare yet.")
    if listing.missing:
        console.warn(
            f"Missing on Cloudflare: {', '.join(listing.missing)}. Run cfmcp secrets set{env_flag}."
        )


def _mark(value: bool | None) -> str:
    return {True: "[green]set[/green]", False: "[red]missing[/red]", None: "-"}[value]
