"""Secrets: value sources and their order, the keyring (and machines without one), .dev.vars,
and `cfmcp secrets set|list` against the real wrangler and the fake Cloudflare API."""

from __future__ import annotations

import io
import json
import os
import re
import stat
from pathlib import Path

import pytest
from keyring.backends import fail

from cfmcp import dotenv
from cfmcp import secrets as s
from cfmcp.errors import CfmcpError
from cfmcp.project import Project
from cfmcp.providers import PROVIDERS
from tests.conftest import copy_project, run_cfmcp
from tests.fake_cloudflare import isolated_env
from tests.keyring_backend import BrokenKeyring, FileKeyring, read_keyring, use_backend

REQUIRED = list(PROVIDERS["cloudflare"].secrets)


class TTY(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def file_keyring(tmp_path, monkeypatch):
    return use_backend(monkeypatch, FileKeyring(tmp_path / "keyring.json"))


@pytest.fixture
def no_keyring(monkeypatch):
    return use_backend(monkeypatch, fail.Keyring())


@pytest.fixture
def project(cli, tmp_path, monkeypatch) -> Path:
    """A generated project without npm packages (enough for --local), as the working folder."""
    root = tmp_path / "proj"
    result = cli("init", str(root), "--name", "demo-mcp", "--no-install", "--no-git", "--yes")
    assert result.exit_code == 0, result.output
    monkeypatch.chdir(root)
    for name in REQUIRED:
        monkeypatch.delenv(name, raising=False)
    return root


# --- .dev.vars ------------------------------------------------------------------------------

DEV_VARS = """\
# local secrets
export CLOUDFLARE_CLIENT_ID=abc123   # inline comment
QUOTED="two words"
SINGLE='it has # a hash'
MULTI="line one\\nline two"
EMPTY=

# a comment between
DUP=first
DUP=second
"""


def test_dotenv_reads_values_as_wrangler_does():
    values = dotenv.DotEnv(DEV_VARS).values()
    assert values == {
        "CLOUDFLARE_CLIENT_ID": "abc123",
        "QUOTED": "two words",
        "SINGLE": "it has # a hash",
        "MULTI": "line one\nline two",
        "EMPTY": "",
        "DUP": "second",  # later duplicates win
    }


def test_dotenv_set_changes_values_in_place_and_keeps_everything_else():
    document = dotenv.DotEnv(DEV_VARS)
    document.set("CLOUDFLARE_CLIENT_ID", "new-id")
    document.set("EMPTY", "filled")
    document.set("DUP", "third")
    document.set("NEW_KEY", "appended")
    text = document.text
    assert "# local secrets\n" in text and "# a comment between\n" in text
    assert "export CLOUDFLARE_CLIENT_ID=new-id   # inline comment\n" in text
    assert "EMPTY=filled\n" in text
    assert text.endswith("NEW_KEY=appended\n")
    assert document.values() == {
        "CLOUDFLARE_CLIENT_ID": "new-id",
        "QUOTED": "two words",
        "SINGLE": "it has # a hash",
        "MULTI": "line one\nline two",
        "EMPTY": "filled",
        "DUP": "third",
        "NEW_KEY": "appended",
    }
    # Only the assigned values changed: same line count, other lines byte for byte.
    before, after = DEV_VARS.splitlines(), text.splitlines()
    changed = [i for i, (a, b) in enumerate(zip(before, after[:-1], strict=True)) if a != b]
    assert [before[i].split("=")[0] for i in changed] == [
        "export CLOUDFLARE_CLIENT_ID",
        "EMPTY",
        "DUP",
        "DUP",
    ]


@pytest.mark.parametrize(
    "value",
    [
        "0123456789abcdef" * 4,
        "with space",
        "has#hash",
        'double"quote',
        "single'quote",
        "back\\slash and space",
        "multi\nline",
        "  padded  ",
        "=starts-with-equals",
    ],
)
def test_values_round_trip_through_dev_vars(value):
    document = dotenv.DotEnv("A=1\n")
    document.set("KEY", value)
    assert dotenv.DotEnv(document.text).get("KEY") == value
    assert dotenv.DotEnv(document.text).get("A") == "1"


def test_a_value_dotenv_cannot_hold_is_refused():
    with pytest.raises(CfmcpError, match="cannot be written"):
        dotenv.quote_dotenv("#'\"`\\")


def test_write_dev_vars_is_0600_and_keeps_the_file(tmp_path):
    path = tmp_path / ".dev.vars"
    path.write_text("# mine\nOTHER=keep\n")
    path.chmod(0o644)
    dotenv.write_dev_vars(path, {"COOKIE_ENCRYPTION_KEY": "k1"})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text() == "# mine\nOTHER=keep\nCOOKIE_ENCRYPTION_KEY=k1\n"
    dotenv.write_dev_vars(path, {"COOKIE_ENCRYPTION_KEY": "k2"})
    assert path.read_text() == "# mine\nOTHER=keep\nCOOKIE_ENCRYPTION_KEY=k2\n"


def test_write_dev_vars_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / ".dev.vars"
    path.write_text("OLD=1\n")

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        dotenv.write_dev_vars(path, {"OLD": "2"})
    assert path.read_text() == "OLD=1\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".dev.vars"]  # no temp file left


def test_dev_vars_are_git_ignored(tmp_path):
    project = Project(tmp_path)
    (tmp_path / ".gitignore").write_text("node_modules/\n!.dev.vars.example")
    dev_vars = tmp_path / ".dev.vars"
    assert not s.is_git_ignored(project, dev_vars)
    assert s.ensure_git_ignored(project, dev_vars) is True
    assert s.is_git_ignored(project, dev_vars)
    assert s.ensure_git_ignored(project, dev_vars) is False  # once is enough
    text = (tmp_path / ".gitignore").read_text()
    assert text.startswith("node_modules/\n!.dev.vars.example\n") and text.endswith("/.dev.vars\n")
    assert not s.is_git_ignored(project, tmp_path / ".dev.vars.example")


# --- sources --------------------------------------------------------------------------------


class MemoryStore(s.SecretStore):
    def __init__(self, values: dict[str, str] | None = None):
        super().__init__("cfmcp:test:production")
        self.values = dict(values or {})

    def get(self, name):
        return self.values.get(name)

    def set(self, name, value):
        self.values[name] = value
        return True


def sources(values: list[s.SecretValue]) -> dict[str, str]:
    return {value.name: value.source for value in values}


def test_source_order_env_then_keyring_then_generated():
    store = MemoryStore({"CLOUDFLARE_CLIENT_ID": "from-keyring", "CLOUDFLARE_CLIENT_SECRET": "k"})
    environ = {"CLOUDFLARE_CLIENT_ID": "from-env"}
    values = s.resolve_values(REQUIRED, store=store, stdin=io.StringIO(""), environ=environ)
    assert sources(values) == {
        "CLOUDFLARE_CLIENT_ID": s.ENVIRONMENT,
        "CLOUDFLARE_CLIENT_SECRET": s.KEYRING,
        "COOKIE_ENCRYPTION_KEY": s.GENERATED,
    }
    assert values[0].value == "from-env" and values[1].value == "k"
    assert "from-env" not in repr(values)  # values stay out of reprs and logs


def test_stdin_wins_for_a_single_name_only():
    store = MemoryStore({"CLOUDFLARE_CLIENT_SECRET": "from-keyring"})
    environ = {"CLOUDFLARE_CLIENT_SECRET": "from-env"}
    [value] = s.resolve_values(
        ["CLOUDFLARE_CLIENT_SECRET"],
        store=store,
        stdin=io.StringIO("piped value \n\n"),
        environ=environ,
    )
    assert (value.value, value.source) == ("piped value", s.STDIN)  # trailing space trimmed
    # An empty pipe (/dev/null, CI) is no value: the next source is used.
    [value] = s.resolve_values(
        ["CLOUDFLARE_CLIENT_SECRET"], store=store, stdin=io.StringIO(""), environ=environ
    )
    assert value.source == s.ENVIRONMENT


def test_a_value_piped_for_several_names_is_refused():
    names = ["CLOUDFLARE_CLIENT_ID", "CLOUDFLARE_CLIENT_SECRET"]
    with pytest.raises(s.UsageError, match="answers one secret, and 2 are named"):
        s.resolve_values(names, store=MemoryStore({}), stdin=io.StringIO("v\n"), environ={})
    # Nothing piped (/dev/null): the other sources answer, as before.
    values = s.resolve_values(
        names, store=MemoryStore({}), stdin=io.StringIO(""), environ={n: "x" for n in names}
    )
    assert [v.source for v in values] == [s.ENVIRONMENT, s.ENVIRONMENT]


def test_secrets_set_with_a_piped_value_and_two_names_sets_nothing(cli, project, file_keyring):
    result = cli(
        "secrets", "set", "CLOUDFLARE_CLIENT_ID", "CLOUDFLARE_CLIENT_SECRET", "--local",
        input="which-one\n",
    )  # fmt: skip
    assert result.exit_code == 2
    assert "answers one secret" in result.output
    assert not (project / ".dev.vars").exists()


def test_a_terminal_is_prompted_never_read():
    asked = []

    def prompt(name):
        asked.append(name)
        return f"typed-{name}"

    values = s.resolve_values(
        ["CLOUDFLARE_CLIENT_ID", "COOKIE_ENCRYPTION_KEY"],
        store=MemoryStore(),
        stdin=TTY("not read"),
        environ={},
        prompt=prompt,
    )
    assert asked == ["CLOUDFLARE_CLIENT_ID"]  # the cookie key is generated, not asked for
    assert sources(values) == {
        "CLOUDFLARE_CLIENT_ID": s.PROMPT,
        "COOKIE_ENCRYPTION_KEY": s.GENERATED,
    }


def test_no_terminal_and_no_value_lists_what_is_missing_and_how_to_give_it():
    with pytest.raises(CfmcpError) as caught:
        s.resolve_values(REQUIRED, store=MemoryStore(), stdin=io.StringIO(""), environ={})
    error = caught.value
    assert "CLOUDFLARE_CLIENT_ID, CLOUDFLARE_CLIENT_SECRET" in error.message
    assert "COOKIE_ENCRYPTION_KEY" not in error.message
    assert "nothing was changed" in error.message
    assert "environment" in error.hint and "printf" in error.hint and "terminal" in error.hint


def test_generated_cookie_key_is_64_hex_characters():
    keys = {s.generate_cookie_key() for _ in range(5)}
    assert len(keys) == 5
    assert all(re.fullmatch(r"[0-9a-f]{64}", key) for key in keys)


def test_keyring_services_per_worker_and_target():
    assert s.keyring_service("demo") == "cfmcp:demo:production"
    assert s.keyring_service("demo", "staging") == "cfmcp:demo:staging"
    assert s.keyring_service("demo", local=True) == "cfmcp:demo:local"
    assert s.keyring_service("demo", "staging", local=True) == "cfmcp:demo:local-staging"


def test_no_keyring_backend_is_not_an_error(no_keyring):
    store = s.SecretStore("cfmcp:demo:production")
    assert store.get("CLOUDFLARE_CLIENT_ID") is None
    assert store.set("CLOUDFLARE_CLIENT_ID", "x") is False
    assert "no usable keyring backend" in store.unavailable
    assert "fail.Keyring" in store.unavailable


def test_a_failing_keyring_backend_is_not_an_error(monkeypatch):
    use_backend(monkeypatch, BrokenKeyring())
    store = s.SecretStore("cfmcp:demo:production")
    assert store.get("X") is None
    assert "daemon is not running" in store.unavailable
    assert store.set("X", "v") is False


# --- cfmcp secrets set --local (in-process, no wrangler) ------------------------------------


def test_secrets_set_local_writes_dev_vars_and_the_keyring(cli, project, file_keyring):
    (project / ".dev.vars").write_text("# my notes\nEXTRA=keep me\nCLOUDFLARE_CLIENT_ID=old\n")
    env = {"CLOUDFLARE_CLIENT_ID": "dev-client-id", "CLOUDFLARE_CLIENT_SECRET": "dev-secret-1"}
    result = cli("secrets", "set", "--local", "--force", env=env)  # replace the id set there
    assert result.exit_code == 0, result.output

    dev_vars = project / ".dev.vars"
    assert stat.S_IMODE(dev_vars.stat().st_mode) == 0o600
    text = dev_vars.read_text()
    assert text.startswith("# my notes\nEXTRA=keep me\nCLOUDFLARE_CLIENT_ID=dev-client-id\n")
    values = dotenv.DotEnv(text).values()
    assert values["CLOUDFLARE_CLIENT_SECRET"] == "dev-secret-1"
    assert re.fullmatch(r"[0-9a-f]{64}", values["COOKIE_ENCRYPTION_KEY"])

    saved = read_keyring(file_keyring.path)
    assert saved == {
        "cfmcp:demo-mcp:local": {
            "CLOUDFLARE_CLIENT_ID": "dev-client-id",
            "CLOUDFLARE_CLIENT_SECRET": "dev-secret-1",
            "COOKIE_ENCRYPTION_KEY": values["COOKIE_ENCRYPTION_KEY"],
        }
    }
    # Names and sources are shown, values never.
    for value in (*env.values(), values["COOKIE_ENCRYPTION_KEY"]):
        assert value not in result.output
    assert "from the environment" in result.output and "generated" in result.output
    assert s.is_git_ignored(Project(project), dev_vars)

    # Next run: nothing in the environment, the keyring has it all.
    dev_vars.unlink()
    again = cli("secrets", "set", "--local", "--json")
    assert again.exit_code == 0, again.output
    report = json.loads(again.stdout)
    assert {x["name"]: x["source"] for x in report["secrets"]} == dict.fromkeys(REQUIRED, "keyring")
    assert dotenv.DotEnv(dev_vars.read_text()).values() == {
        "CLOUDFLARE_CLIENT_ID": "dev-client-id",
        "CLOUDFLARE_CLIENT_SECRET": "dev-secret-1",
        "COOKIE_ENCRYPTION_KEY": values["COOKIE_ENCRYPTION_KEY"],
    }
    written = dotenv.DotEnv(dev_vars.read_text()).values()
    assert s.dev_upstream_credentials(Project(project)) == written


def test_secrets_set_local_one_value_on_stdin_no_save(cli, project, file_keyring):
    result = cli(
        "secrets", "set", "CLOUDFLARE_CLIENT_SECRET", "--local", "--no-save", input="piped-s3cret\n"
    )
    assert result.exit_code == 0, result.output
    assert dotenv.DotEnv((project / ".dev.vars").read_text()).values() == {
        "CLOUDFLARE_CLIENT_SECRET": "piped-s3cret"
    }
    assert read_keyring(file_keyring.path) == {}
    assert "from standard input" in result.output and "piped-s3cret" not in result.output
    # A development OAuth client for `cfmcp dev --upstream real`: where it must send users back.
    said = " ".join(result.output.split())
    assert "http://localhost:8788/callback" in said and "cfmcp dev --upstream real" in said


def test_secrets_set_without_a_terminal_says_what_is_missing(cli, project, file_keyring):
    before = sorted(p.name for p in project.iterdir())
    result = cli("secrets", "set", "--local")
    assert result.exit_code == 1
    assert "CLOUDFLARE_CLIENT_ID, CLOUDFLARE_CLIENT_SECRET" in result.output
    assert "hint:" in result.output
    assert sorted(p.name for p in project.iterdir()) == before  # nothing written
    assert read_keyring(file_keyring.path) == {}


def test_without_a_keyring_one_notice_and_the_values_are_still_written(cli, project, no_keyring):
    env = {"CLOUDFLARE_CLIENT_ID": "i", "CLOUDFLARE_CLIENT_SECRET": "s"}
    result = cli("secrets", "set", "--local", env=env)
    assert result.exit_code == 0, result.output
    assert result.output.count("keyring backend") == 1
    assert set(dotenv.DotEnv((project / ".dev.vars").read_text()).values()) == set(REQUIRED)


def test_a_short_cookie_key_is_refused_before_anything_is_stored(cli, project, file_keyring):
    before = sorted(p.name for p in project.iterdir())
    env = {"CLOUDFLARE_CLIENT_ID": "i", "CLOUDFLARE_CLIENT_SECRET": "s"}
    result = cli(
        "secrets", "set", "--local", env={**env, "COOKIE_ENCRYPTION_KEY": "too-short-a-key"}
    )
    assert result.exit_code == 2
    message = " ".join(result.output.split())
    assert "COOKIE_ENCRYPTION_KEY (from the environment) is 15 characters" in message
    assert "32 or more" in message and "cfmcp generates one" in message
    assert "too-short-a-key" not in result.output
    assert sorted(p.name for p in project.iterdir()) == before
    assert read_keyring(file_keyring.path) == {}
    piped = cli("secrets", "set", "COOKIE_ENCRYPTION_KEY", "--local", input="short\n")
    assert piped.exit_code == 2 and "(from standard input) is 5 characters" in piped.output


def test_bad_names_are_usage_errors(cli, project):
    assert cli("secrets", "set", "1BAD", "--local").exit_code == 2
    assert cli("secrets", "set", "--local", "--env", "bad env").exit_code == 2


def test_local_env_writes_its_own_file(cli, project, file_keyring):
    env = {"CLOUDFLARE_CLIENT_ID": "i", "CLOUDFLARE_CLIENT_SECRET": "s"}
    refused = cli("secrets", "set", "--local", "--env", "staging", env=env)
    assert refused.exit_code == 2 and not (project / ".dev.vars.staging").exists()
    result = cli("secrets", "set", "--local", "--env", "staging", "--create-env", env=env)
    assert result.exit_code == 0, result.output
    assert (project / ".dev.vars.staging").exists() and not (project / ".dev.vars").exists()
    assert "cfmcp:demo-mcp:local-staging" in read_keyring(file_keyring.path)


def test_local_keeps_what_dev_vars_has(cli, project, file_keyring):
    (project / ".dev.vars").write_text("CLOUDFLARE_CLIENT_ID=i\nCLOUDFLARE_CLIENT_SECRET=s\n")
    result = cli("secrets", "set", "--local", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["kept"] == ["CLOUDFLARE_CLIENT_ID", "CLOUDFLARE_CLIENT_SECRET"]
    assert [s["name"] for s in report["secrets"]] == ["COOKIE_ENCRYPTION_KEY"]
    text = (project / ".dev.vars").read_text()
    assert text.startswith("CLOUDFLARE_CLIENT_ID=i\nCLOUDFLARE_CLIENT_SECRET=s\n")
    assert "COOKIE_ENCRYPTION_KEY=" in text

    again = cli("secrets", "set", "--local")
    assert again.exit_code == 0 and "Kept CLOUDFLARE_CLIENT_ID" in again.stderr
    assert (project / ".dev.vars").read_text() == text


@pytest.mark.parametrize("answer", ["y", "n"])
def test_a_person_is_asked_before_an_environment_is_added(
    cli, project, file_keyring, monkeypatch, answer
):
    import cfmcp.cli.secrets

    monkeypatch.setattr(cfmcp.cli.secrets, "can_ask", lambda *flags: True)
    before = (project / "wrangler.toml").read_text()
    env = {"CLOUDFLARE_CLIENT_ID": "i", "CLOUDFLARE_CLIENT_SECRET": "s"}
    result = cli("secrets", "set", "--local", "--env", "qa", input=f"{answer}\n", env=env)
    assert "wrangler.toml has no [env.qa] (defined: none). Add it?" in result.stderr
    if answer == "y":
        assert result.exit_code == 0, result.output
        assert Project(project).environments() == ["qa"]
        assert (project / ".dev.vars.qa").exists()
    else:
        assert result.exit_code == 2
        assert (project / "wrangler.toml").read_text() == before
        assert not (project / ".dev.vars.qa").exists()


# --- against the real wrangler and the fake Cloudflare API ----------------------------------


@pytest.mark.integration
def test_secrets_go_on_stdin_only(worker_project, tmp_path, api, monkeypatch, cli, child_argvs):
    """Values reach Cloudflare, and appear in no argv, no output, no wrangler log, even when the
    user's environment asks wrangler for unsanitised debug logs."""
    project = copy_project(worker_project, tmp_path / "p")
    worker = Project(project).worker_name()
    api.add_script(worker)
    env = isolated_env(tmp_path, api, WRANGLER_LOG="debug", WRANGLER_LOG_SANITIZE="false")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    for name in REQUIRED:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(project)
    backend = use_backend(monkeypatch, FileKeyring(tmp_path / "keyring.json"))
    backend.set_password(f"cfmcp:{worker}:production", "CLOUDFLARE_CLIENT_ID", "id-from-keyring")

    argvs = child_argvs
    one = cli("secrets", "set", "CLOUDFLARE_CLIENT_SECRET", input="s3cret-from-stdin\n")
    rest = cli("secrets", "set", "CLOUDFLARE_CLIENT_ID", "COOKIE_ENCRYPTION_KEY", "--json")
    assert one.exit_code == 0, one.output
    assert rest.exit_code == 0, rest.output

    stored = api.scripts[worker].secrets
    assert stored["CLOUDFLARE_CLIENT_SECRET"] == "s3cret-from-stdin"
    assert stored["CLOUDFLARE_CLIENT_ID"] == "id-from-keyring"
    cookie_key = stored["COOKIE_ENCRYPTION_KEY"]
    assert re.fullmatch(r"[0-9a-f]{64}", cookie_key)
    puts = api.requests_to("PUT", f"/accounts/{{account}}/workers/scripts/{worker}/secrets")
    assert [p.json()["name"] for p in puts] == [
        "CLOUDFLARE_CLIENT_SECRET",
        "CLOUDFLARE_CLIENT_ID",
        "COOKIE_ENCRYPTION_KEY",
    ]
    assert {p.json()["type"] for p in puts} == {"secret_text"}

    values = ["s3cret-from-stdin", "id-from-keyring", cookie_key]
    wrangler_runs = [argv for argv in argvs if argv[0].endswith("wrangler")]
    assert [argv[1:4] for argv in wrangler_runs] == [
        ["secret", "put", "CLOUDFLARE_CLIENT_SECRET"],
        ["secret", "put", "CLOUDFLARE_CLIENT_ID"],
        ["secret", "put", "COOKIE_ENCRYPTION_KEY"],
    ]
    logs = [log for log in (tmp_path / "wrangler-logs").rglob("*") if log.is_file()]
    assert len(logs) >= 3  # one per wrangler run: the check below is not vacuous
    for value in values:
        assert not any(value in arg for argv in argvs for arg in argv)
        assert value not in one.output + rest.output
        for log in logs:
            assert value not in log.read_text(errors="replace"), log
    report = json.loads(rest.stdout)
    assert {x["name"]: x["source"] for x in report["secrets"]} == {
        "CLOUDFLARE_CLIENT_ID": "keyring",
        "COOKIE_ENCRYPTION_KEY": "generated",
    }
    # Saved for next time, except what came from the keyring already.
    saved = read_keyring(tmp_path / "keyring.json")[f"cfmcp:{worker}:production"]
    assert saved["CLOUDFLARE_CLIENT_SECRET"] == "s3cret-from-stdin"
    assert saved["COOKIE_ENCRYPTION_KEY"] == cookie_key


@pytest.mark.integration
def test_secrets_set_and_list_as_a_user_runs_them(worker_project, tmp_path, api):
    """A first `secrets set` on a Worker that does not exist: wrangler creates a placeholder
    Worker to hold them. No keyring on the machine: one notice, the values still go up."""
    project = copy_project(worker_project, tmp_path / "p")
    worker = Project(project).worker_name()
    env = isolated_env(
        tmp_path,
        api,
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        CLOUDFLARE_CLIENT_ID="cid-123",
        CLOUDFLARE_CLIENT_SECRET="csecret-456",
        COOKIE_ENCRYPTION_KEY="",
    )
    listed = run_cfmcp("secrets", "list", "--json", cwd=project, env=env)
    assert listed.returncode == 0, listed.stderr
    before = json.loads(listed.stdout)
    assert before["ok"] is True
    assert before["worker_exists"] is False
    assert before["missing"] == REQUIRED

    result = run_cfmcp("secrets", "set", cwd=project, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("keyring backend") == 1
    assert "placeholder" in result.stderr
    assert "cid-123" not in result.stderr + result.stdout
    assert "csecret-456" not in result.stderr + result.stdout
    assert api.scripts[worker].draft
    assert set(api.scripts[worker].secrets) == set(REQUIRED)

    (project / ".dev.vars").write_text("CLOUDFLARE_CLIENT_ID=local\nEXTRA=1\n")
    listed = run_cfmcp("secrets", "list", "--json", cwd=project, env=env)
    after = json.loads(listed.stdout)
    assert after["worker_exists"] is True and after["missing"] == []
    by_name = {x["name"]: x for x in after["secrets"]}
    assert by_name["CLOUDFLARE_CLIENT_ID"] == {
        "name": "CLOUDFLARE_CLIENT_ID",
        "required": True,
        "cloudflare": True,
        "local": True,
    }
    assert by_name["EXTRA"] == {
        "name": "EXTRA",
        "required": False,
        "cloudflare": False,
        "local": True,
    }
    assert "cid-123" not in listed.stdout and "local\n" not in listed.stdout

    human = run_cfmcp("secrets", "list", cwd=project, env=env)
    assert human.returncode == 0 and human.stdout == ""
    assert "CLOUDFLARE_CLIENT_SECRET" in human.stderr


def test_a_dev_vars_file_git_tracks_is_refused(cli, project, file_keyring, monkeypatch):
    """.gitignore does not protect a file git already tracks: refuse to write secrets there."""
    import subprocess as sp

    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", "Test")
        monkeypatch.setenv(f"GIT_{role}_EMAIL", "test@example.com")
    (project / ".dev.vars").write_text("OLD=1\n")
    sp.run(["git", "init", "-q"], cwd=project, check=True)
    sp.run(["git", "add", "-f", ".dev.vars"], cwd=project, check=True)
    sp.run(["git", "commit", "-qm", "oops"], cwd=project, check=True)
    before = (project / ".dev.vars").read_bytes()
    result = cli("secrets", "set", "COOKIE_ENCRYPTION_KEY", "--local")
    assert result.exit_code == 1
    assert "git tracks .dev.vars" in result.output
    assert "git rm --cached .dev.vars" in result.output
    assert (project / ".dev.vars").read_bytes() == before
    assert not s.is_git_ignored(Project(project), project / ".dev.vars")
    doctor = cli("doctor", "--offline", "--json")
    checks = {c["name"]: c for c in json.loads(doctor.stdout)["checks"]}
    assert checks[".dev.vars in git"]["status"] == "fail"
    assert "tracked by git" in checks[".dev.vars in git"]["message"]
