"""The MCP SDK's client side, imported without its server side.

`import mcp.client.session` first runs `mcp/__init__.py` and `mcp/client/__init__.py`, whose
re-exports import the SDK's server too (its lowlevel server, Starlette, sse-starlette,
uvicorn): a tenth of a second, a fifth of the SDK's import, that a client never runs.
`cfmcp check` is a one-shot client process, so its command imports the client modules with
those two package files skipped. The modules are the SDK's own and unchanged; only the
packages' convenience names (`from mcp import Client`) are missing in that process.

In any other process (the test suite, a program that calls `run_check`), or if the SDK's
layout ever differs, the SDK is imported the ordinary way.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys

CLIENT_MODULES = (
    "mcp.client.auth",
    "mcp.client.session",
    "mcp.client.sse",
    "mcp.client.streamable_http",
    "mcp.shared.auth",
)
_SKIPPED_PACKAGES = ("mcp", "mcp.client")


def import_client_modules_only() -> bool:
    """Import `CLIENT_MODULES` without the `mcp` and `mcp.client` package files; True if so.

    Only for a process that uses nothing else of the SDK before it exits. Does nothing if the
    SDK is imported already; on any failure it leaves no trace, and the ordinary import that
    follows works as before.
    """
    if any(name == "mcp" or name.startswith("mcp.") for name in sys.modules):
        return False
    try:
        for name in _SKIPPED_PACKAGES:
            spec = importlib.util.find_spec(name)
            if spec is None or spec.submodule_search_locations is None:
                raise ImportError(f"{name} is not a package")
            package = importlib.util.module_from_spec(spec)  # made, never executed
            sys.modules[name] = package
            parent, _, child = name.rpartition(".")
            if parent:
                setattr(sys.modules[parent], child, package)
        for name in CLIENT_MODULES:
            importlib.import_module(name)
    except Exception:
        for name in [name for name in sys.modules if name == "mcp" or name.startswith("mcp.")]:
            del sys.modules[name]
        return False
    return True
