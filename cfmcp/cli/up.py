"""`cfmcp up`."""

from __future__ import annotations

import typer

from cfmcp.cli.app import (
    CREATE_ENV_OPTION,
    ENV_OPTION,
    JSON_OPTION,
    app,
    can_ask,
    choose_account,
    spinner,
    use_env,
)


@app.command(
    epilog="Example: [bold]export CLOUDFLARE_API_TOKEN=…[/bold]   then   [bold]cfmcp up[/bold]",
    rich_help_panel="Ship",
)
def up(
    env: str | None = ENV_OPTION,
    yes: bool = typer.Option(False, "--yes", "-y", help="Ask nothing (also without a terminal)."),
    create_env: bool = CREATE_ENV_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Go live in one command: KV, OAuth client, secrets, deploy, redirect URI.

    From a generated project to a live, signed-in server: packages, KV namespace, OAuth client,
    secrets (cookie key generated), deploy, redirect URI. Each step is skipped when it is done,
    so re-running changes nothing but the deploy. Needs CLOUDFLARE_API_TOKEN.

    GitHub projects: GitHub has no API to create an OAuth app, so the first run says what to
    register where (the callback URL included) and asks for its id and secret, or takes them
    from GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET.
    """
    from cfmcp import console
    from cfmcp import up as up_module
    from cfmcp.project import find_project
    from cfmcp.secrets import hidden_prompt

    def report(step) -> None:  # type: ignore[no-untyped-def]
        if not as_json:
            mark = "[green]✓[/green]" if step.status == "done" else "[dim]·[/dim]"
            state = "" if step.status == "done" else " [dim](already done)[/dim]"
            console.err_console().print(
                f"{mark} {step.name:<14}{state} {console.escape(step.detail)}", soft_wrap=True
            )

    project = find_project()
    env = use_env(project, env, create=create_env, ask=can_ask(yes, as_json))
    result = up_module.up(
        project, env=env,
        choose_account=choose_account if can_ask(yes, as_json) else None,
        progress=spinner, report=report,
        notify=(lambda message: None) if as_json else console.warn,
        prompt=hidden_prompt if can_ask(yes, as_json) else None,
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
