"""cfmcp installs like any Python tool: `uv tool install`, `uvx` and `pipx install`, from the
source tree, each into folders of the test's own (the installers themselves come from PyPI,
pinned, into the shared test cache)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cfmcp import __version__
from tests import nodes
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.integration

UV = "uv==0.13.9"
PIPX = "pipx==1.18.4"


@pytest.fixture(scope="module")
def installers() -> Path:
    """The bin folder of a venv holding uv and pipx."""
    return nodes.python_venv("installers", UV, PIPX).parent


def tool_env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "UV_TOOL_DIR": str(tmp_path / "uv-tools"),
        "UV_TOOL_BIN_DIR": str(tmp_path / "bin"),
        "UV_CACHE_DIR": str(nodes.CACHE / "uv-cache"),  # shared: the packages come once
        "UV_PYTHON_DOWNLOADS": "never",  # this machine's Python, never a downloaded one
        "PIPX_HOME": str(tmp_path / "pipx"),
        "PIPX_BIN_DIR": str(tmp_path / "bin"),
        "PIPX_MAN_DIR": str(tmp_path / "man"),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "NO_COLOR": "1",
    }


def run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        args, env=env, cwd=cwd, capture_output=True, text=True, timeout=900,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.mark.parametrize("how", ["uv tool install", "pipx install", "uvx --from"])
def test_the_installed_tool_makes_a_project(installers, tmp_path, how):
    env = tool_env(tmp_path)
    python = sys.executable
    if how == "uv tool install":
        run([str(installers / "uv"), "tool", "install", "--python", python, str(REPO_ROOT)],
            env, tmp_path)  # fmt: skip
        cfmcp = [str(tmp_path / "bin" / "cfmcp")]
    elif how == "pipx install":
        run([str(installers / "pipx"), "install", "--python", python, str(REPO_ROOT)],
            env, tmp_path)  # fmt: skip
        cfmcp = [str(tmp_path / "bin" / "cfmcp")]
    else:
        cfmcp = [str(installers / "uvx"), "--python", python, "--from", str(REPO_ROOT), "cfmcp"]

    version = run([*cfmcp, "--version"], env, tmp_path)
    assert version.stdout.strip() == f"cfmcp {__version__}"
    made = run([*cfmcp, "init", "demo", "--no-install", "--no-git", "--json"], env, tmp_path)
    files = json.loads(made.stdout)["files"]
    assert {"wrangler.toml", "src/tools.ts", "package-lock.json"} <= set(files)
    # Completion works from the installed script (Typer's, through its environment variable).
    completion = subprocess.run(
        cfmcp, env={**env, "_CFMCP_COMPLETE": "complete_bash", "COMP_WORDS": "cfmcp de",
                    "COMP_CWORD": "1"},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert completion.stdout.split() == ["deploy", "dev"]
