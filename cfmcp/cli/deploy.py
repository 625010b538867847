"""`cfmcp deploy`."""

from __future__ import annotations

import typer

from cfmcp.cli.app import (
    CREATE_ENV_OPTION,
    ENV_OPTION,
    JSON_OPTION,
    app,
    can_ask,
    spinner,
    use_env,
)


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
    create_env: bool = CREATE_ENV_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Deploy the Worker and print its MCP URL(s) and OAuth redirect URI.

    Checks first: wrangler installed, signed in, KV namespace (created if missing), required
    secrets set. The URL is recorded for `cfmcp client-config` and `cfmcp check`.
    """
    from cfmcp import console
    from cfmcp import deploy as deploy_module
    from cfmcp.project import find_project

    project = find_project()
    env = use_env(project, env, create=create_env, ask=can_ask(as_json))
    if dry_run:
        bundle = deploy_module.dry_run(project, env, progress=spinner)
        if as_json:
            console.print_result(bundle.to_json())
            return
        console.success(
            f"Bundled {bundle.worker}: {bundle.bundle_bytes / 1024:.1f} KiB "
            f"(gzip {bundle.gzip_bytes / 1024:.1f} KiB); nothing uploaded"
        )
        if bundle.kv_placeholder:
            console.info("The KV namespace id is still the placeholder: `cfmcp deploy` creates it.")
        return

    result = deploy_module.deploy(project, env, progress=spinner, notify=console.step)
    if as_json:
        console.print_result(result.to_json())
        return
    _deploy_panel(result)


def _deploy_panel(result) -> None:  # type: ignore[no-untyped-def]
    from cfmcp import console

    version = f" (version {result.version_id})" if result.version_id else ""
    console.success(f"Deployed {result.worker}{version}")
    rows = []
    if result.url:
        rows.append(("URL", result.url))
        rows.append(("MCP (streamable HTTP)", result.endpoints["mcp"]))
        if "sse" in result.endpoints:
            rows.append(("MCP (HTTP+SSE)", result.endpoints["sse"]))
        rows.append(("OAuth redirect URI", f"{result.redirect_uri}"))
        rows.append(("~", _redirect_note(result)))
        rows.append(("MCP Inspector", result.to_json()["inspector"]))
        rows.append(("", f"→ connect to {result.endpoints['mcp']}"))
    if result.readme == "updated":
        rows.append(("README", '"Add to your client": install buttons and commands, filled in'))
    for index, step in enumerate(result.next_steps()):
        rows.append(("Next" if index == 0 else "", step))
    console.panel(f"cfmcp deploy · {result.worker}", rows)


def _redirect_note(result) -> str:  # type: ignore[no-untyped-def]
    from cfmcp.oauth_record import recorded_client
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
