"""The command surface: version, help for every command, and light imports for help."""

import subprocess
import sys

import typer.main

from cfmcp import __version__
from cfmcp.cli import app

HEAVY_MODULES = (
    "mcp",
    "jinja2",
    "keyring",
    "httpx2",
    "httpx",
    "tomlkit",
    "starlette",
    "uvicorn",
    "ruamel",
)


def _is_group(command) -> bool:
    return hasattr(command, "commands")


def _command_paths(command, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = [prefix]
    if _is_group(command):
        for name, sub in command.commands.items():
            paths += _command_paths(sub, (*prefix, name))
    return paths


COMMAND_PATHS = _command_paths(typer.main.get_command(app))


def _resolve(path):
    command = typer.main.get_command(app)
    for name in path:
        command = command.commands[name]
    return command


def test_version(cli):
    result = cli("--version")
    assert result.exit_code == 0
    assert result.output.strip() == f"cfmcp {__version__}"


def test_python_dash_m_works():
    result = subprocess.run(
        [sys.executable, "-m", "cfmcp", "--version"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert result.stdout.strip() == f"cfmcp {__version__}"


def test_every_command_has_help_with_an_example(cli):
    assert len(COMMAND_PATHS) > 1
    for path in COMMAND_PATHS:
        result = cli(*path, "--help")
        assert result.exit_code == 0, (path, result.output)
        assert "Usage:" in result.output
        if path:
            assert "Example" in result.output, f"cfmcp {' '.join(path)} --help has no example"


def test_help_does_not_import_heavy_modules():
    """`--help` must stay fast: heavy libraries load only in the commands that use them."""
    for path in COMMAND_PATHS:
        code = (
            "import sys\n"
            f"sys.argv = ['cfmcp', *{list(path)!r}, '--help']\n"
            "from cfmcp.cli import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            f"print(sorted(m for m in {HEAVY_MODULES!r} if m in sys.modules))\n"
        )
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        assert result.stdout.strip().splitlines()[-1] == "[]", (path, result.stdout)


def test_unknown_command_is_a_usage_error(cli):
    result = cli("no-such-command")
    assert result.exit_code == 2
