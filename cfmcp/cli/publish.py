"""`cfmcp publish`."""

from __future__ import annotations

import typer

from cfmcp.cli.app import ENV_OPTION, JSON_OPTION, app, can_ask


@app.command(
    epilog="Examples: [bold]cfmcp publish --name io.github.ada/weather --dry-run[/bold]   "
    "then   [bold]cfmcp publish[/bold]",
    rich_help_panel="Ship",
)
def publish(
    name: str | None = typer.Option(
        None,
        "--name",
        metavar="NAMESPACE/NAME",
        help="The listing's name: io.github.<your GitHub user>/<server>, or a domain of yours "
        "reversed (com.example/<server>). Recorded in cfmcp.json.",
    ),
    title: str | None = typer.Option(
        None, "--title", help="What people see it called (default: the Worker's name)."
    ),
    description: str | None = typer.Option(
        None, "--description", "-d", help="What it does, in up to 100 characters."
    ),
    version: str | None = typer.Option(
        None, "--version", help="This listing's version (default: package.json's)."
    ),
    website: str | None = typer.Option(
        None, "--website", metavar="URL", help="An https page about the server."
    ),
    sse: bool = typer.Option(
        False, "--sse", help="List /sse (HTTP+SSE) too: stateful servers only."
    ),
    registry: str | None = typer.Option(
        None,
        "--registry",
        metavar="URL",
        help="Another registry (default: https://registry.modelcontextprotocol.io, or "
        "$CFMCP_REGISTRY_URL).",
    ),
    env: str | None = ENV_OPTION,
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Make and check server.json, print it; write and send nothing."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """List the deployed server in the official MCP Registry.

    Makes server.json (the registry's current schema, checked against it and the registry's
    own rules before anything leaves this machine) for the URL `cfmcp deploy` recorded, proves
    the io.github.<user> namespace with a GitHub sign-in (a code to enter at github.com; the
    token kept in the OS keyring) and publishes it.
    """
    from cfmcp import console
    from cfmcp import publish as publishing
    from cfmcp.errors import UsageError
    from cfmcp.project import find_project

    given = {"--name": name, "--title": title, "--description": description,
             "--version": version, "--website": website}  # fmt: skip
    empty = [option for option, value in given.items() if value is not None and not value.strip()]
    if empty:
        raise UsageError(
            f"{empty[0]} is empty; nothing was written or sent.",
            hint=f"Give {empty[0]} a value, or leave it out for the default.",
        )
    project = find_project()
    project.require_env(env)
    mine = publishing.recorded(project)
    if can_ask(as_json) and not dry_run:  # asked once; recorded for the next time
        worker = project.worker_name()
        if not name and not mine.get("name"):
            name = typer.prompt(f"Name in the registry (io.github.<your GitHub user>/{worker})")
        if not description and not mine.get("description"):
            description = typer.prompt("What it does, in up to 100 characters",
                                       default=publishing.DEFAULT_DESCRIPTION)  # fmt: skip

    def show_code(code) -> None:  # type: ignore[no-untyped-def]
        console.info(f"To sign in with GitHub, open {code.verification_uri} and enter the code "
                     f"{code.user_code}")  # fmt: skip
        console.info("Waiting for GitHub… (Ctrl-C stops; nothing is published until then)")

    result = publishing.publish(
        project, env, dry_run=dry_run, registry=registry, show_code=show_code, name=name,
        title=title, description=description, version=version, website=website, sse=sse,
    )  # fmt: skip
    if as_json:
        console.print_result(result.to_json())
        return
    document = result.listing.document
    if dry_run:
        console.print_json(document)
        console.info(f"server.json for {document['name']} {document['version']}: valid "
                     "(--dry-run: nothing written or sent)")  # fmt: skip
        return
    for note in result.notes:
        console.info(note)
    console.success(f"Published {document['name']} {document['version']} to the MCP Registry")
    console.info(f"  listing: {result.listing_url}")
    console.info(f"  server.json: {result.listing.path}")
    if result.backup:
        console.info(f"  the server.json that was there: {result.backup}")
