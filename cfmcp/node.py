"""Node.js and npm: finding them, checking the version, installing a project's packages.

The template has a toolchain set per Node line (see templates/cloudflare/template.json): the
current one needs Node 22.12+ (wrangler 4.87 and newer stop on anything older, measured), and
the last wrangler that runs on Node 20 (4.86.0, Node >= 20.3.0) keeps Node 20 machines working.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from cfmcp.errors import CfmcpError

if TYPE_CHECKING:
    from cfmcp.scaffold import Template, Toolchain

# The oldest Node any toolchain set runs on: wrangler 4.86.0 declares node >= 20.3.0.
OLDEST_NODE = (20, 3, 0)
INSTALL_HINT = (
    "Install Node.js 22.12 or newer (an LTS: 22 or 24) from https://nodejs.org, or with a "
    "version manager (`nvm install 24`, `fnm install 24`, `volta install node@24`), then run "
    "the command again."
)


@dataclass(frozen=True)
class NodeInstall:
    node: str
    npm: str
    version: tuple[int, int, int]

    @property
    def version_text(self) -> str:
        return version_text(self.version)


def version_text(version: tuple[int, ...]) -> str:
    return ".".join(map(str, version))


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


@lru_cache(maxsize=8)
def _version_of(node: str) -> tuple[int, int, int] | None:
    return node_version(node)


def find_node(minimum: tuple[int, int, int] = OLDEST_NODE, *, needed_by: str = "") -> NodeInstall:
    """Node and npm from PATH, or a CfmcpError naming the version found, the one needed and how
    to get it."""
    node = shutil.which("node")
    if node is None:
        raise CfmcpError("Node.js was not found on PATH.", hint=INSTALL_HINT)
    version = _version_of(node)
    if version is None:
        raise CfmcpError(f"Could not read the version of {node}.", hint=INSTALL_HINT)
    if version < minimum:
        raise node_too_old(version, version_text(minimum), needed_by)
    npm = shutil.which("npm")
    if npm is None:
        raise CfmcpError(
            "npm was not found on PATH (it normally comes with Node.js).", hint=INSTALL_HINT
        )
    return NodeInstall(node=node, npm=npm, version=version)


def node_too_old(found: tuple[int, int, int], needed: str, needed_by: str = "") -> CfmcpError:
    who = needed_by or "The Worker's toolchain"
    return CfmcpError(
        f"Node.js {version_text(found)} is too old: {who} needs {needed} or newer.",
        hint=INSTALL_HINT,
    )


def require_node_range(node_range: str | None, *, needed_by: str) -> None:
    """Stop with a clear error when the Node on PATH does not meet `node_range` (an engines
    range such as ">=22.12.0"); ranges of other forms are not judged."""
    node = shutil.which("node")
    if node is None:
        raise CfmcpError(f"Node.js was not found on PATH: {needed_by} needs it.", hint=INSTALL_HINT)
    version = _version_of(node)
    if version is None or node_satisfies(version, node_range) is not False:
        return
    raise CfmcpError(
        f"{needed_by} needs Node.js {node_range}; the Node on PATH ({node}) is "
        f"{version_text(version)}.",
        hint=INSTALL_HINT,
    )


def node_satisfies(version: tuple[int, int, int], node_range: str | None) -> bool | None:
    """Whether `version` meets simple ranges like ">=20.3.0" or ">=22.0.0 <25"; None when the
    range is of another form."""
    if not node_range:
        return True
    compare = {
        ">=": lambda bound: version >= bound,
        ">": lambda bound: version > bound,
        "<=": lambda bound: version <= bound,
        "<": lambda bound: version < bound,
    }
    ok = True
    for part in node_range.split():
        match = re.fullmatch(r"(>=|>|<=|<)?v?(\d+)(?:\.(\d+))?(?:\.(\d+))?", part)
        if not match:
            return None
        bound = (int(match[2]), int(match[3] or 0), int(match[4] or 0))
        ok = ok and compare[match[1] or ">="](bound)
    return ok


def pick_toolchain(template: Template, version: tuple[int, int, int] | None) -> Toolchain:
    """The newest toolchain set this Node runs; the newest of all when Node is unknown or too
    old for any (the user installs a current Node for it)."""
    newest = next(iter(template.toolchains.values()))
    if version is None:
        return newest
    for toolchain in template.toolchains.values():  # newest first
        if version >= toolchain.min_node:
            return toolchain
    return newest


def npm_ci(project_root: Path, node: NodeInstall) -> None:
    """`npm ci` in the project: exact versions from package-lock.json."""
    run_npm(project_root, node, "ci")


def run_npm(project_root: Path, node: NodeInstall, command: str) -> None:
    """`npm ci` or `npm install` in the project, quietly; a CfmcpError with npm's last lines
    when it fails."""
    env = dict(os.environ)
    env.setdefault("npm_config_fund", "false")
    env.setdefault("npm_config_audit", "false")
    env.setdefault("npm_config_update_notifier", "false")
    # npm runs install scripts of its own children: a Ctrl-C stops the whole group.
    from cfmcp import console
    from cfmcp.process import run_group

    started = time.perf_counter()
    result = run_group([node.npm, command, "--no-fund", "--no-audit"], cwd=project_root, env=env)
    console.trace(
        f"$ npm {command}  (exit {result.returncode}, {time.perf_counter() - started:.2f} s)"
    )
    if result.returncode != 0:
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-12:])
        raise CfmcpError(
            f"npm {command} failed in {project_root} (exit {result.returncode}):\n{tail}",
            hint=f"Fix the cause above, then run `npm {command}` in {project_root}.",
        )
