"""`cfmcp dev`."""

from __future__ import annotations

import typer

from cfmcp.cli.app import (
    app,
)


@app.command(
    epilog="Example: [bold]cfmcp dev[/bold]   then, in another terminal,   "
    "[bold]cfmcp check --headless[/bold]   ·   for claude.ai or ChatGPT: "
    "[bold]cfmcp dev --tunnel[/bold]",
    rich_help_panel="Develop",
)
def dev(
    port: int = typer.Option(8788, "--port", "-p", help="Port for the Worker."),
    upstream: str = typer.Option(
        "local",
        "--upstream",
        metavar="local|real",
        help="Who signs users in: a local stand-in for the project's provider (no account "
        "needed), or the real provider with your development OAuth client (for Cloudflare "
        "projects, 'cloudflare' works too).",
    ),
    user: str = typer.Option(
        "dev@localhost",
        "--user",
        metavar="EMAIL",
        help="Who the local sign-in page offers to sign in as (any address can be typed there).",
    ),
    signin_port: int | None = typer.Option(
        None,
        "--signin-port",
        metavar="PORT",
        help="Port for the local sign-in (for firewalls and docs).",
        show_default="any free port",
    ),
    tunnel: bool = typer.Option(
        False,
        "--tunnel",
        help="Also serve it on a public https URL (a Cloudflare Quick Tunnel, no account "
        "needed), to try it in claude.ai or ChatGPT before you deploy.",
    ),
    tunnel_name: str | None = typer.Option(
        None,
        "--tunnel-name",
        metavar="NAME",
        help="Use your account's named tunnel instead (a stable hostname; needs "
        "CLOUDFLARE_API_TOKEN with Cloudflare Tunnel Read, and a public hostname routed to "
        "http://localhost:PORT).",
    ),
    tunnel_expires: str | None = typer.Option(
        None,
        "--tunnel-expires",
        metavar="DURATION",
        show_default="1h",
        help="Close the tunnel after this long (30m, 3h, never), as wrangler's do; the Worker "
        "keeps running locally.",
    ),
    tunnel_timeout: float = typer.Option(
        30.0, "--tunnel-timeout", hidden=True, help="Seconds to wait for the tunnel's URL."
    ),
    token_ttl: int = typer.Option(
        3600, "--token-ttl", hidden=True, help="Lifetime of local upstream tokens (seconds)."
    ),
) -> None:
    """Run the server locally with a local sign-in: no account needed.

    The Worker runs on http://localhost:8788 under the project's wrangler, beside a local
    stand-in for its sign-in provider, so the whole OAuth flow works on your laptop. With
    --tunnel it is also public on an https://…trycloudflare.com URL for hosted clients (the
    sign-in page stays on this computer). Ctrl-C stops everything.
    """
    from cfmcp.dev.command import run_dev

    code = run_dev(
        port=port,
        upstream=upstream,
        user=user,
        token_ttl=token_ttl,
        signin_port=signin_port,
        tunnel=tunnel,
        tunnel_name=tunnel_name,
        tunnel_expires=tunnel_expires,
        tunnel_timeout=tunnel_timeout,
    )
    raise typer.Exit(code)
