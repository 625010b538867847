"""`cfmcp add tool|resource|prompt`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from cfmcp.cli.app import JSON_OPTION, CfmcpGroup, app

if TYPE_CHECKING:
    from cfmcp.add import AddResult

add_app = typer.Typer(
    cls=CfmcpGroup,
    help="Add a tool, resource, prompt or MCP App to the server: its own file, listed, and tested.",
    epilog="Example: [bold]cfmcp add tool get_weather --param city:string[/bold]",
    no_args_is_help=True,
    rich_markup_mode="rich",
)
app.add_typer(add_app, name="add", rich_help_panel="Develop")

NAME_ARGUMENT = typer.Argument(
    ..., metavar="NAME", help="Its name: letters, digits, - and _, starting with a letter."
)
DESCRIPTION_OPTION = typer.Option(
    None, "--description", "-d", metavar="TEXT", help="What it does, for the model and people."
)
DRY_RUN_OPTION = typer.Option(False, "--dry-run", help="Show what would be written; write nothing.")
PARAM_OPTION = typer.Option(
    [],
    "--param",
    "-p",
    metavar="NAME:TYPE",
    help="An input of the tool (repeat for more): string, number, integer, boolean, string[], "
    "number[] or choices such as unit:celsius,fahrenheit; NAME? for an optional one.",
)


@add_app.command(
    "tool",
    epilog='Example: [bold]cfmcp add tool get_weather -d "The weather in a city." '
    "--param city:string --param days?:integer[/bold]",
)
def add_tool(
    name: str = NAME_ARGUMENT,
    description: str | None = DESCRIPTION_OPTION,
    param: list[str] = PARAM_OPTION,
    dry_run: bool = DRY_RUN_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """A tool: src/tools/NAME.ts (a zod input schema from --param, the signed-in user at hand),
    listed in src/tools.ts, and test/NAME.tool.test.ts in npm test."""
    from cfmcp.add import parse_param

    params = [parse_param(text) for text in param]
    _run("tool", name, dry_run, as_json, description=description, params=params)


@add_app.command(
    "resource",
    epilog='Example: [bold]cfmcp add resource notes --uri "resource://notes/{id}"[/bold]',
)
def add_resource(
    name: str = NAME_ARGUMENT,
    uri: str | None = typer.Option(
        None,
        "--uri",
        metavar="URI",
        help="Where clients read it: resource://NAME by default; {variables} make a template "
        "(resource://notes/{id}), an https:// URL works too.",
    ),
    mime_type: str = typer.Option("text/plain", "--mime-type", help="What it holds."),
    description: str | None = DESCRIPTION_OPTION,
    dry_run: bool = DRY_RUN_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """A resource: src/resources/NAME.ts with its read handler, listed in src/resources.ts,
    and test/NAME.resource.test.ts in npm test."""
    _run("resource", name, dry_run, as_json, description=description, uri=uri,
         mime_type=mime_type)  # fmt: skip


@add_app.command(
    "prompt",
    epilog="Example: [bold]cfmcp add prompt review --arg code --arg focus?[/bold]",
)
def add_prompt(
    name: str = NAME_ARGUMENT,
    arg: list[str] = typer.Option(
        [],
        "--arg",
        "-a",
        metavar="NAME",
        help="An argument (text; repeat for more); NAME? for an optional one.",
    ),
    description: str | None = DESCRIPTION_OPTION,
    dry_run: bool = DRY_RUN_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """A prompt: src/prompts/NAME.ts with its arguments and messages, listed in src/prompts.ts,
    and test/NAME.prompt.test.ts in npm test."""
    from cfmcp.add import parse_param

    params = [parse_param(text, kind="prompt") for text in arg]
    _run("prompt", name, dry_run, as_json, description=description, params=params)


@add_app.command(
    "app",
    epilog='Example: [bold]cfmcp add app dashboard -d "The week at a glance." '
    "--param week:integer[/bold]",
)
def add_mcp_app(
    name: str = NAME_ARGUMENT,
    description: str | None = DESCRIPTION_OPTION,
    param: list[str] = PARAM_OPTION,
    dry_run: bool = DRY_RUN_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """An MCP App: a tool whose result hosts (ChatGPT, Claude, VS Code, Goose) show in a view of
    its own. src/tools/NAME.ts (the tool, and its view as a ui:// resource), apps/NAME/ (the
    view, in TypeScript with @modelcontextprotocol/ext-apps), test/NAME.app.test.ts."""
    from cfmcp.add import parse_param

    params = [parse_param(text) for text in param]
    _run("app", name, dry_run, as_json, description=description, params=params)


def _run(kind: str, name: str, dry_run: bool, as_json: bool, **options: object) -> None:
    from cfmcp import add, console
    from cfmcp.project import find_project

    result = add.add(find_project(), kind, name, dry_run=dry_run, **options)  # type: ignore[arg-type]
    if as_json:
        console.print_result(result.to_json())
        return
    _render(result)


def _render(result: AddResult) -> None:
    from cfmcp import console

    plan = result.plan
    if result.dry_run:
        console.info(f"Would add the {plan.kind.name} {plan.name} (--dry-run: nothing written):")
        for path, text in plan.new_files.items():
            console.info(f"\n[bold]{path}[/bold] (new)", markup=True)
            console.info(text.rstrip())
        for path, (old, new) in plan.edits.items():
            console.info(f"\n[bold]{path}[/bold] (changed lines)", markup=True)
            for line in _added_lines(old, new):
                console.info(f"+ {line}")
        for note in plan.notes:
            console.info(f"\n{note}")
        return
    console.success(f"Added the {plan.kind.name} {plan.name}")
    console.info(f"  {plan.source_file:<36} write it here")
    console.info(f"  {plan.test_file:<36} its test: change `expected` as you write it")
    if plan.kind.name == "app":
        console.info(f"  {'apps/' + plan.name + '/':<36} its view: view.html and view.ts")
    console.info(f"  {plan.kind.list_file:<36} lists it")
    for path in plan.edits:
        if path != plan.kind.list_file:
            console.info(f"  {path:<36} {_WHY.get(path, 'updated')}")
    for backup in result.backups:
        console.info(f"  (a copy of the file as it was, which git does not hold: {backup})")
    for note in plan.notes:
        console.info(note)
    console.info("Next: npm test (it passes now), then cfmcp dev")


_WHY = {
    "wrangler.toml": "builds the views ([build])",
    "package.json": "type-checks the views (npm run typecheck)",
}


def _added_lines(old: str, new: str) -> list[str]:
    import difflib

    diff = difflib.ndiff(old.splitlines(), new.splitlines())
    return [line[2:] for line in diff if line.startswith("+ ")]
