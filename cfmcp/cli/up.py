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
    client_stdin: bool = typer.Option(
        False,
        "--client-stdin",
        help="Read the OAuth client's id and secret from standard input, as NAME=value lines "
        "(e.g. GOOGLE_CLIENT_ID=… and GOOGLE_CLIENT_SECRET=…), for GitHub, Google and OpenID "
        "Connect projects.",
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Go live in one command: KV, OAuth client, secrets, deploy, redirect URI.

    From a generated project to a live, signed-in server: packages, KV namespace, OAuth client,
    secrets (cookie key generated), deploy, redirect URI. Each step is skipped when it is done,
    so re-running changes nothing but the deploy. Needs CLOUDFLARE_API_TOKEN.

    GitHub, Google and OpenID Connect projects: the provider has no API to create an OAuth
    client, so the first run says what to register where (the callback URL included) and asks
    for its id and secret, or takes them from the environment (e.g. GOOGLE_CLIENT_ID and
    GOOGLE_CLIENT_SECRET) or --client-stdin. A server with no sign-in (--auth none) is only
    deployed.
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
    given = _client_from_stdin(project) if client_stdin else {}
    env = use_env(project, env, create=create_env, ask=can_ask(yes, as_json))
    result = up_module.up(
        project, env=env,
        choose_account=choose_account if can_ask(yes, as_json) else None,
        progress=spinner, report=report,
        notify=(lambda message: None) if as_json else console.warn,
        prompt=hidden_prompt if can_ask(yes, as_json) and not client_stdin else None,
        given=given,
    )  # fmt: skip
    if as_json:
        console.print_result(result.to_json())
        return
    if result.url:
        env_flag = f" --env {env}" if env else ""
        console.success(f"Live at {result.url}")
        console.info(f"  MCP (streamable HTTP)  {result.endpoints['mcp']}")
        if "sse" in result.endpoints:
            console.info(f"  MCP (HTTP+SSE)         {result.endpoints['sse']}")
        from cfmcp.providers import provider_of

        how = "calls its tools" if provider_of(project).public else "signs in through your browser"
        console.info(f"Next: cfmcp check{env_flag}   ({how})")
        console.info(f"      cfmcp client-config claude{env_flag}")


def _client_from_stdin(project) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The OAuth client's id and secret piped in as NAME=value lines; nothing else is taken."""
    import sys

    from cfmcp.errors import UsageError
    from cfmcp.providers import provider_of

    names = provider_of(project).client_secrets
    if not names or provider_of(project).name == "cloudflare":
        raise UsageError(
            "--client-stdin is for GitHub, Google and OpenID Connect projects, whose OAuth "
            "client you register yourself.",
            hint="Leave it out: cfmcp up makes this project's client (or it needs none).",
        )
    example = f'printf \'%s\\n\' "{names[0]}=…" "{names[1]}=…" | cfmcp up --client-stdin'
    if sys.stdin.isatty():
        raise UsageError("--client-stdin reads standard input: pipe the values in.", hint=example)
    values: dict[str, str] = {}
    for number, line in enumerate(sys.stdin.read().splitlines(), start=1):
        if not line.strip():
            continue
        name, sep, value = line.partition("=")
        if not sep or name.strip() not in names or not value.strip():
            raise UsageError(
                f"Line {number} of standard input is not {' or '.join(names)}=value; "
                "nothing was set.",
                hint=example,
            )
        values[name.strip()] = value.strip()
    missing = [name for name in names if name not in values]
    if missing:
        raise UsageError(f"Standard input lacks {', '.join(missing)}.", hint=example)
    return values
