"""Claude Desktop: `claude_desktop_config.json`, `mcpServers`, stdio servers only.

Its config file cannot name a remote server, so the entry starts the mcp-remote bridge with
npx. On Windows the entry is `cmd /c npx …`: npx is a batch file there (npx.cmd) that
Node's spawn() cannot start without a shell. Claude Desktop 0.7.5 and later find npx.cmd
themselves, but they build the cmd.exe command line without quoting, which breaks when Node
lives in a folder with a space (the default C:\\Program Files\\nodejs); `cmd /c npx` has
cmd.exe find npx on PATH instead, and works with every version. This is also the form
Anthropic's Claude Code asks for on Windows.
"""

from __future__ import annotations

from pathlib import Path

from cfmcp.clients import paths
from cfmcp.clients.base import ClientSpec, Location, Scope

FILE_NAME = "claude_desktop_config.json"
# The Microsoft Store (MSIX) build sees %APPDATA% through a per-package redirect, so its
# file lives under the package's LocalCache rather than in %APPDATA%\Claude.
STORE_PACKAGE = "Claude_pzs8sxrjxfjjc"


def locate(scope: Scope, project_root: Path) -> Location:
    if paths.current_platform() == "windows":
        package = paths.local_appdata() / "Packages" / STORE_PACKAGE
        if package.is_dir():
            folder = package / "LocalCache" / "Roaming" / "Claude"
            return Location(folder / FILE_NAME, install_dir=package)
    folder = paths.user_config_root() / "Claude"
    return Location(folder / FILE_NAME, install_dir=folder)


SPEC = ClientSpec(
    name="claude",
    title="Claude Desktop",
    servers_key="mcpServers",
    scopes=("user",),
    locate=locate,
    remote_entry=None,
    windows_cmd=True,
    absolute_npx=True,
)
