"""The command surface: version, help for every command, and light imports for help."""

import subprocess
import sys

import pytest
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


def test_a_command_parses_its_options_without_pydantic(tmp_path):
    """Typer would coerce each option through pydantic (a tenth of a second before `cfmcp dev`
    starts wrangler); cfmcp's plain options (text, numbers, flags, paths) do without it."""
    code = (
        "import sys\n"
        f"sys.argv = ['cfmcp', '-C', {str(tmp_path)!r}, 'client-config', 'cursor', '--print',"
        " '--url', 'https://x.example.dev', '--name', 'demo', '--scope', 'user']\n"
        "from cfmcp.cli import main\n"
        "try:\n    main()\nexcept SystemExit as exit:\n    print('exit', exit.code)\n"
        "print('pydantic' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    lines = result.stdout.strip().splitlines()
    assert '"url": "https://x.example.dev/mcp"' in result.stdout, result.stdout + result.stderr
    assert lines[-1] == "False", result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["dev", "--port", "abc"], "'abc' is not a valid whole number"),
        (["dev", "--port", "4.0"], "'4.0' is not a valid whole number"),
        (["dev", "--tunnel-timeout", "soon"], "'soon' is not a valid number"),
        (["dev", "--tunnel-timeout", "nan"], "'nan' is not a valid number"),
        (["dev", "--tunnel-timeout", "-5"], "--tunnel-timeout -5 is not a number of seconds"),
        (["dev", "--token-ttl", "30"], "tokens live 60 seconds at least"),
    ],
)
def test_a_bad_number_is_a_usage_error(cli, args, message):
    result = cli(*args)
    assert result.exit_code == 2
    assert message in " ".join(result.output.split()), result.output


@pytest.mark.parametrize(
    ("value", "kind", "expected"),
    [
        ("8790", int, 8790),
        (" -3 ", int, -3),
        (8788, int, 8788),
        ("1.5", float, 1.5),
        ("2", float, 2.0),
        (30, float, 30.0),
        ("yes", bool, True),
        ("Off", bool, False),
        (True, bool, True),
        ("text", str, "text"),
    ],
)
def test_plain_values_coerce_as_typer_would(value, kind, expected):
    from cfmcp.cli.plain_params import coerce

    coerced = coerce(value, kind)
    assert coerced == expected and type(coerced) is kind


def test_other_options_keep_typers_own_checks():
    """Bounds, choices and a custom parser are not plain: Typer (and pydantic) check them."""
    from typing import Literal

    from typer.testing import CliRunner

    import cfmcp.cli.app  # noqa: F401  (installs the plain coercion)

    small = typer.Typer()

    @small.command()
    def run(
        count: int = typer.Option(1, min=1),
        mode: Literal["fast", "slow"] = typer.Option("fast"),
        level: int = typer.Option(0, parser=lambda text: int(text) * 10),
    ) -> None:
        print(count, mode, level)

    runner = CliRunner()
    assert runner.invoke(small, ["--count", "2", "--mode", "slow", "--level", "3"]).output == (
        "2 slow 30\n"
    )
    assert runner.invoke(small, ["--count", "0"]).exit_code == 2
    assert runner.invoke(small, ["--mode", "medium"]).exit_code == 2


def test_plain_values_refuse_what_they_cannot_be():
    from cfmcp.cli.plain_params import coerce

    for value, kind in [("", int), ("1e3", int), (True, int), ("maybe", bool), ("inf", float)]:
        with pytest.raises(ValueError):
            coerce(value, kind)


def test_unknown_command_is_a_usage_error(cli):
    result = cli("no-such-command")
    assert result.exit_code == 2
