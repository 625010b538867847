"""The Node.js lines the tests need, each from the machine when it has one that fits, else from
the npm registry (the `node-<os>-<arch>` packages carry the real binary), installed once into a
cache folder and reused by later runs.

The current toolchain set needs Node 22.12+ (and MCP Inspector 2.x, which the tests drive,
22.19+); the Node 20 set runs on Node 20.3 up to 22.11. A machine with only Node 20 gets Node
24 from the registry, and one with only Node 24 gets Node 20 the same way: the suite runs both
sets anywhere.
"""

from __future__ import annotations

import fcntl
import os
import platform
import shutil
import subprocess
from pathlib import Path

from cfmcp.node import node_version

# PATH as the test run found it, before any fixture put another Node first.
ORIGINAL_PATH = os.environ.get("PATH", "")
CACHE = Path(os.environ.get("CFMCP_TEST_CACHE") or Path.home() / ".cache" / "cfmcp-tests")


class NodeLine:
    """A Node line the tests can run: its range, and the registry version to fetch."""

    def __init__(self, name: str, low: tuple[int, int, int], high: tuple[int, int, int] | None,
                 fetch: str):  # fmt: skip
        self.name, self.low, self.high, self.fetch = name, low, high, fetch

    def fits(self, version: tuple[int, int, int] | None) -> bool:
        return (
            version is not None
            and version >= self.low
            and (self.high is None or version < self.high)
        )


# The registry versions fetched when the machine has no Node that fits (exact: the same binary
# every run; npm checks the package's integrity).
CURRENT = NodeLine("current", (22, 19, 0), None, "24.22.3")  # 22.19: MCP Inspector 2.x
NODE20 = NodeLine("node20", (20, 3, 0), (22, 12, 0), "20.20.2")


def machine_node() -> Path | None:
    found = shutil.which("node", path=ORIGINAL_PATH)
    return Path(found) if found else None


def bin_dir(line: NodeLine) -> Path:
    """A folder whose `node` is of `line`: the machine's, else one fetched from npm (cached)."""
    node = machine_node()
    if node is not None and line.fits(node_version(str(node))):
        return node.parent
    return fetch(line.fetch)


def fetch(version: str) -> Path:
    package = _package_name()
    prefix = CACHE / f"{package}-{version}"
    binary = prefix / "node_modules" / package / "bin" / "node"
    prefix.mkdir(parents=True, exist_ok=True)
    with open(prefix / ".lock", "w") as lock:  # one download, even with parallel runs
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not binary.exists():
            npm = shutil.which("npm", path=ORIGINAL_PATH)
            assert npm, "npm is needed to fetch Node.js for the tests"
            subprocess.run(
                [npm, "install", "--prefix", str(prefix), "--no-save", "--no-fund",
                 "--no-audit", "--loglevel=error", f"{package}@{version}"],
                check=True, timeout=600, stdin=subprocess.DEVNULL,
            )  # fmt: skip
    assert binary.exists(), f"{package}@{version} has no bin/node"
    return binary.parent


def _package_name() -> str:
    system = {"Linux": "linux", "Darwin": "darwin"}.get(platform.system())
    arch = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}.get(
        platform.machine().lower()
    )
    assert system and arch, f"no Node.js package for {platform.system()} {platform.machine()}"
    return f"node-{system}-{arch}"


def path_with(folder: Path) -> str:
    """PATH with `folder` first: its `node` wins, and npm (a script run by `env node`) too."""
    return f"{folder}{os.pathsep}{ORIGINAL_PATH}"


def npm_tools(*packages: str) -> Path:
    """A folder of npm packages (exact versions) installed once into the cache; returns its
    node_modules/.bin. Installed with the Node first on PATH when first asked."""
    key = "-".join(p.replace("@", "").replace("/", "_") for p in sorted(packages))
    prefix = CACHE / "npm" / key
    bin_folder = prefix / "node_modules" / ".bin"
    prefix.mkdir(parents=True, exist_ok=True)
    with open(prefix / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (prefix / ".done").exists():
            npm = shutil.which("npm")
            assert npm, "npm is needed to install the test's clients"
            subprocess.run(
                [npm, "install", "--prefix", str(prefix), "--no-save", "--no-fund",
                 "--no-audit", "--loglevel=error", *packages],
                check=True, timeout=900, stdin=subprocess.DEVNULL,
            )  # fmt: skip
            (prefix / ".done").write_text("\n".join(packages) + "\n")
    return bin_folder


def python_venv(name: str, *requirements: str) -> Path:
    """A virtual environment with `requirements`, made once into the cache; returns its
    python."""
    import sys

    prefix = CACHE / "venv" / f"{name}-py{sys.version_info[0]}{sys.version_info[1]}"
    python = prefix / "bin" / "python"
    prefix.parent.mkdir(parents=True, exist_ok=True)
    with open(prefix.parent / f".{prefix.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (prefix / ".done").exists():
            shutil.rmtree(prefix, ignore_errors=True)
            subprocess.run([sys.executable, "-m", "venv", str(prefix)], check=True, timeout=300)
            subprocess.run(
                [str(python), "-m", "pip", "install", "--quiet", *requirements],
                check=True, timeout=900, stdin=subprocess.DEVNULL,
            )  # fmt: skip
            (prefix / ".done").write_text("\n".join(requirements) + "\n")
    return python


def put_current_node_first() -> Path:
    """For scripts outside pytest (bench/): a Node for the current toolchain first on PATH."""
    folder = bin_dir(CURRENT)
    os.environ["PATH"] = path_with(folder)
    return folder
