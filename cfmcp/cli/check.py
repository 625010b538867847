"""`cfmcp check`."""

from __future__ import annotations

import typer

from cfmcp.cli.app import (
    JSON_OPTION,
    app,
    complete_from,
    owns_the_process,
)


@app.command(
    epilog="Examples: [bold]cfmcp check --headless[/bold]  (against cfmcp dev)   "
    "[bold]cfmcp check https://my-mcp.example.workers.dev[/bold]   "
    "[bold]cfmcp check --headless --era modern[/bold]   "
    "[bold]cfmcp check --tool whoami --json[/bold]   "
    "[bold]cfmcp check --headless --resource resource://about[/bold]",
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
    tool: str | None = typer.Option(
        None,
        "--tool",
        metavar="NAME",
        help="Tool to call (default: add, unless --resource or --prompt is given).",
    ),
    args: str | None = typer.Option(
        None,
        "--args",
        metavar="JSON",
        help='Arguments of the tool or prompt. Default for add: {"a":23,"b":19}.',
    ),
    expect: str | None = typer.Option(
        None,
        "--expect",
        metavar="TEXT",
        help="Text the tool must return (default for add 23+19: 42); without a tool, the "
        "resource's text or the prompt's message.",
    ),
    resource: str | None = typer.Option(
        None, "--resource", metavar="URI", help="Read this resource, e.g. resource://about."
    ),
    prompt: str | None = typer.Option(
        None, "--prompt", metavar="NAME", help="Get this prompt (its arguments in --args)."
    ),
    transport: str = typer.Option(
        "both",
        "--transport",
        metavar="mcp|sse|both",
        autocompletion=complete_from("mcp", "sse", "both"),
        help="Which endpoints to try: /mcp, /sse (HTTP+SSE where the server has it, else the "
        "alias of /mcp) or both.",
    ),
    era: str = typer.Option(
        "both",
        "--era",
        metavar="modern|legacy|both",
        autocompletion=complete_from("modern", "legacy", "both"),
        help="Protocol era: 2026-07-28 (server/discover, no session), 2025 (initialize) or both.",
    ),
    env: str | None = typer.Option(None, "--env", "-e", help="Environment of the deployed URL."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Prove it works: sign in as a real MCP client and call a tool.

    Discovery, dynamic registration, PKCE authorization and token, then, for each endpoint and
    protocol era, server/discover or initialize, tools/list and a tool call (and a resource
    read, a prompt fetched, when asked), each step timed. Exit 0 only if all pass.
    """
    from cfmcp.check import check_command

    if owns_the_process():
        from cfmcp.mcp_client import import_client_modules_only

        import_client_modules_only()  # a tenth of a second: the SDK's server side stays out
    code = check_command(
        url=url,
        headless=headless,
        tool=tool,
        args=args,
        expect=expect,
        resource=resource,
        prompt=prompt,
        transport=transport,
        era=era,
        env=env,
        as_json=as_json,
    )
    raise typer.Exit(code)
