"""The command line: parse, call a module, render; no logic of its own.

One module per command registers it on the app in `cfmcp.cli.app`; they are imported here in
the order `cfmcp --help` lists them. The work is in `cfmcp/<command>.py`, imported inside each
command so that `cfmcp --help` stays fast.
"""

# isort: skip_file
# Importing a command's module registers the command: the order below is the order of --help.
from cfmcp.cli import init  # noqa: F401
from cfmcp.cli import upgrade  # noqa: F401
from cfmcp.cli import kv  # noqa: F401
from cfmcp.cli import secrets  # noqa: F401
from cfmcp.cli import deploy  # noqa: F401
from cfmcp.cli import doctor  # noqa: F401
from cfmcp.cli import client_config  # noqa: F401
from cfmcp.cli import oauth_client  # noqa: F401
from cfmcp.cli import up  # noqa: F401
from cfmcp.cli import publish  # noqa: F401
from cfmcp.cli import dev  # noqa: F401
from cfmcp.cli import add  # noqa: F401
from cfmcp.cli import check  # noqa: F401
from cfmcp.cli.app import app, main

__all__ = ["app", "main"]
