"""Where things live on each operating system.

Every platform question goes through `current_platform()` and every folder is derived from
`Path.home()` and `os.environ`, so tests can patch the platform and point HOME, APPDATA,
LOCALAPPDATA and XDG_CONFIG_HOME at a temporary folder.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Literal

Platform = Literal["darwin", "windows", "linux"]


def current_platform() -> Platform:
    if sys.platform == "darwin":
        return "darwin"
    if sys.platform.startswith(("win32", "cygwin")):
        return "windows"
    return "linux"


def home() -> Path:
    return Path.home()


def _env_folder(variable: str) -> Path | None:
    value = os.environ.get(variable)
    if value and Path(value).is_absolute():
        return Path(value)
    return None


def appdata() -> Path:
    """%APPDATA% (the roaming profile folder) on Windows."""
    return _env_folder("APPDATA") or home() / "AppData" / "Roaming"


def local_appdata() -> Path:
    """%LOCALAPPDATA% on Windows."""
    return _env_folder("LOCALAPPDATA") or home() / "AppData" / "Local"


def xdg_config_home() -> Path:
    return _env_folder("XDG_CONFIG_HOME") or home() / ".config"


def application_support() -> Path:
    """~/Library/Application Support on macOS."""
    return home() / "Library" / "Application Support"


def user_config_root() -> Path:
    """Where Electron apps (Claude Desktop, VS Code) keep per-user settings on this platform."""
    platform = current_platform()
    if platform == "darwin":
        return application_support()
    if platform == "windows":
        return appdata()
    return xdg_config_home()


# Where GUI apps find programs when started from a dock or start menu, not a shell.
SYSTEM_PATH = ("/usr/local/bin", "/usr/bin", "/bin")


def npx_for_apps() -> tuple[str, str] | None:
    """The npx on this PATH as an absolute path, and a PATH that finds the node beside it
    first, for an app that starts it with a minimal PATH (Claude Desktop): npx is found
    ("spawn npx ENOENT" otherwise), and its `#!/usr/bin/env node` runs the same node as the
    shell does (not the oldest of several nvm versions). None when there is no npx here."""
    import shutil

    # Folders any app could use: absolute, and not a project's node_modules/.bin (an npm
    # script's PATH), since the entry goes into a config shared by every project.
    search = os.pathsep.join(
        folder
        for folder in os.environ.get("PATH", "").split(os.pathsep)
        if folder and Path(folder).is_absolute() and "node_modules" not in Path(folder).parts
    )
    # npx and the node it runs from one installation: the node first on PATH and the npx
    # beside it; a node with no npx beside it (the npm registry's node-<os>-<arch> package
    # ships none) gives way to the first npx, run with the node beside that npx.
    node = shutil.which("node", path=search)
    beside = Path(node).parent / "npx" if node else None
    if beside is not None and os.access(beside, os.X_OK):
        npx = str(beside)
    else:
        found = shutil.which("npx", path=search)
        if found is None:
            return None
        npx = found
        own_node = Path(found).parent / "node"
        node = str(own_node) if os.access(own_node, os.X_OK) else node
    folders = [str(Path(node).parent)] if node else []
    folders += [folder for folder in SYSTEM_PATH if folder not in folders]
    return str(Path(npx).absolute()), os.pathsep.join(folders)


def json_or_jsonc(folder: Path, stem: str) -> Path:
    """`STEM.jsonc` when that is the file there (and no `STEM.json`), else `STEM.json`: for
    clients that read either name."""
    jsonc = folder / f"{stem}.jsonc"
    plain = folder / f"{stem}.json"
    return jsonc if jsonc.is_file() and not plain.is_file() else plain
