"""`cfmcp kv create`."""

from __future__ import annotations

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

kv_app = typer.Typer(
    cls=CfmcpGroup,
    help="The OAUTH_KV namespace that holds OAuth clients, grants and tokens.",
    epilog="Example: [bold]cfmcp kv create[/bold]",
    no_args_is_help=True,
    rich_markup_mode="rich",
)
app.add_typer(kv_app, name="kv", rich_help_panel="Ship")


@kv_app.command(
    "create",
    epilog="Example: [bold]cfmcp kv create[/bold]   or   "
    "[bold]cfmcp kv create --env staging[/bold]",
)
def kv_create(
    env: str | None = ENV_OPTION,
    create_env: bool = CREATE_ENV_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Create the OAUTH_KV namespace and write its id into wrangler.toml.

    Safe to re-run: nothing happens when wrangler.toml has a real id, and a namespace with the
    expected title (<worker>-OAUTH_KV) is reused rather than created again.
    """
    from cfmcp import console, kv
    from cfmcp.project import find_project

    project = find_project()
    env = use_env(project, env, create=create_env, ask=can_ask(as_json))
    result = kv.ensure_kv(project, env, progress=spinner)
    if as_json:
        console.print_result(result.to_json())
        return
    if result.action == kv.CONFIGURED:
        console.success(f"OAUTH_KV already has a namespace id: {result.namespace_id}")
        return
    verb = "Created" if result.action == kv.CREATED else "Found existing"
    console.success(f"{verb} KV namespace {result.title} ({result.namespace_id})")
    console.success(f"Wrote its id into {result.wrangler_toml}")
    if result.copied:
        console.info(
            f"  also copied {', '.join(result.copied)} into [env.{env}] "
            "(wrangler does not inherit them)"
        )
