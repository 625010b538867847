"""`cfmcp publish`: the deployed server as a listing of the official MCP Registry.

`listing()` makes the `server.json` from what the project knows (the URL `cfmcp deploy`
recorded, the Worker's name, `package.json`'s version, the git remote) and what its owner
said once (name, title, description: recorded in cfmcp.json under "registry"), and checks it
against the registry's schema and rules (`cfmcp.registry`) before anything leaves the machine.
`--dry-run` stops there.

Then `publish()` proves the namespace and sends it: for io.github.<user>, a GitHub sign-in
(`cfmcp.registry.github`: the device flow, the token kept in the OS keyring) exchanged for a
registry token, then the registry's publish endpoint (`cfmcp.registry.client`). Versions
published are recorded in cfmcp.json, so publishing one again is caught before it is sent.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cfmcp import registry
from cfmcp.errors import CfmcpError, UsageError
from cfmcp.project import Project
from cfmcp.registry.client import RegistryError

if TYPE_CHECKING:
    from cfmcp.registry.github import DeviceCode

SERVER_JSON = "server.json"
DEFAULT_DESCRIPTION = "A remote MCP server on Cloudflare Workers, with sign-in."


@dataclass
class Listing:
    document: dict[str, Any]  # the server.json
    path: Path  # where it is written
    asked: dict[str, str] = field(default_factory=dict)  # what the owner said, to record


@dataclass(frozen=True)
class PublishResult:
    listing: Listing
    dry_run: bool
    written: bool  # server.json changed on disk
    backup: Path | None = None
    listing_url: str | None = None  # where the registry serves the published version
    published_at: str | None = None
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "server_json": str(self.listing.path),
            "server": self.listing.document,
            "written": self.written,
            "backup": str(self.backup) if self.backup else None,
            "published": self.listing_url is not None,
            "listing_url": self.listing_url,
            "published_at": self.published_at,
            "notes": self.notes,
            "dry_run": self.dry_run,
        }


def recorded(project: Project) -> dict[str, Any]:
    value = project.read_state().get("registry", {})
    return dict(value) if isinstance(value, dict) else {}


def listing(
    project: Project,
    env: str | None = None,
    *,
    name: str | None = None,
    title: str | None = None,
    description: str | None = None,
    version: str | None = None,
    website: str | None = None,
    sse: bool = False,
) -> Listing:
    """The server.json for the server deployed for `env`, checked; a CfmcpError naming every
    problem otherwise."""
    url = project.env_state(env).get("url")
    if not url:
        where = f" --env {env}" if env else ""
        raise CfmcpError(
            "Nothing is deployed yet: the registry lists a server by its public URL.",
            hint=f"Deploy first: cfmcp deploy{where} (or cfmcp up), then cfmcp publish{where}.",
        )
    mine = recorded(project)
    worker = _worker_name(project)
    name = name or mine.get("name")
    if not name:
        raise UsageError(
            "The listing needs a name in the registry's namespace/name form.",
            hint=f"Pass --name io.github.<your GitHub user>/{worker} (or a domain of yours, "
            f"reversed: --name com.example/{worker}); cfmcp records it for next time.",
        )
    document: dict[str, Any] = {
        "$schema": registry.SCHEMA_URL,
        "name": name,
        "title": title or mine.get("title") or worker,
        "description": description or mine.get("description") or DEFAULT_DESCRIPTION,
        "version": version or _package_version(project),
    }
    website = website or mine.get("website")
    if website:
        document["websiteUrl"] = website
    repository = _repository(project)
    if repository:
        document["repository"] = repository
    base = str(url).rstrip("/")
    document["remotes"] = [{"type": "streamable-http", "url": f"{base}/mcp"}]
    if sse:
        if not _stateful(project):
            raise UsageError(
                "--sse lists HTTP+SSE, which only a stateful server (cfmcp init --stateful) "
                "has; /sse here is an alias of /mcp.",
            )
        document["remotes"].append({"type": "sse", "url": f"{base}/sse"})
    found = registry.problems(document)
    if found:
        raise CfmcpError(
            "The listing would be refused by the registry:\n  " + "\n  ".join(found),
            hint="Fix what it names (cfmcp publish --help lists the options), then run it "
            "again; nothing was sent.",
        )
    asked = {
        key: value
        for key, value in (("name", name), ("title", document["title"]),
                           ("description", document["description"]), ("website", website))
        if value and mine.get(key) != value
    }  # fmt: skip
    return Listing(document, project.root / SERVER_JSON, asked)


def write_listing(project: Project, found: Listing) -> tuple[bool, Path | None]:
    """server.json as `found` says (a copy of a different one first), and what the owner said
    recorded; returns whether the file changed and the copy."""
    from cfmcp.fsutil import atomic_write_text, backup_file

    text = json.dumps(found.document, indent=2, ensure_ascii=False) + "\n"
    try:
        old = found.path.read_text(encoding="utf-8")
    except FileNotFoundError:
        old = None
    except (OSError, UnicodeDecodeError) as exc:
        raise CfmcpError(f"Cannot read {found.path}: {exc}.") from exc
    backup = None
    if old is not None and old != text:
        backup = backup_file(found.path)
    if old != text:
        atomic_write_text(found.path, text)
    if found.asked:
        state = project.read_state()
        state["registry"] = {**recorded(project), **found.asked}
        project.write_state(state)
    return old != text, backup


def publish(
    project: Project,
    env: str | None = None,
    *,
    dry_run: bool = False,
    registry: str | None = None,
    show_code: Callable[[DeviceCode], None] = lambda code: None,
    progress: Callable[[str], None] = lambda message: None,
    **options: Any,
) -> PublishResult:
    """Make and check server.json; unless `dry_run`, write it, prove the namespace and
    publish it. `show_code` shows the GitHub sign-in's code when one is needed."""
    from cfmcp.registry.client import RegistryClient, listing_path, registry_url

    base = registry_url(registry)  # a bad one stops before anything is made
    found = listing(project, env, **options)
    document = found.document
    name, version = str(document["name"]), str(document["version"])
    _check_not_published(project, name, version, explicit=options.get("version") is not None)
    domain = _check_namespace(name, str(document["remotes"][0]["url"]))
    if domain is None:
        from cfmcp.registry.github import github_url

        github_url()  # where the sign-in would go: checked before anything is made
    if dry_run:
        return PublishResult(found, dry_run=True, written=False)
    written, backup = write_listing(project, found)
    client = RegistryClient(base)
    if domain is None:
        registry_token, notes = _signed_in(client, show_code)
    else:
        registry_token, notes = _proved(project, env, client, domain, progress)
    try:
        answer = client.publish(registry_token, document)
    except RegistryError as exc:
        raise _explained(exc, name, version) from exc
    official = answer.get("_meta", {}).get("io.modelcontextprotocol.registry/official", {})
    published_at = official.get("publishedAt") if isinstance(official, dict) else None
    url = f"{client.base}{listing_path(name, version)}"
    _record_published(project, name, version, url, published_at)
    return PublishResult(found, False, written, backup, url, published_at, notes)


def _check_namespace(name: str, url: str) -> str | None:
    """The domain a domain namespace needs proved (None for io.github.<user>)."""
    from urllib.parse import urlsplit

    from cfmcp.registry.proof import domain_of

    namespace = name.split("/", 1)[0]
    if namespace.startswith("io.github."):
        return None
    host = (urlsplit(url).hostname or "").lower()
    domain = domain_of(namespace).lower()
    if host.endswith(".workers.dev"):
        raise CfmcpError(
            f"{namespace} is a domain namespace, and the server is on {host}: a workers.dev "
            "host is Cloudflare's, and nobody can prove a domain namespace with it.",
            hint="Publish under io.github.<your GitHub user>/… (a GitHub sign-in proves it), "
            "or serve the Worker on a domain of yours (a custom domain in wrangler.toml's "
            "routes, then cfmcp deploy) and use that domain, reversed.",
        )
    if host != domain:
        raise CfmcpError(
            f"{namespace} is the namespace of {domain}, but the server is deployed at {host}: "
            "the registry lists a domain namespace only for the domain that proves it.",
            hint=f"Use --name {'.'.join(reversed(host.split('.')))}/<server>, the deployed "
            "host reversed.",
        )
    return domain


def _check_not_published(project: Project, name: str, version: str, *, explicit: bool) -> None:
    published = recorded(project).get("published", {})
    if isinstance(published, dict) and f"{name}@{version}" in published:
        suggestion = _next_version(version)
        raise UsageError(
            f"{name} {version} is published already: the registry keeps each version for good.",
            hint=f"Publish a new version: cfmcp publish --version {suggestion}"
            + ("" if explicit else " (or raise the version in package.json)"),
        )


def _next_version(version: str) -> str:
    match = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", version)
    if not match:
        return f"{version}.1"
    major, minor, patch = (int(part) for part in match.groups())
    return f"{major}.{minor}.{patch + 1}"


def _signed_in(client: Any, show_code: Callable[[DeviceCode], None]) -> tuple[str, list[str]]:
    """A registry token: from the GitHub token the keyring keeps, else a new GitHub sign-in
    (a token GitHub no longer honours is forgotten and replaced)."""
    from cfmcp.registry import github

    notes: list[str] = []
    token = github.stored_token()
    if token:
        try:
            return client.exchange_github(token), notes
        except RegistryError as exc:
            if exc.status != 401:
                raise
            github.forget_token()
            notes.append("The GitHub sign-in cfmcp kept no longer works: signed in again.")
    token = github.sign_in(client.github_client_id(), show_code=show_code)
    why_not = github.store_token(token)
    if why_not:
        notes.append(f"The GitHub sign-in was not kept ({why_not}): the next publish asks again.")
    return client.exchange_github(token), notes


PROOF_TRIES = 4  # a secret just put reaches every Cloudflare location within seconds
PROOF_WAIT_SECONDS = 3.0


def _proved(
    project: Project,
    env: str | None,
    client: Any,
    domain: str,
    progress: Callable[[str], None],
) -> tuple[str, list[str]]:
    """A registry token for `domain`: its key from the keyring (made the first time), the
    proof put on the Worker (MCP_REGISTRY_AUTH) unless it is there already, then the signed
    time exchanged, tried again while the registry cannot read the proof yet."""
    import time

    from cfmcp.project import env_key
    from cfmcp.registry import proof
    from cfmcp.secrets import SecretValue, store_secrets

    key = proof.key_for(domain)
    served = proof.record(key)
    notes: list[str] = []
    state = project.read_state()
    proofs = state.setdefault("registry", {}).setdefault("proofs", {})
    if proofs.get(env_key(env)) != served:
        progress(f"Putting the proof for {domain} on the Worker ({proof.SECRET_NAME})…")
        store_secrets(project, [SecretValue(proof.SECRET_NAME, served, "generated")], env=env,
                      save=False)  # fmt: skip
        proofs[env_key(env)] = served
        project.write_state(state)
        notes.append(f"The Worker now serves https://{domain}{proof.WELL_KNOWN}.")
    for attempt in range(PROOF_TRIES):
        timestamp, signature = proof.signed_now(key)
        try:
            return client.exchange_http(domain, timestamp, signature), notes
        except RegistryError as exc:
            if exc.status != 401 or attempt == PROOF_TRIES - 1:
                raise CfmcpError(
                    exc.message,
                    hint=f"The registry reads https://{domain}{proof.WELL_KNOWN}: it should show "
                    f"{served!r} (cfmcp set it as the Worker's {proof.SECRET_NAME}); check the "
                    "domain routes to this Worker, then run cfmcp publish again.",
                ) from exc
        time.sleep(PROOF_WAIT_SECONDS)
    raise AssertionError("unreachable")


def _explained(exc: RegistryError, name: str, version: str) -> CfmcpError:
    text = exc.message
    if "duplicate version" in text:
        return CfmcpError(text, hint=f"Publish a new version: cfmcp publish --version "
                          f"{_next_version(version)}")  # fmt: skip
    if exc.status == 403:
        return CfmcpError(text, hint="The name's namespace must be one your sign-in may publish "
                          "to (io.github.<your GitHub user>, as GitHub spells it).")  # fmt: skip
    return CfmcpError(text, hint="server.json is written; fix what the registry names, then "
                      "run cfmcp publish again.")  # fmt: skip


def _record_published(
    project: Project, name: str, version: str, url: str, published_at: str | None
) -> None:
    state = project.read_state()
    mine = state.setdefault("registry", {})
    published = mine.setdefault("published", {})
    published[f"{name}@{version}"] = {"url": url, "at": published_at}
    project.write_state(state)


def _worker_name(project: Project) -> str:
    return str(project.load_wrangler().get("name", project.root.name))


def _stateful(project: Project) -> bool:
    options = project.read_state().get("options", {})
    return isinstance(options, dict) and options.get("variant") == "stateful"


def _package_version(project: Project) -> str:
    try:
        package = json.loads((project.root / "package.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        package = {}
    version = package.get("version") if isinstance(package, dict) else None
    return str(version) if version else "0.1.0"


def _repository(project: Project) -> dict[str, str] | None:
    """The git remote `origin`, when it is a GitHub or GitLab repository."""
    try:
        result = subprocess.run(
            ["git", "remote", "get-url", "origin"], cwd=project.root, capture_output=True,
            text=True, timeout=10, check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return None
    remote = result.stdout.strip() if result.returncode == 0 else ""
    match = re.fullmatch(
        r"(?:https://|ssh://git@|git@)(github\.com|gitlab\.com)[/:]([\w.-]+/[\w./-]+?)(?:\.git)?/?",
        remote,
    )
    if not match:
        return None
    host, path = match.groups()
    return {"url": f"https://{host}/{path}", "source": host.split(".")[0]}
