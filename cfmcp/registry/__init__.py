"""The official MCP Registry's `server.json`: its schema, shipped with cfmcp (the registry's
`internal/validators/schemas/2025-12-11.json`, which it publishes at SCHEMA_URL), and the
checks the registry makes beyond the schema, so a listing is refused here, with the reason,
before anything leaves the machine.

The extra checks follow the registry's `internal/validators/`: each part of the name starts
and ends with a letter or digit; the version is neither `latest` nor a range; remote URLs are
https and not on this machine or a private network; a repository is on GitHub or GitLab; the
website is https.
"""

from __future__ import annotations

import ipaddress
import json
import re
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

SCHEMA_VERSION = "2025-12-11"
SCHEMA_URL = f"https://static.modelcontextprotocol.io/schemas/{SCHEMA_VERSION}/server.schema.json"
SCHEMA_FILE = Path(__file__).with_name("server.schema.json")

NAMESPACE = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9.-]*[a-zA-Z0-9]")
SERVER_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9._-]*[a-zA-Z0-9]")
VERSION_RANGE = re.compile(r"^[\^~<>=*]|\.[x*](\.|$)|\s-\s|\|\|")
REPOSITORY_URL = {
    "github": re.compile(r"^https?://(www\.)?github\.com/[\w.-]+/[\w.-]+/?$"),
    "gitlab": re.compile(r"^https?://(www\.)?gitlab\.com/[\w.-]+(/[\w.-]+)+/?$"),
}


@cache
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def problems(document: dict[str, Any]) -> list[str]:
    """What is wrong with `document` as a listing: the schema's findings (each with where),
    then the registry's own rules; empty when it would be accepted."""
    from jsonschema import Draft7Validator

    validator = Draft7Validator(schema(), format_checker=Draft7Validator.FORMAT_CHECKER)
    found = [
        f"{'/'.join(str(part) for part in error.absolute_path) or '(top)'}: {error.message}"
        for error in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    ]
    if found:
        return found
    return _registry_rules(document)


def _registry_rules(document: dict[str, Any]) -> list[str]:
    found = []
    if document.get("$schema") != SCHEMA_URL:
        found.append(f"$schema: the registry takes {SCHEMA_URL}")
    namespace, _, name = str(document["name"]).partition("/")
    if not NAMESPACE.fullmatch(namespace) or not SERVER_NAME.fullmatch(name):
        found.append(
            "name: each side of the / is at least two characters and starts and ends with a "
            f"letter or digit (got {document['name']!r})"
        )
    version = str(document["version"])
    if version == "latest" or VERSION_RANGE.search(version):
        found.append(f"version: a version of its own, not {version!r} (no `latest`, no range)")
    for index, remote in enumerate(document.get("remotes", [])):
        reason = remote_problem(str(remote.get("url", "")))
        if reason:
            found.append(f"remotes/{index}/url: {reason}")
    website = document.get("websiteUrl")
    if website is not None and urlsplit(str(website)).scheme != "https":
        found.append("websiteUrl: an https URL")
    repository = document.get("repository")
    if isinstance(repository, dict):
        pattern = REPOSITORY_URL.get(str(repository.get("source")))
        if pattern is None or not pattern.match(str(repository.get("url", ""))):
            found.append("repository: a github.com or gitlab.com repository URL, with its source")
    return found


def remote_problem(url: str) -> str | None:
    """Why the registry would refuse `url` as a remote, or None."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        return f"the registry lists https URLs only (got {url})"
    host = parts.hostname.lower()
    if host == "localhost" or host.endswith(".localhost"):
        return f"{host} is this machine: deploy first (cfmcp deploy), then publish"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    cgnat = ipaddress.ip_network("100.64.0.0/10")
    if not address.is_global or (address.version == 4 and address in cgnat):
        return f"{host} is not a public address"
    return None
