"""The Cloudflare OAuth client cfmcp made, as cfmcp.json records it per environment
(`oauth_client`: id, account, redirect URIs, scopes, a rotation under way; never the secret).

`cfmcp oauth-client` writes it; `cfmcp secrets` and `cfmcp deploy` read the client's id from it.
"""

from __future__ import annotations

from typing import Any

from cfmcp.cloudflare_api import ACCOUNT_ID_PATTERN, RESOURCE_ID_PATTERN
from cfmcp.errors import CfmcpError
from cfmcp.project import Project, env_key

LOCAL = "local"  # the record and keyring key of the development client


def record_key(env: str | None, dev: bool) -> str | None:
    return LOCAL if dev else env


def recorded_client(project: Project, env: str | None, dev: bool = False) -> dict[str, Any]:
    """The client recorded in cfmcp.json, its ids checked: the file is the user's to edit, and
    an id goes into the path of requests made with their token."""
    key = record_key(env, dev)
    record = project.env_state(key).get("oauth_client") or {}
    where = f"environments.{env_key(key)}.oauth_client in {project.state_path.name}"
    if not isinstance(record, dict):
        raise CfmcpError(
            f"{where} is not an object.",
            hint="Remove it; cfmcp oauth-client create makes a new one.",
        )
    checks = (("id", RESOURCE_ID_PATTERN), ("account_id", ACCOUNT_ID_PATTERN))
    for field_name, pattern in checks:
        value = record.get(field_name)
        if value is not None and not (isinstance(value, str) and pattern.fullmatch(value)):
            raise CfmcpError(
                f"{where} has {field_name} {value!r}, which is not an id.",
                hint="The file was edited or damaged: put back the id shown in the dashboard "
                "(Manage Account → OAuth clients), or remove the entry and run "
                "cfmcp oauth-client create.",
            )
    return dict(record)


def save_record(project: Project, env: str | None, dev: bool, record: dict | None) -> None:
    project.update_env_state(record_key(env, dev), oauth_client=record)
