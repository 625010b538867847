"""Node.js and npm: finding them, checking the version, installing a project's packages."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from cfmcp.errors import CfmcpError

# wrangler 4.86 (the newest that runs on Node 20) declares node >= 20.3.0.
MIN_NODE = (20, 3, 0)
MIN_NODE_TEXT = "20.3"
INSTALL_HINT = (
    f"Install Node.js {MIN_NODE_TEXT} or newer (22 LTS recommended) from https://nodejs.org, "
    "or with a version manager (`nvm install 22`, `fnm install 22`), then run the command again."
)


@dataclass(frozen=True)
class NodeToolchain:
    node: str
    npm: str
    version: tuple[int, int, int]

    @property
    def version_text(self) -> str:
        return ".".join(map(str, self.version))


def parse_node_version(text: str) -> tuple[int, int, int] | None:
    match = re.search(r"v?(\d+)\.(\d+)\.(\d+)", text)
    return (int(match[1]), int(match[2]), int(match[3])) if match else None


def node_version(node: str) -> tuple[int, int, int] | None:
    try:
        result = subprocess.run(
            [node, "--version"], capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return parse_node_version(result.stdout)


def find_toolchain() -> NodeToolchain:
    """Node and npm from PATH, or a CfmcpError naming the minimum version and how to get it."""
    node = shutil.which("node")
    if node is None:
        raise CfmcpError("Node.js was not found on PATH.", hint=INSTALL_HINT)
    version = node_version(node)
    if version is None:
        raise CfmcpError(f"Could not read the version of {node}.", hint=INSTALL_HINT)
    if version < MIN_NODE:
        found = ".".join(map(str, version))
        raise CfmcpError(
            f"Node.js {found} is too old: the Worker's toolchain needs {MIN_NODE_TEXT} or newer.",
            hint=INSTALL_HINT,
        )
    npm = shutil.which("npm")
    if npm is None:
        raise CfmcpError(
            "npm was not found on PATH (it normally comes with Node.js).", hint=INSTALL_HINT
        )
    return NodeToolchain(node=node, npm=npm, version=version)


def npm_ci(project_root: Path, toolchain: NodeToolchain) -> None:
    """`npm ci` in the project: exact versions from package-lock.json."""
    env = dict(os.environ)
    env.setdefault("npm_config_fund", "false")
    env.setdefault("npm_config_audit", "false")
    env.setdefault("npm_config_update_notifier", "false")
    result = subprocess.run(
        [toolchain.npm, "ci", "--no-fund", "--no-audit"],
        cwd=project_root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-12:])
        raise CfmcpError(
            f"npm ci failed in {project_root} (exit {result.returncode}):\n{tail}",
            hint=f"Fix the cause above, then run `npm ci` in {project_root}.",
        )
