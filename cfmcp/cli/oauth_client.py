"""`cfmcp oauth-client`."""

from __future__ import annotations

import sys

import typer

from cfmcp.cli.app import (
    CREATE_ENV_OPTION,
    ENV_OPTION,
    JSON_OPTION,
    CfmcpGroup,
    app,
    can_ask,
    choose_account,
    spinner,
    use_env,
)
from cfmcp.errors import CfmcpError

oauth_app = typer.Typer(
    cls=CfmcpGroup,
    help="The Cloudflare OAuth client your Worker signs users in with.\n\n"
    "Managed through Cloudflare's API: needs CLOUDFLARE_API_TOKEN with the OAuth Client Write "
    "permission. For Cloudflare sign-in only: GitHub has no such API (register a GitHub project's "
    "app by hand; `cfmcp up` says where).",
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
    "`cfmcp dev --upstream real`; its values go to .dev.vars.",
)


def _reveal(as_json: bool):  # type: ignore[no-untyped-def]
    """Where a new secret can be kept nowhere else: show it once on the terminal (stderr),
    never in --json output or a pipe, which may end up in a log."""
    if as_json or not sys.stderr.isatty():
        return None

    def reveal(name: str, value: str) -> None:
        from cfmcp import console

        console.warn(f"{name} could not be saved anywhere. It is shown this once; keep it now:")
        console.err_console().print(value, markup=False, highlight=False, soft_wrap=True)

    return reveal


def _cloudflare_project():  # type: ignore[no-untyped-def]
    """The project here, which must sign in with Cloudflare: these commands manage Cloudflare
    OAuth clients through Cloudflare's API."""
    from cfmcp.errors import UsageError
    from cfmcp.project import find_project
    from cfmcp.providers import provider_of

    project = find_project()
    provider = provider_of(project)
    if provider.public:
        raise UsageError(
            "This server has no sign-in (cfmcp init --auth none), so it has no OAuth client.",
            hint="Nothing to do: `cfmcp deploy` deploys it as it is.",
        )
    if provider.name != "cloudflare":
        raise UsageError(
            f"cfmcp oauth-client manages Cloudflare OAuth clients; this project signs in with "
            f"{provider.title}, which has no API for it.",
            hint=f"Register its app at {provider.register_url} (callback URL: your server's "
            "/callback), then `cfmcp secrets set`; or let `cfmcp up` say what to register.",
        )
    return project


def _oauth_api():  # type: ignore[no-untyped-def]
    from cfmcp.cloudflare_api import CloudflareAPI

    return CloudflareAPI.from_env()


@oauth_app.command(
    "create",
    epilog="Example: [bold]cfmcp oauth-client create[/bold]   or   "
    "[bold]cfmcp oauth-client create --dev[/bold]  (for cfmcp dev --upstream real)",
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
    create_env: bool = CREATE_ENV_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Create the Cloudflare OAuth client for this Worker (or reuse the recorded one).

    A confidential client (authorization code + refresh) with the redirect URI
    <worker URL>/callback. The id and secret go to the OS keyring and the Worker's secrets; the
    secret is never shown.
    """
    from cfmcp import console, oauth_client

    project = _cloudflare_project()
    env = use_env(project, env, create=create_env, ask=can_ask(as_json))
    with _oauth_api() as api:
        result = oauth_client.create(
            project, api, env=env, dev=dev, scopes=scopes, name=name, put_secrets=put_secrets,
            choose=choose_account if can_ask(as_json) else None, progress=spinner,
            reveal=_reveal(as_json),
        )  # fmt: skip
    if as_json:
        console.print_result(result.to_json())
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
        console.info("Next: cfmcp dev --upstream real")
    else:
        env_flag = f" --env {env}" if env else ""
        console.info(f"Next: cfmcp secrets set{env_flag}   (what the Worker still lacks)")
        console.info(f"      cfmcp deploy{env_flag}")


@oauth_app.command("sync", epilog="Example: [bold]cfmcp oauth-client sync --env staging[/bold]")
def oauth_client_sync(
    env: str | None = ENV_OPTION, dev: bool = DEV_CLIENT_OPTION, as_json: bool = JSON_OPTION
) -> None:
    """Point the client's redirect URI at the Worker's current URL.

    After a rename, a custom domain or a new env: a PATCH of only that field, only when it
    differs.
    """
    from cfmcp import console, oauth_client

    project = _cloudflare_project()
    env = use_env(project, env)
    with _oauth_api() as api:
        result = oauth_client.sync(project, api, env=env, dev=dev)
    if as_json:
        console.print_result(result.to_json())
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
        False, "--retire-old", help="Delete the old secret of an earlier, verified rotation."
    ),
    force: bool = typer.Option(
        False, "--force", help="With --retire-old: even when the new secret was not verified."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Rotate the client secret without downtime.

    Cloudflare issues a second secret, cfmcp puts it on the Worker and checks that it works;
    both secrets work until you retire the old one with --retire-old.
    """
    from cfmcp import console, oauth_client
    from cfmcp.errors import UsageError

    if force and not retire_old:
        raise UsageError("--force goes with --retire-old.")
    project = _cloudflare_project()
    env = use_env(project, env)
    with _oauth_api() as api:
        result = oauth_client.rotate(
            project, api, env=env, dev=dev, retire_old=retire_old, force=force,
            reveal=_reveal(as_json), progress=spinner,
        )  # fmt: skip
    if as_json:
        console.print_result(result.to_json())
        return
    if result.action == "retired":
        console.success(f"Retired the old secret of {result.client_id}; only the new one works now")
        return
    console.success(f"New secret for {result.client_id} put on {result.secrets_target}")
    if result.keyring != "ok":
        console.warn(f"Not saved to the keyring: {result.keyring}")
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

    project = _cloudflare_project()
    env = use_env(project, env)
    if _os.environ.get("CLOUDFLARE_API_TOKEN"):
        with _oauth_api() as api:
            data = oauth_client.show(project, api, env=env, dev=dev)
    else:
        data = oauth_client.show(project, None, env=env, dev=dev)
    if as_json:
        console.print_result(data)
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
        f"[bold]{console.escape(str(record.get('name')))}[/bold]  {record['id']}  "
        f"(account {record['account_id']})",
        markup=True,
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
    from cfmcp.oauth_record import recorded_client

    project = _cloudflare_project()
    env = use_env(project, env)
    record = recorded_client(project, env, dev)
    if not yes:
        if not sys.stdin.isatty():
            raise CfmcpError(
                "Deleting the OAuth client needs a confirmation.",
                hint="Run it in a terminal, or pass --yes.",
            )
        what = f"{record.get('name')} ({record.get('id')})" if record else "the recorded client"
        from cfmcp import prompts

        if not prompts.confirm(f"Delete OAuth client {what}? Sign-in stops working"):
            raise typer.Exit(1)
    with _oauth_api() as api:
        client_id = oauth_client.delete(project, api, env=env, dev=dev)
    if as_json:
        console.print_result({"deleted": client_id})
        return
    console.success(f"Deleted OAuth client {client_id}")
    console.info(
        "The Worker still has its old CLOUDFLARE_CLIENT_ID/SECRET; create a new client "
        "with `cfmcp oauth-client create` to sign in again."
    )
