"""Node 20 keeps working: `cfmcp init` on Node 20.3 up to 22.11 writes the same `src/` with the
last toolchain that runs there (wrangler 4.86.0), and it installs, type-checks, serves and
answers both protocol eras. A current-set project on that Node stops with a clear error."""

import json
import os
import subprocess
from pathlib import Path

import pytest

from cfmcp.scaffold import load_template
from tests import nodes
from tests.conftest import copy_project, free_port, run_cfmcp
from tests.devserver import cfmcp_dev
from tests.test_project_tests import OAUTH_TESTS, SESSION_TESTS, TOOL_TESTS, npm_test, passed

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def node20_env() -> dict[str, str]:
    """PATH with a Node 20 first: the machine's own when it has one, else from npm."""
    return {"PATH": nodes.path_with(nodes.bin_dir(nodes.NODE20))}


@pytest.fixture(scope="module")
def node20_project(node20_env, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("node20") / "old-node-mcp"
    result = run_cfmcp(
        "init", str(root), "--yes", "--no-git", "--json", env=node20_env, timeout=900
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    node20 = load_template().toolchains["node20"]
    assert report["toolchain"] == {"name": "node20", "wrangler": node20.wrangler}
    assert report["installed"] is True
    return root


def test_init_says_once_how_to_move_up(node20_env, tmp_path):
    result = run_cfmcp("init", str(tmp_path / "p"), "--no-install", "--no-git", env=node20_env)
    assert result.returncode == 0, result.stderr
    message = " ".join(result.stderr.split())
    assert message.count("end-of-life") == 1 and "Node.js 22.12.0+ brings wrangler" in message
    readme = (tmp_path / "p" / "README.md").read_text()
    current = load_template().toolchains["current"]
    assert "### Move to the current toolchain" in readme
    assert f"wrangler@{current.wrangler}" in readme


def test_the_node20_project_type_checks(node20_env, node20_project):
    result = subprocess.run(
        ["npm", "run", "typecheck"], cwd=node20_project, capture_output=True, text=True,
        env={**os.environ, **node20_env}, check=False, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "tsc -p test" in result.stdout  # the tests are type-checked too


def test_the_node20_project_tests_itself(node20_env, node20_project):
    """`npm test` on Node 20: the same tests, TypeScript by test/typescript.mjs, the Worker
    started by the API wrangler 4.86 has."""
    code, output = npm_test(node20_project, offline=True, env=node20_env)
    assert code == 0, output
    assert passed(output) == {*TOOL_TESTS, *OAUTH_TESTS}, output


def test_a_stateful_node20_project_tests_itself(node20_env, node20_project, tmp_path):
    """The Durable Object variant builds under wrangler 4.86's startWorker too (its `agents`
    code needs Node's built-ins)."""
    root = tmp_path / "old-node-mcp"
    result = run_cfmcp(
        "init", str(root), "--stateful", "--no-install", "--no-git", "--toolchain", "node20",
        env=node20_env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    (root / "node_modules").symlink_to(node20_project / "node_modules", target_is_directory=True)
    code, output = npm_test(root, env=node20_env)
    assert code == 0, output
    assert passed(output) == {*TOOL_TESTS, *OAUTH_TESTS, *SESSION_TESTS}, output


def test_the_node20_project_serves_both_eras_locally_and_through_a_tunnel(
    node20_env, node20_project, tmp_path
):
    """wrangler 4.86 has `wrangler tunnel quick-start` too (measured), so --tunnel works on
    the Node 20 toolchain the same way (cloudflared here is the tests' stand-in)."""
    from tests.tunnel_kit import make_edge

    edge = make_edge(tmp_path / "edge")
    env = {**node20_env, **edge.dev_env()}
    with cfmcp_dev(node20_project, "--tunnel", env=env) as running:
        local = run_cfmcp(
            "check", running.url, "--headless", "--era", "both", "--json",
            env=node20_env, timeout=120,
        )  # fmt: skip
        public = run_cfmcp(
            "check", running.record["tunnel_url"], "--headless", "--era", "both",
            "--transport", "mcp", "--json", cwd=node20_project,
            env={**node20_env, **edge.client_env()}, timeout=120,
        )  # fmt: skip
    for result in (local, public):
        assert result.returncode == 0, result.stdout + result.stderr
        names = [step["name"] for step in json.loads(result.stdout)["steps"]]
        assert "tools/call add (/mcp, 2026-07-28)" in names
        assert "tools/call add (/mcp, 2025)" in names
    assert json.loads(public.stdout)["url"].endswith(".trycloudflare.com")


def test_doctor_warns_about_the_old_toolchain(node20_env, node20_project):
    result = run_cfmcp("doctor", "--offline", "--json", cwd=node20_project, env=node20_env)
    checks = {check["name"]: check for check in json.loads(result.stdout)["checks"]}
    assert checks["toolchain"]["status"] == "warn"
    assert "Move to the current toolchain" in checks["toolchain"]["fix"]
    assert checks["wrangler"]["status"] == "pass"


def test_a_current_project_on_node20_stops_with_the_way_out(worker_project, node20_env, tmp_path):
    project = copy_project(worker_project, tmp_path / "too-new")
    current = load_template().toolchains["current"]
    commands = [("dev", "--port", str(free_port())), ("deploy",), ("kv", "create"), ("up", "--yes")]
    for args in commands:
        result = run_cfmcp(*args, cwd=project, env=node20_env, timeout=60)
        assert result.returncode == 1, args
        message = " ".join(result.stderr.split())
        assert f"wrangler {current.wrangler} needs Node.js >=22.12.0" in message, args
        assert "nodejs.org" in message and "Traceback" not in message
    doctor = run_cfmcp("doctor", "--offline", "--json", cwd=project, env=node20_env)
    assert doctor.returncode == 1
    checks = {check["name"]: check for check in json.loads(doctor.stdout)["checks"]}
    assert checks["wrangler"]["status"] == "fail"


def test_an_openid_connect_node20_project_tests_itself(node20_env, node20_project, tmp_path):
    """`jose` (ID tokens) and the issuer stand-in run under wrangler 4.86 and Node 20 too, and
    the sign-in code type-checks against that toolchain's older workers-types."""
    from tests.test_oidc import ID_TOKEN_TESTS

    root = tmp_path / "old-node-oidc"
    result = run_cfmcp(
        "init", str(root), "--auth", "oidc", "--no-install", "--no-git", "--toolchain", "node20",
        env=node20_env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    (root / "node_modules").symlink_to(node20_project / "node_modules", target_is_directory=True)
    typecheck = subprocess.run(
        ["npm", "run", "typecheck"], cwd=root, capture_output=True, text=True,
        env={**os.environ, **node20_env}, check=False, timeout=300,
    )  # fmt: skip
    assert typecheck.returncode == 0, typecheck.stdout + typecheck.stderr  # workers-types 4.x
    code, output = npm_test(root, env=node20_env)
    assert code == 0, output
    assert passed(output) == {*TOOL_TESTS, *OAUTH_TESTS, *ID_TOKEN_TESTS}, output
