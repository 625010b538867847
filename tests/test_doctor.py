"""`cfmcp doctor`: each check, pass/warn/fail/skip, the exit code, offline and no hangs."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest

from cfmcp.node import node_satisfies
from cfmcp.project import KV_PLACEHOLDER, Project
from cfmcp.scaffold import load_template
from tests.conftest import copy_project, free_port, run_cfmcp
from tests.fake_cloudflare import FakeCloudflare, isolated_env

SECRETS = {
    "CLOUDFLARE_CLIENT_ID": "i",
    "CLOUDFLARE_CLIENT_SECRET": "s",
    "COOKIE_ENCRYPTION_KEY": "k",
}


@pytest.fixture
def project(worker_project, tmp_path) -> Path:
    root = copy_project(worker_project, tmp_path / "p")
    # Its own dev port, free: other tests may run `cfmcp dev` on 8788 meanwhile.
    path = root / "wrangler.toml"
    path.write_text(path.read_text().replace("port = 8788", f"port = {free_port()}"))
    return root


def doctor(cwd: Path, env: dict[str, str], *args: str) -> tuple[int, dict, str]:
    result = run_cfmcp("doctor", "--json", *args, cwd=cwd, env=env, timeout=120)
    return result.returncode, json.loads(result.stdout), result.stderr


def by_name(report: dict) -> dict[str, dict]:
    return {check["name"]: check for check in report["checks"]}


def headed_for_cloudflare(project: Path) -> None:
    """A KV namespace made: the Cloudflare checks count from now on."""
    path = project / "wrangler.toml"
    path.write_text(path.read_text().replace(KV_PLACEHOLDER, "2" * 32))


def seed(api: FakeCloudflare, project: Path, **secrets: str) -> None:
    headed_for_cloudflare(project)
    api.namespaces["2" * 32] = "seeded"
    api.add_script(Project(project).worker_name(), **secrets)


@pytest.mark.integration
def test_everything_ready(project, tmp_path, api):
    seed(api, project, **SECRETS)
    code, report, _ = doctor(project, isolated_env(tmp_path, api))
    assert code == 0, report
    checks = by_name(report)
    assert report["ok"] is True
    for name in ("Python", "Node.js", "wrangler", "KV namespace", "Cloudflare sign-in"):
        assert checks[name]["status"] == "pass", checks[name]
    assert checks["secrets on Cloudflare"]["status"] == "pass"
    assert "user@example.com" in checks["Cloudflare sign-in"]["message"]
    current = load_template().toolchains["current"]
    assert current.wrangler in checks["wrangler"]["message"]
    assert checks["toolchain"] == {
        "name": "toolchain",
        "status": "pass",
        "message": f"current: wrangler {current.wrangler}",
        "fix": None,
    }
    assert api.unknown == []
    port = [c for c in report["checks"] if c["name"].startswith("port ")]
    assert port and port[0]["status"] == "pass"


@pytest.mark.integration
def test_offline_skips_cloudflare_and_warnings_do_not_fail(project, tmp_path, api):
    code, report, _ = doctor(project, isolated_env(tmp_path, api), "--offline")
    assert code == 0
    checks = by_name(report)
    assert checks["KV namespace"]["status"] == "later"  # never deployed: not needed yet
    assert "cfmcp kv create" in checks["KV namespace"]["fix"]
    assert checks["Cloudflare sign-in"]["status"] == "skip"
    assert checks["secrets on Cloudflare"]["status"] == "skip"
    assert api.requests == []


@pytest.mark.integration
def test_a_fresh_local_project_passes_and_cloudflare_can_wait(project, tmp_path):
    """Made by init, run only under cfmcp dev so far: no token, no sign-in, no KV namespace.
    None of that is needed yet, so doctor passes and says when it will be."""
    result = run_cfmcp("doctor", cwd=project, env=isolated_env(tmp_path), timeout=120)
    assert result.returncode == 0, result.stderr
    for name in ("KV namespace", "API token", "Cloudflare sign-in"):
        assert f"○ {name}:" in result.stderr
    assert "not needed until you deploy" in result.stderr
    assert "✗" not in result.stderr
    code, report, _ = doctor(project, isolated_env(tmp_path))
    checks = by_name(report)
    assert code == 0 and report["ok"] is True
    assert checks["Cloudflare sign-in"]["status"] == "later"
    assert "CLOUDFLARE_API_TOKEN" in checks["Cloudflare sign-in"]["fix"]
    assert checks["wrangler.toml"]["status"] == "pass"


@pytest.mark.integration
def test_not_signed_in_fails(project, tmp_path):
    """Once a project is headed for Cloudflare (a KV namespace made), sign-in matters."""
    headed_for_cloudflare(project)
    code, report, _ = doctor(project, isolated_env(tmp_path))
    assert code == 1 and report["ok"] is False
    checks = by_name(report)
    assert checks["Cloudflare sign-in"]["status"] == "fail"
    assert "CLOUDFLARE_API_TOKEN" in checks["Cloudflare sign-in"]["fix"]
    assert checks["secrets on Cloudflare"]["status"] == "skip"


@pytest.mark.integration
def test_missing_secrets_fail_and_a_new_worker_warns(project, tmp_path, api):
    seed(api, project, CLOUDFLARE_CLIENT_ID="i")
    code, report, _ = doctor(project, isolated_env(tmp_path, api))
    assert code == 1
    secrets = by_name(report)["secrets on Cloudflare"]
    assert secrets["status"] == "fail"
    assert secrets["message"] == "missing: CLOUDFLARE_CLIENT_SECRET, COOKIE_ENCRYPTION_KEY"
    assert secrets["fix"] == "Run `cfmcp secrets set`."

    api.scripts.clear()
    code, report, _ = doctor(project, isolated_env(tmp_path, api))
    assert code == 0
    assert by_name(report)["secrets on Cloudflare"]["status"] == "warn"


@pytest.mark.integration
def test_api_down_fails_fast_with_the_offline_hint(project, tmp_path, api):
    headed_for_cloudflare(project)
    env = isolated_env(tmp_path, api)
    api.stop()
    started = time.monotonic()
    code, report, _ = doctor(project, env)
    assert time.monotonic() - started < 60
    assert code == 1
    signin = by_name(report)["Cloudflare sign-in"]
    assert signin["status"] == "fail" and "network" in signin["message"]
    assert "--offline" in signin["fix"]


@pytest.mark.integration
def test_dev_vars_readable_by_others_and_not_ignored(project, tmp_path):
    dev_vars = project / ".dev.vars"
    dev_vars.write_text("COOKIE_ENCRYPTION_KEY=x\n")
    dev_vars.chmod(0o644)
    (project / ".gitignore").write_text("node_modules/\n")
    code, report, _ = doctor(project, isolated_env(tmp_path), "--offline")
    assert code == 1
    checks = by_name(report)
    assert checks[".dev.vars"]["status"] == "warn"
    assert checks[".dev.vars"]["fix"] == f"chmod 600 {dev_vars}"
    assert checks[".dev.vars in git"]["status"] == "fail"

    dev_vars.chmod(0o600)
    (project / ".gitignore").write_text("node_modules/\n.dev.vars\n")
    code, report, _ = doctor(project, isolated_env(tmp_path), "--offline")
    assert code == 0
    assert by_name(report)[".dev.vars"]["status"] == "pass"
    assert ".dev.vars in git" not in by_name(report)


@pytest.mark.integration
def test_an_env_wrangler_toml_does_not_define_fails(project, tmp_path):
    code, report, _ = doctor(project, isolated_env(tmp_path), "--offline", "--env", "stagging")
    assert code == 1
    check = by_name(report)["environment"]
    assert check["status"] == "fail" and "no [env.stagging]" in check["message"]
    assert "--create-env" in check["fix"]
    assert "KV namespace" not in by_name(report)


@pytest.mark.integration
def test_dev_port_in_use_warns(project, tmp_path):
    port = int(Project(project).load_wrangler()["dev"]["port"])
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", port))
        listener.listen()
        code, report, _ = doctor(project, isolated_env(tmp_path), "--offline")
    assert code == 0
    check = by_name(report)[f"port {port}"]
    assert check["status"] == "warn" and "--port" in check["fix"]


def test_wrangler_too_new_for_this_node(cli, tmp_path):
    """wrangler 4.87+ declares node >= 22: on Node 20 that is a failure with the way out."""
    project = tmp_path / "p"
    assert cli("init", str(project), "--no-install", "--no-git", "--yes").exit_code == 0
    package = project / "node_modules" / "wrangler" / "package.json"
    package.parent.mkdir(parents=True)
    package.write_text(json.dumps({"version": "4.87.0", "engines": {"node": ">=99.0.0"}}))
    binary = project / "node_modules" / ".bin" / "wrangler"
    binary.parent.mkdir()
    binary.write_text("#!/bin/sh\nexit 1\n")
    binary.chmod(0o755)
    code, report, _ = doctor(project, isolated_env(tmp_path), "--offline")
    assert code == 1
    check = by_name(report)["wrangler"]
    assert check["status"] == "fail"
    assert ">=99.0.0" in check["message"] and "22.12" in check["fix"]
    assert "4.86" not in check["fix"]  # no advice to pin an old wrangler


def test_no_wrangler_and_a_broken_wrangler_toml(cli, tmp_path):
    project = tmp_path / "p"
    assert cli("init", str(project), "--no-install", "--no-git", "--yes").exit_code == 0
    (project / "wrangler.toml").write_text('name = "x"\n[broken\n')
    code, report, _ = doctor(project, isolated_env(tmp_path))
    assert code == 1
    checks = by_name(report)
    assert checks["wrangler"]["status"] == "fail" and "npm ci" in checks["wrangler"]["fix"]
    assert checks["wrangler.toml"]["status"] == "fail"
    assert "line 2" in checks["wrangler.toml"]["message"]
    assert checks["Cloudflare sign-in"]["status"] == "skip"


def test_offline_catches_a_wrangler_toml_without_a_name(cli, tmp_path):
    project = tmp_path / "p"
    assert cli("init", str(project), "--no-install", "--no-git", "--yes").exit_code == 0
    path = project / "wrangler.toml"
    path.write_text(path.read_text().replace('name = "p"\n', "", 1))
    code, report, _ = doctor(project, isolated_env(tmp_path), "--offline")
    assert code == 1
    check = by_name(report)["wrangler.toml"]
    assert check["status"] == "fail" and "has no `name`" in check["message"]
    assert check["fix"] == 'Add name = "my-worker".'


def test_outside_a_project(tmp_path):
    code, report, _ = doctor(tmp_path, isolated_env(tmp_path))
    checks = by_name(report)
    assert checks["project"]["status"] == "skip"
    assert report["project"] is None
    assert code == (0 if checks["Node.js"]["status"] == "pass" else 1)


def test_human_output_one_line_per_check(tmp_path):
    result = run_cfmcp("doctor", "--offline", cwd=tmp_path, env=isolated_env(tmp_path))
    assert result.stdout == ""
    assert "✓ Python:" in result.stderr
    assert "- project:" in result.stderr


@pytest.mark.parametrize(
    ("version", "node_range", "expected"),
    [
        ((20, 20, 2), ">=20.3.0", True),
        ((20, 2, 0), ">=20.3.0", False),
        ((20, 20, 2), ">=22.0.0", False),
        ((22, 1, 0), ">=22", True),
        ((22, 1, 0), ">=20.0.0 <22", False),
        ((20, 20, 2), None, True),
        ((20, 20, 2), "^20 || ^22", None),
    ],
)
def test_node_satisfies(version, node_range, expected):
    assert node_satisfies(version, node_range) is expected


def test_the_node20_toolchain_is_a_warning_with_the_way_up(cli, tmp_path):
    project = tmp_path / "p"
    args = ("init", str(project), "--no-install", "--no-git", "--toolchain", "node20")
    assert cli(*args).exit_code == 0
    current = load_template().toolchains["current"]
    _, report, _ = doctor(project, isolated_env(tmp_path), "--offline")
    check = by_name(report)["toolchain"]
    assert check["status"] == "warn" and "Node 20 is end-of-life" in check["message"]
    assert 'follow "Move to the current toolchain"' in check["fix"]
    # A project made before its README had the section gets the steps themselves.
    readme = project / "README.md"
    readme.write_text(readme.read_text().split("### Move to the current toolchain")[0])
    _, report, _ = doctor(project, isolated_env(tmp_path), "--offline")
    fix = by_name(report)["toolchain"]["fix"]
    assert f"wrangler@{current.wrangler}" in fix and current.compatibility_date in fix
    # Moved up by hand (package.json pins the current wrangler): no warning.
    package = project / "package.json"
    package.write_text(package.read_text().replace('"4.86.0"', f'"{current.wrangler}"'))
    _, report, _ = doctor(project, isolated_env(tmp_path), "--offline")
    assert by_name(report)["toolchain"]["status"] == "pass"
