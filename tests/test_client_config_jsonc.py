"""VS Code's JSONC files: parsing with positions, and in-place edits that keep comments,
trailing commas and formatting; plus the plain-JSON reader that keeps numbers as written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cfmcp import console
from cfmcp.clients import jsonc, jsonfile
from cfmcp.clients.edit import EditPlan, apply_plan, plan_edit
from cfmcp.clients.vscode import SPEC as VSCODE
from cfmcp.errors import CfmcpError

ENTRY = {"type": "http", "url": "https://x.example.com/mcp"}


# --- strip and parse ----------------------------------------------------------------------


def test_strip_keeps_length_and_strings():
    text = '{"a": "// no", /* c */ "b": "/* no */", // line\n "c": [1, 2,],}'
    stripped = jsonc.strip(text)
    assert len(stripped.text) == len(text)
    assert json.loads(stripped.text) == {"a": "// no", "b": "/* no */", "c": [1, 2]}
    assert len(stripped.comments) == 2
    assert len(stripped.trailing_commas) == 2


def test_escaped_quotes_in_strings():
    assert jsonc.parse(r'{"a": "say \"hi\" // not a comment", } // c') == {
        "a": 'say "hi" // not a comment'
    }


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ('{\n  "a": 1\n  "b": 2\n}', 3, 3),
        ('{\n  // c\n  "a": ,\n}', 3, 8),
        ('{"a": 1 /* open', 1, 9),
        ("{,}", 1, 2),
        ('{"a": 1}}', 1, 9),
    ],
)
def test_errors_have_line_and_column(text, line, column):
    with pytest.raises(jsonc.JsoncError) as info:
        jsonc.parse(text)
    assert (info.value.line, info.value.column) == (line, column)


def test_duplicate_keys_are_reported():
    with pytest.raises(jsonfile.DuplicateKeyError):
        jsonc.parse('{"servers": {}, // one\n "servers": {}}')


# --- set_member ---------------------------------------------------------------------------


def edit(text: str, newline: str = "\n") -> str:
    result = jsonc.set_member(text, "servers", "demo", ENTRY, newline=newline)
    parsed = jsonc.parse(result)
    assert parsed["servers"]["demo"] == ENTRY
    return result


def test_adds_to_servers_keeping_comments_and_trailing_commas():
    text = (
        "{\n"
        "\t// My servers\n"
        '\t"servers": {\n'
        '\t\t"other": {"type": "stdio", "command": "x",}, // keep me\n'
        "\t},\n"
        '\t"inputs": [], /* and me */\n'
        "}\n"
    )
    assert edit(text) == (
        "{\n"
        "\t// My servers\n"
        '\t"servers": {\n'
        '\t\t"other": {"type": "stdio", "command": "x",}, // keep me\n'
        '\t\t"demo": {\n'
        '\t\t\t"type": "http",\n'
        '\t\t\t"url": "https://x.example.com/mcp"\n'
        "\t\t},\n"
        "\t},\n"
        '\t"inputs": [], /* and me */\n'
        "}\n"
    )


def test_comment_after_the_last_member_stays_on_its_line():
    text = '{\n  "servers": {\n    "a": {"url": "u"} // the a server\n  }\n}\n'
    assert edit(text) == (
        "{\n"
        '  "servers": {\n'
        '    "a": {"url": "u"}, // the a server\n'
        '    "demo": {\n'
        '      "type": "http",\n'
        '      "url": "https://x.example.com/mcp"\n'
        "    }\n"
        "  }\n"
        "}\n"
    )


def test_adds_servers_when_missing():
    text = '// settings\n{\n    "inputs": [\n        {"id": "key"},\n    ],\n}\n'
    assert edit(text) == (
        "// settings\n"
        "{\n"
        '    "inputs": [\n'
        '        {"id": "key"},\n'
        "    ],\n"
        '    "servers": {\n'
        '        "demo": {\n'
        '            "type": "http",\n'
        '            "url": "https://x.example.com/mcp"\n'
        "        }\n"
        "    },\n"
        "}\n"
    )


@pytest.mark.parametrize(
    "text",
    ["{}", "{}\n", "{\n}\n", '{\n  "servers": {}\n}\n', '{\n  "servers": {\n  }\n}\n', ""],
)
def test_empty_objects_and_files(text):
    result = edit(text)
    assert json.loads(result) == {"servers": {"demo": ENTRY}}


def test_empty_servers_with_a_comment_keeps_it():
    result = edit('{\n  "servers": {\n    // add servers here\n  }\n}\n')
    assert "    // add servers here\n" in result
    assert jsonc.parse(result) == {"servers": {"demo": ENTRY}}


def test_replaces_only_the_entry():
    text = (
        "{\n"
        '  "servers": {\n'
        '    "demo": { "url": "old" }, // was here\n'
        '    "b": {"url": "b"}, /* b */\n'
        "  },\n"
        "}"
    )
    assert edit(text) == (
        "{\n"
        '  "servers": {\n'
        '    "demo": {\n'
        '      "type": "http",\n'
        '      "url": "https://x.example.com/mcp"\n'
        "    }, // was here\n"
        '    "b": {"url": "b"}, /* b */\n'
        "  },\n"
        "}"
    )


def test_single_line_objects_stay_single_line():
    assert edit('{"servers": {"a": {"url": "u"}}}') == (
        '{"servers": {"a": {"url": "u"}, "demo": '
        '{"type": "http", "url": "https://x.example.com/mcp"}}}'
    )
    assert edit('{"servers": {"a": 1,}}') == (
        '{"servers": {"a": 1, "demo": {"type": "http", "url": "https://x.example.com/mcp"},}}'
    )


def test_crlf_is_kept():
    result = edit('{\r\n  "servers": {\r\n    "a": 1 // x\r\n  }\r\n}\r\n', newline="\r\n")
    assert "\n" not in result.replace("\r\n", "")
    assert '"a": 1, // x\r\n' in result


def test_block_comment_running_past_the_line_is_not_split():
    text = '{\n  "servers": {\n    "a": 1 /* one\n    two */\n  }\n}'
    result = edit(text)
    assert "/* one\n    two */" in result


# --- plain JSON ---------------------------------------------------------------------------


def test_plain_json_keeps_number_text():
    text = '{"a": [1.0, 1e5, -0, 1E400, 0.1]}'
    assert jsonfile.dumps(jsonfile.loads(text)) == (
        '{\n  "a": [\n    1.0,\n    1e5,\n    -0,\n    1E400,\n    0.1\n  ]\n}'
    )


def test_plain_json_matches_json_dumps():
    value = {"a": {"b": [1, {"c": None, "d": True}], "e": {}}, "f": [], "g": "é\n"}
    assert jsonfile.dumps(jsonfile.loads(json.dumps(value))) == json.dumps(
        value, indent=2, ensure_ascii=False
    )


# --- plan and apply -----------------------------------------------------------------------


@pytest.fixture
def vscode_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("COLUMNS", "1000")
    console.err_console.cache_clear()
    path = tmp_path / ".vscode" / "mcp.json"
    path.parent.mkdir()
    yield path
    console.err_console.cache_clear()


def plan(path: Path, force: bool = False) -> EditPlan:
    location = VSCODE.locate("project", path.parent.parent)
    assert location.path == path
    return plan_edit(VSCODE, location, name="demo", url=ENTRY["url"], entry=ENTRY, force=force)


def test_a_file_changed_between_plan_and_write_is_not_overwritten(vscode_file):
    vscode_file.write_text('{"servers": {}}')
    pending = plan(vscode_file)
    vscode_file.write_text('{"servers": {"someone": {"url": "else"}}}')
    with pytest.raises(CfmcpError, match="changed"):
        apply_plan(pending)
    assert vscode_file.read_text() == '{"servers": {"someone": {"url": "else"}}}'


def test_bom_is_kept(vscode_file):
    vscode_file.write_text('\ufeff{"servers": {}}')
    apply_plan(plan(vscode_file))
    text = vscode_file.read_text(encoding="utf-8")
    assert text.startswith('\ufeff{"servers": {')
    assert jsonc.parse(text[1:])["servers"]["demo"] == ENTRY


def test_cli_keeps_vscode_comments_byte_for_byte(cli, vscode_file, monkeypatch):
    monkeypatch.chdir(vscode_file.parent.parent)
    text = (
        "{\n"
        "  // Servers for this workspace\n"
        '  "servers": {\n'
        '    "github": {\n'
        '      "type": "http",\n'
        '      "url": "https://api.githubcopilot.com/mcp/", // remote\n'
        "    },\n"
        "  },\n"
        '  "inputs": [], // none\n'
        "}\n"
    )
    vscode_file.write_text(text)

    result = cli("client-config", "vscode", "--url", "https://x.example.com", "--name", "demo")

    assert result.exit_code == 0, result.output
    assert vscode_file.read_text() == text.replace(
        "    },\n  },\n",
        "    },\n"
        '    "demo": {\n'
        '      "type": "http",\n'
        '      "url": "https://x.example.com/mcp"\n'
        "    },\n"
        "  },\n",
    )
    again = cli("client-config", "vscode", "--url", "https://x.example.com", "--name", "demo")
    assert again.exit_code == 0
    assert len(list(vscode_file.parent.glob("*.bak"))) == 1

    vscode_file.write_text(text.replace('"github"', '"demo"'))
    refused = cli("client-config", "vscode", "--url", "https://x.example.com", "--name", "demo")
    assert refused.exit_code == 1
    forced = cli(
        "client-config", "vscode", "--url", "https://x.example.com", "--name", "demo", "--force"
    )
    assert forced.exit_code == 0
    assert "// Servers for this workspace" in vscode_file.read_text()
    assert '"inputs": [], // none' in vscode_file.read_text()
    assert "api.githubcopilot.com" not in vscode_file.read_text()


def test_cli_reports_jsonc_errors_with_position(cli, vscode_file, monkeypatch):
    monkeypatch.chdir(vscode_file.parent.parent)
    text = '{\n  // c\n  "servers": {\n    "a": {"url": "u"}\n    "b": {}\n  }\n}\n'
    vscode_file.write_text(text)
    result = cli("client-config", "vscode", "--url", "https://x.example.com", "--name", "demo")
    assert result.exit_code == 1
    message = " ".join(result.stderr.split())
    assert str(vscode_file) in message
    assert "line 5, column 5" in message
    assert vscode_file.read_text() == text


def test_an_edit_that_would_change_anything_else_is_refused(cli, vscode_file, monkeypatch):
    monkeypatch.chdir(vscode_file.parent.parent)
    text = '{\n  "servers": {},\n  "inputs": [] // keep\n}\n'
    vscode_file.write_text(text)
    # A faulty editor that loses "inputs": the check of the new text must catch it.
    monkeypatch.setattr(
        jsonc, "set_member", lambda *args, **kwargs: json.dumps({"servers": {"demo": ENTRY}})
    )
    result = cli("client-config", "vscode", "--url", "https://x.example.com", "--name", "demo")
    assert result.exit_code == 1
    assert "safely" in result.stderr
    assert vscode_file.read_text() == text
    assert list(vscode_file.parent.glob("*.bak")) == []
