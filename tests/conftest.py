"""Shared fixtures. Unit tests run the CLI in-process; integration tests run real processes."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cfmcp.cli import app

REPO_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def cli() -> Callable[..., object]:
    """Run cfmcp in-process: cli("init", "x", "--no-install") -> click Result."""
    runner = CliRunner()

    def run(*args: str, input: str | None = None, env: dict[str, str] | None = None):
        return runner.invoke(app, list(args), input=input, env=env, catch_exceptions=False)

    return run


def ctrl_c_as_at_a_terminal() -> None:
    """For Popen(preexec_fn=…): SIGINT back to its default in the child, as at a terminal. A
    test run started in the background hands it down ignored, and then Ctrl-C is nothing."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run_cfmcp(
    *args: str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    input: str | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """Run cfmcp as a separate process, the way a user does."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "cfmcp", *args],
        cwd=cwd,
        env=full_env,
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=None if input is not None else subprocess.DEVNULL,
    )


# --- the generated Worker project, installed once per test session ---------------------------

TEST_SECRETS = {
    "CLOUDFLARE_CLIENT_ID": "test-upstream-client",
    "CLOUDFLARE_CLIENT_SECRET": "test-upstream-secret",
    "COOKIE_ENCRYPTION_KEY": "0123456789abcdef" * 4,
}


@pytest.fixture(scope="session")
def current_node() -> Path:
    """A Node.js for the current toolchain set (22.19+): the machine's, else one from the npm
    registry (cached). It goes first on PATH for the rest of the run."""
    from tests import nodes

    folder = nodes.bin_dir(nodes.CURRENT)
    os.environ["PATH"] = nodes.path_with(folder)
    return folder


@pytest.fixture(scope="session")
def worker_project(tmp_path_factory: pytest.TempPathFactory, current_node: Path) -> Path:
    """A stateless project made by `cfmcp init` on the current toolchain, its npm packages
    installed (one npm ci per session).

    Tests that change files in it must put them back; tests that need their own project
    copy it with `copy_project`.
    """
    root = tmp_path_factory.mktemp("worker") / "demo-mcp"
    result = run_cfmcp("init", str(root), "--yes", "--no-git", "--json", timeout=900)
    assert result.returncode == 0, result.stderr + result.stdout
    assert json.loads(result.stdout)["toolchain"]["name"] == "current"
    assert (root / "node_modules" / ".bin" / "wrangler").exists()
    return root


@pytest.fixture(scope="session")
def stateful_project(tmp_path_factory: pytest.TempPathFactory, worker_project: Path) -> Path:
    """A `--stateful` project on the same toolchain: the same lockfile, so it shares the
    stateless project's node_modules."""
    root = tmp_path_factory.mktemp("stateful") / "stateful-mcp"
    return sibling_project(root, worker_project, "--stateful")


def copy_project(source: Path, destination: Path) -> Path:
    """A copy of a generated project that shares the installed node_modules (by symlink)."""
    import shutil

    shutil.copytree(source, destination, ignore=shutil.ignore_patterns("node_modules", ".wrangler"))
    (destination / "node_modules").symlink_to(source / "node_modules", target_is_directory=True)
    return destination


def sibling_project(root: Path, worker_project: Path, *init_args: str) -> Path:
    """`cfmcp init` of another project (options in `init_args`) on the current toolchain: every
    provider and variant has the same package set, so it shares `worker_project`'s
    node_modules, and its lockfile is the same but for the name."""
    result = run_cfmcp(
        "init", str(root), *init_args, "--no-install", "--no-git", "--json",
        "--toolchain", "current",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lock = (root / "package-lock.json").read_text().replace(root.name, "demo-mcp")
    assert lock == (worker_project / "package-lock.json").read_text()
    (root / "node_modules").symlink_to(worker_project / "node_modules", target_is_directory=True)
    return root


def write_env_file(path: Path, values: dict[str, str]) -> Path:
    path.write_text("".join(f"{key}={value}\n" for key, value in values.items()))
    path.chmod(0o600)
    return path


# --- Cloudflare's API, faked on loopback; child processes watched ----------------------------


@pytest.fixture
def api():
    """A fake Cloudflare API on a free loopback port (see tests/fake_cloudflare.py)."""
    from tests.fake_cloudflare import FakeCloudflare

    with FakeCloudflare() as fake:
        yield fake


@pytest.fixture
def child_argvs(monkeypatch) -> list[list[str]]:
    """The argv of every child process started in this process during the test (every one goes
    through Popen, subprocess.run included): for asserting no secret is ever on one."""
    argvs: list[list[str]] = []
    real_popen = subprocess.Popen

    class RecordingPopen(real_popen):  # type: ignore[misc, valid-type]
        def __init__(self, args, *a, **kw):
            argvs.append([str(x) for x in args])
            super().__init__(args, *a, **kw)

    monkeypatch.setattr(subprocess, "Popen", RecordingPopen)
    return argvs


@pytest.fixture(scope="module", params=["stateless", "stateful"])
def variant_dev(request, tmp_path_factory):
    """`cfmcp dev` of a copy of each variant's project, one per test module and variant."""
    from tests.devserver import cfmcp_dev

    source = request.getfixturevalue(
        "worker_project" if request.param == "stateless" else "stateful_project"
    )
    project = copy_project(source, tmp_path_factory.mktemp(request.param) / f"{request.param}-mcp")
    with cfmcp_dev(project, "--user", "ada@example.dev") as running:
        running.variant = request.param
        yield running
