"""`cfmcp kv create`: the OAUTH_KV namespace, created once and its id written into wrangler.toml.

The namespace title is `<Worker name>-OAUTH_KV` (the Worker name of the environment, e.g.
`my-mcp-staging-OAUTH_KV` for --env staging): what wrangler 1-3 titled
`wrangler kv namespace create OAUTH_KV`. wrangler 4.86 titles it plain `OAUTH_KV` (or
`staging-OAUTH_KV`, measured), the same for every project, so two servers in one account would
find and share one OAuth store, each accepting the other's tokens.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from cfmcp.errors import CfmcpError
from cfmcp.project import KV_BINDING, Project, env_key, is_kv_namespace_id, read_kv_id, write_kv_id

Progress = Callable[[str], AbstractContextManager[Any]]

CONFIGURED = "configured"  # wrangler.toml already had a real id: nothing done
FOUND = "found"  # a namespace with the title existed: its id written
CREATED = "created"  # a namespace was created and its id written


@dataclass
class KvResult:
    env: str | None
    binding: str
    title: str | None
    namespace_id: str
    action: str
    wrangler_toml: str
    copied: list[str] = field(default_factory=list)  # top-level keys copied into [env.ENV]

    def to_json(self) -> dict[str, Any]:
        return {
            "env": env_key(self.env),
            "binding": self.binding,
            "title": self.title,
            "id": self.namespace_id,
            "action": self.action,
            "wrangler_toml": self.wrangler_toml,
            "copied_into_env": self.copied,
        }


def kv_title(project: Project, env: str | None = None) -> str:
    return f"{project.worker_name(env)}-{KV_BINDING}"


def ensure_kv(
    project: Project, env: str | None = None, *, progress: Progress | None = None
) -> KvResult:
    """Make sure wrangler.toml binds OAUTH_KV for `env` to a real namespace; safe to re-run."""
    progress = progress or (lambda message: nullcontext())
    from cfmcp.providers import provider_of

    if provider_of(project).public:
        from cfmcp.errors import UsageError

        raise UsageError(
            "This server has no sign-in (cfmcp init --auth none), so it needs no KV namespace.",
            hint="Nothing to create: `cfmcp deploy` deploys it as it is.",
        )
    document = project.load_wrangler()  # a malformed file stops us before any API call
    project.require_env(env)
    current = read_kv_id(document, env)
    if is_kv_namespace_id(current):
        return KvResult(env, KV_BINDING, None, str(current), CONFIGURED, str(project.wrangler_toml))

    from cfmcp import wrangler

    title = kv_title(project, env)
    with progress(f"Looking for the KV namespace {title}…"):
        namespace_id = _find(wrangler.kv_namespace_list(project), title)
    action = FOUND
    if namespace_id is None:
        with progress(f"Creating the KV namespace {title}…"):
            namespace_id = _create(project, title)
        action = CREATED

    # Read again just before writing: keep any edit made while wrangler ran.
    document = project.load_wrangler()
    copied = write_kv_id(document, namespace_id, env)
    project.save_wrangler(document)
    return KvResult(
        env, KV_BINDING, title, namespace_id, action, str(project.wrangler_toml), copied
    )


def _find(namespaces: list[dict[str, Any]], title: str) -> str | None:
    for namespace in namespaces:
        if namespace.get("title") == title and namespace.get("id"):
            return str(namespace["id"])
    return None


def _create(project: Project, title: str) -> str:
    from cfmcp import wrangler

    try:
        namespace_id = wrangler.kv_namespace_create(project, title)
    except CfmcpError:
        # Created by someone else in the meantime (10014, "already exists")? Then use it.
        namespace_id = _find(wrangler.kv_namespace_list(project), title)
        if namespace_id is None:
            raise
    if namespace_id is None:  # no id in wrangler's snippet: ask the API
        namespace_id = _find(wrangler.kv_namespace_list(project), title)
    if namespace_id is None or not is_kv_namespace_id(namespace_id):
        raise CfmcpError(
            f"Created the KV namespace {title} but could not read its id.",
            hint="Find it with `npx wrangler kv namespace list` and put it in wrangler.toml "
            f"([[kv_namespaces]] binding = {KV_BINDING!r}).",
        )
    return namespace_id
