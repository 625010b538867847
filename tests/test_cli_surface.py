"""What every command has in common: how errors, interruptions, questions and help look."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import ctrl_c_as_at_a_terminal, run_cfmcp

COMMANDS = [
    ("init",), ("dev",), ("check",), ("client-config",), ("kv", "create"), ("secrets", "set"),
    ("secrets", "list"), ("deploy",), ("doctor",), ("oauth-client", "create"),
    ("oauth-client", "sync"), ("oauth-client", "rotate"), ("oauth-client", "show"),
    ("oauth-client", "delete"), ("up",),
]  # fmt: skip


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_shows_what_a_user_types_not_python_types(cli, command):
    result = cli(*command, "--help")
    assert result.exit_code == 0
    for python_type in ("<bool>", "<str>", "<int>", "<path>", "<list", "BOOLEAN"):
        assert python_type not in result.output, (command, python_type)


@pytest.mark.parametrize(
    "args",
    [
        ("deploy", "--env", "nope", "--json"),
        ("client-config", "cursor", "--scope", "planet", "--url", "https://x.example", "--json"),
        ("secrets", "list", "--json"),
    ],
    ids=lambda args: args[0],
)
def test_a_failure_with_json_is_a_json_object_on_stdout_too(cli, tmp_path, monkeypatch, args):
    (tmp_path / "wrangler.toml").write_text('name = "demo"\nmain = "src/index.ts"\n')
    monkeypatch.chdir(tmp_path)
    result = cli(*args)
    assert result.exit_code != 0
    failure = json.loads(result.stdout)
    assert set(failure) == {"ok", "error", "hint", "exit_code"}
    assert failure["ok"] is False and failure["exit_code"] == result.exit_code
    assert f"error: {failure['error']}" in result.stderr


def test_without_json_stdout_stays_empty_on_failure(cli, tmp_path, monkeypatch):
    (tmp_path / "wrangler.toml").write_text('name = "demo"\nmain = "src/index.ts"\n')
    monkeypatch.chdir(tmp_path)
    result = cli("deploy", "--env", "nope")
    assert result.exit_code == 2 and result.stdout == ""
    assert "error: " in result.stderr and "hint: " in result.stderr


def test_a_question_at_the_end_of_input_is_an_error_not_a_click_abort(cli, tmp_path):
    """Click would print "Aborted." and exit 1 with no word of what to do."""
    (tmp_path / "mcp.json").write_text('{"mcpServers": {"demo": {"url": "https://a.example"}}}')
    from unittest import mock

    with mock.patch("cfmcp.clients.stdin_is_interactive", return_value=True):
        result = cli(
            "client-config", "cursor", "--url", "https://b.example", "--name", "demo",
            "--config-path", str(tmp_path / "mcp.json"), input="",
        )  # fmt: skip
    assert result.exit_code == 1
    assert "error: A question got no answer" in result.stderr
    assert "Aborted" not in result.output


def test_a_wrong_answer_asks_again_in_plain_words(cli, tmp_path):
    (tmp_path / "mcp.json").write_text('{"mcpServers": {"demo": {"url": "https://a.example"}}}')
    from unittest import mock

    with mock.patch("cfmcp.clients.stdin_is_interactive", return_value=True):
        result = cli(
            "client-config", "cursor", "--url", "https://b.example", "--name", "demo",
            "--config-path", str(tmp_path / "mcp.json"), input="maybe\ny\n",
        )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Please answer y or n." in result.stderr
    assert "Error:" not in result.output
    assert "b.example" in (tmp_path / "mcp.json").read_text()


def test_ctrl_c_at_a_question_exits_130(tmp_path):
    """Ctrl-C is 130 everywhere, a prompt included (click would make it 1, "Aborted!")."""
    (tmp_path / "mcp.json").write_text('{"mcpServers": {"demo": {"url": "https://a.example"}}}')
    code = (
        "import sys; from unittest import mock; from cfmcp.cli import main\n"
        "with mock.patch('cfmcp.clients.stdin_is_interactive', return_value=True):\n"
        "    sys.argv = ['cfmcp', 'client-config', 'cursor', '--url', 'https://b.example',\n"
        f"        '--name', 'demo', '--config-path', {str(tmp_path / 'mcp.json')!r}]\n"
        "    main()\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, start_new_session=True,
        preexec_fn=ctrl_c_as_at_a_terminal,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        assert process.stderr is not None
        seen = ""
        while "[y/N]" not in seen:
            assert time.monotonic() < deadline, seen
            seen += process.stderr.read(1)
        os.killpg(process.pid, signal.SIGINT)
        _, rest = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode == 130, seen + rest
    assert "error: Interrupted." in rest
    assert "Traceback" not in rest
    assert "a.example" in (tmp_path / "mcp.json").read_text()


def test_panels_never_split_a_url_on_a_narrow_terminal(tmp_path):
    target = tmp_path / "a-project-with-a-rather-long-folder-name"
    result = run_cfmcp("init", str(target), "--no-install", "--no-git", env={"COLUMNS": "40"})
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert any(line.strip() == "run locally on http://localhost:8788 with a local sign-in"
               for line in lines)  # fmt: skip
    wide = run_cfmcp(
        "init", str(tmp_path / "wide"), "--no-install", "--no-git", env={"COLUMNS": "120"}
    )
    assert "╭─ Next steps" in wide.stderr  # the box where it fits


def test_client_config_help_names_the_clients_each_option_is_for(cli):
    from cfmcp.clients import CLIENTS, WEB_CLIENTS

    result = cli("client-config", "--help", env={"COLUMNS": "2000"})
    text = " ".join(result.output.split())
    both = [name for name, spec in CLIENTS.items() if set(spec.scopes) == {"user", "project"}]
    scope_help = text[text.index("--scope") : text.index("--bridge")]
    assert all(name in scope_help for name in both), (both, scope_help)
    assert all(name in text for name in [*CLIENTS, *WEB_CLIENTS])


def test_dev_help_names_no_provider_it_would_leave_out(cli):
    text = " ".join(cli("dev", "--help", env={"COLUMNS": "2000"}).output.split())
    assert "Cloudflare or GitHub" not in text  # the stand-in is for every provider
    assert "--tunnel" in text


def test_help_paragraphs_wrap_at_the_terminal_not_at_the_source(cli):
    lines = cli("dev", "--help", env={"COLUMNS": "2000"}).output.splitlines()
    assert any("local stand-in for its sign-in provider, so the whole OAuth" in line
               for line in lines)  # fmt: skip
    bullets = cli("client-config", "--help", env={"COLUMNS": "2000"}).output.splitlines()
    assert sum(line.strip().startswith("•") for line in bullets) == 4  # lists keep their lines
