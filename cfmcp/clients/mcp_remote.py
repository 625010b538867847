"""The sign-in state mcp-remote keeps per server, and clearing one server's.

A client that "asks to sign in forever" usually holds a dynamic client registration the server
no longer has (a new Worker, a reset KV namespace, an expired registration). mcp-remote keeps
its registration and tokens in `$MCP_REMOTE_CONFIG_DIR` (default `~/.mcp-auth`), in
`mcp-remote-v1/` since 0.3.2 and in `mcp-remote-<version>/` before, as files named
`<hash>_client_info.json`, `<hash>_tokens.json`, `<hash>_code_verifier_<state>.txt` and so on.

The hash is mcp-remote's `getServerUrlHash`: the MD5 of the server URL exactly as given, joined
with `|` to `--resource`, `--header` and a few other options when given. cfmcp's bridge passes
the URL alone, so the hash is the MD5 of the URL (measured against mcp-remote 0.15.1's own
function: `http://localhost:8788/mcp` → f3679536e63e865755f73fe4918aa751). Only files whose
name starts with one of this server's hashes and `_` are removed; another server's never
match, as every hash is 32 hex digits.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cfmcp.clients import paths
from cfmcp.clients.base import Endpoints
from cfmcp.errors import CfmcpError

CONFIG_DIR_VARIABLE = "MCP_REMOTE_CONFIG_DIR"

# Where other clients keep their own sign-in for a server, and how to clear it there.
OTHER_CLIENTS = (
    ("Claude Code", "claude mcp logout NAME (or /mcp → the server → Clear authentication)"),
    ("Cursor", "Settings → Tools & MCP → the server → Logout"),
    ("VS Code", 'Command Palette → "Authentication: Remove Dynamic Authentication Providers"'),
    ("Codex", "codex mcp logout NAME"),
    ("Gemini CLI", "remove the server's entry from ~/.gemini/mcp-oauth-tokens.json"),
    ("OpenCode", "opencode mcp logout NAME"),
    ("Goose", "delete the keyring entry oauth_creds_NAME"),
    ("GitHub Copilot CLI", "remove the server's files from ~/.copilot/mcp-oauth-config/"),
    ("Qwen Code", "remove the server's entry from ~/.qwen/mcp-oauth-tokens.json"),
    ("Amp", "amp mcp oauth logout NAME"),
    ("Kilo Code", "kilo mcp logout NAME"),
    ("Factory Droid", "/mcp → the server → Clear Auth"),
    # Continue's CLI signs in through mcp-remote, whose files --reset-auth removes.
    (
        "Continue",
        "the CLI's sign-in is removed here; in the editors, remove the server and add it again",
    ),
    # Not documented by the client: removing the server and adding it again signs in anew.
    (
        "Windsurf, Zed, Kiro, Cline, Warp, Roo Code, Visual Studio",
        "remove the server in its MCP settings, then add it again",
    ),
    ("Claude Desktop connectors", "Settings → Connectors → the server → Disconnect"),
)


def config_dir() -> Path:
    value = os.environ.get(CONFIG_DIR_VARIABLE)
    return Path(value) if value else paths.home() / ".mcp-auth"


def url_hash(url: str) -> str:
    return hashlib.md5(url.encode("utf-8"), usedforsecurity=False).hexdigest()


def server_urls(endpoints: Endpoints) -> list[str]:
    """The URLs a bridge to this server may have been given: /mcp (cfmcp today), /sse (cfmcp
    before), and each with a trailing slash (typed by hand)."""
    return [url + tail for tail in ("", "/") for url in (endpoints.mcp, endpoints.sse)]


@dataclass
class ResetResult:
    folder: Path
    urls: list[str]
    files: list[Path] = field(default_factory=list)  # removed, or to remove with dry_run
    dry_run: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "folder": str(self.folder),
            "urls": self.urls,
            "hashes": [url_hash(url) for url in self.urls],
            "files": [str(path) for path in self.files],
            "removed": not self.dry_run,
            "other_clients": [{"client": client, "how": how} for client, how in OTHER_CLIENTS],
        }


def reset_auth(endpoints: Endpoints, *, dry_run: bool = False) -> ResetResult:
    """Remove (or with `dry_run` only list) mcp-remote's files for this server's URLs. Every
    folder is read before anything is removed: a folder it cannot read stops it untouched."""
    base = config_dir()
    urls = server_urls(endpoints)
    prefixes = tuple(f"{url_hash(url)}_" for url in urls)
    result = ResetResult(base, urls, dry_run=dry_run)
    try:
        folders = [base, *sorted(base.glob("mcp-remote-*"))]
        for folder in folders:
            if folder.is_symlink() or not folder.is_dir():
                continue
            for path in sorted(folder.iterdir()):
                if path.name.startswith(prefixes) and not path.is_dir():
                    result.files.append(path)
    except OSError as exc:
        raise CfmcpError(
            f"Cannot read {exc.filename or base}: {exc.strerror}; nothing was removed.",
            hint="Fix its permissions (it should be yours), then run the command again.",
        ) from exc
    if dry_run:
        return result
    removed = []
    for path in result.files:
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            result.files = removed
            raise CfmcpError(
                f"Cannot remove {path}: {exc.strerror}; removed {len(removed)} of this server's "
                "files before it.",
                hint="Fix its permissions, then run the command again.",
            ) from exc
        removed.append(path)
    return result
