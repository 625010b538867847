"""`cfmcp up`: from a generated project to a live, signed-in server, each step skipped when it
is already done: packages, KV namespace, OAuth client, secrets, deploy, redirect URI.

A second run on a live project changes nothing but the deploy.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cfmcp.errors import CfmcpError
from cfmcp.project import Project, env_key

if TYPE_CHECKING:
    from cfmcp.providers import ProviderSpec

Progress = Callable[[str], AbstractContextManager[Any]]
Report = Callable[["Step"], None]


@dataclass
class Step:
    name: str
    status: str  # "done" (work happened) | "skipped" (already so)
    detail: str = ""


@dataclass
class UpResult:
    env: str | None
    url: str | None = None
    steps: list[Step] = field(default_factory=list)
    endpoints: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "env": env_key(self.env),
            "url": self.url,
            "endpoints": self.endpoints,
            "steps": [{"name": s.name, "status": s.status, "detail": s.detail} for s in self.steps],
        }


def up(
    project: Project,
    *,
    env: str | None = None,
    choose_account: Callable[[list[tuple[str, str]]], str] | None = None,
    progress: Progress | None = None,
    report: Report = lambda step: None,
    notify: Callable[[str], None] = lambda message: None,
    prompt: Callable[[str], str] | None = None,
    given: Mapping[str, str] | None = None,
) -> UpResult:
    """`prompt` asks for a value without echo (a terminal only): for sign-in providers without
    an API to create OAuth clients, the id and secret of the app the user registered. `given`
    holds values read elsewhere (standard input), by secret name, before the environment."""
    from cfmcp import deploy as deploy_module
    from cfmcp import kv, oauth_client, secrets, wrangler
    from cfmcp.cloudflare_api import CloudflareAPI
    from cfmcp.providers import provider_of, require_location

    progress = progress or (lambda message: nullcontext())
    result = UpResult(env)

    def done(step: Step) -> None:
        result.steps.append(step)
        report(step)

    env = secrets.check_env(env)
    project.load_wrangler()  # a malformed wrangler.toml stops us before anything else
    project.require_env(env)
    require_location(project, env)
    provider = provider_of(project)
    # A server with no sign-in has no OAuth client: only wrangler talks to Cloudflare. Only
    # Cloudflare sign-in needs OAuth Client Write; other providers' apps are made by hand. A
    # missing token stops us before the packages' long install.
    needs_oauth = provider.name == "cloudflare"
    if project.has_node_modules:
        wrangler.wrangler_binary(project)  # a Node too old for it is said first
    token_api = None if provider.public else CloudflareAPI.from_env(oauth_clients=needs_oauth)
    with nullcontext(None) if token_api is None else token_api as api:
        _ensure_packages(project, progress, done)
        wrangler.wrangler_binary(project)  # a Node too old for it stops us before any API call
        # One account for everything, wrangler included (it would refuse to pick one itself).
        account_id = oauth_client.resolve_account(project, choose=choose_account)
        os.environ["CLOUDFLARE_ACCOUNT_ID"] = account_id

        client_values: list[Any] = []
        if provider.name != "cloudflare" and not provider.public:
            # Before anything is created: without the app's id and secret, up stops here.
            url = oauth_client.worker_url(project, env, api, account_id)
            client_values = _registered_app(
                project, env, provider, url, notify, prompt, given or {}
            )

        if provider.public:
            done(Step("KV namespace", "skipped", "none needed: the server has no sign-in"))
        else:
            namespace = kv.ensure_kv(project, env, progress=progress)
            done(
                Step("KV namespace", "skipped" if namespace.action == kv.CONFIGURED else "done",
                     f"{namespace.title or 'OAUTH_KV'} ({namespace.namespace_id})")
            )  # fmt: skip

        if provider.public:
            done(Step("OAuth client", "skipped", "none needed: the server has no sign-in"))
        elif provider.name == "cloudflare":
            client = oauth_client.create(
                project,
                api,
                env=env,
                put_secrets=False,
                progress=progress,
                note_lost_secret=False,
                caller_puts=True,
            )
            for note in client.notes:
                notify(note)
            done(
                Step("OAuth client", "skipped" if client.action == "reused" else "done",
                     f"{client.client_id} → {', '.join(client.redirect_uris)}")
            )  # fmt: skip
            client_values = client.values
        else:
            where = "on the Worker" if not client_values else "given"
            done(Step("OAuth client", "skipped", f"your {provider.title} app ({where})"))

        put, reissued = _put_missing_secrets(project, env, client_values, api, progress=progress)
        detail = ("put " + ", ".join(put)) if put else "all set on the Worker"
        if reissued:
            detail += " (a new client secret: the old one was on neither the Worker nor here)"
        done(Step("Secrets", "done" if put else "skipped", detail))

        # Signed in (the account came from whoami or the token works), KV and secrets done:
        # nothing left for deploy's preflight to find.
        checked = deploy_module.Preflight(project.worker_name(env), None, None, put)
        deployed = deploy_module.deploy(
            project, env, progress=progress, notify=notify, checked=checked
        )
        result.url = deployed.url
        result.endpoints = deployed.endpoints
        done(Step("Deploy", "done", deployed.url or "no workers.dev URL"))
        if deployed.readme is not None:
            status = "done" if deployed.readme == "updated" else "skipped"
            done(Step("README", status, '"Add to your client": install buttons and commands'))

        if deployed.url and provider.name == "cloudflare":
            synced = oauth_client.sync(project, api, env=env)
            done(
                Step("Redirect URI", "done" if synced.changed else "skipped",
                     ", ".join(synced.redirect_uris))
            )  # fmt: skip
    return result


def _registered_app(
    project: Project,
    env: str | None,
    provider: ProviderSpec,
    url: str,
    notify: Callable[[str], None],
    prompt: Callable[[str], str] | None,
    given: Mapping[str, str],
) -> list[Any]:
    """The id and secret of the OAuth app the user registered with a provider that has no API
    for it (GitHub, Google, OpenID Connect): [] when the Worker has them; else from `given`,
    the environment or the keyring, else asked for after saying what to register where;
    without a terminal, a stop that says the same."""
    from cfmcp import secrets

    environ = {**os.environ, **given}

    listing = secrets.list_secrets(project, env)
    needed = [name for name in provider.client_secrets if name in listing.missing]
    if not needed:
        return []
    store = secrets.store_for(project, env)
    try:
        return secrets.resolve_values(needed, store=store, environ=environ)
    except CfmcpError:
        pass
    steps = f"{provider.title} has no API to make an OAuth client, so " + (
        provider.register_steps.format(url=url)
    )
    if prompt is None:
        env_flag = f" --env {env}" if env else ""
        raise CfmcpError(
            f"This server signs in with {provider.title} and has no OAuth client yet. {steps}",
            hint=f"Then run `{' '.join(f'{name}=...' for name in needed)} cfmcp up{env_flag}` "
            "with its client id and a client secret (or pipe both, as NAME=value lines, into "
            f"`cfmcp up --client-stdin{env_flag}`, or run it in a terminal to be asked).",
        )
    notify(steps)
    return secrets.resolve_values(needed, store=store, prompt=prompt, environ=environ)


def _ensure_packages(project: Project, progress: Progress, done: Callable[[Step], None]) -> None:
    if project.has_node_modules:
        done(Step("Packages", "skipped", "node_modules present"))
        return
    from cfmcp.node import find_node, npm_ci, require_node_range

    require_node_range(project.node_range, needed_by="This project's toolchain")
    node = find_node()
    with progress("Installing the Worker's packages (npm ci)…"):
        npm_ci(project.root, node)
    done(Step("Packages", "done", "npm ci"))


def _put_missing_secrets(
    project: Project,
    env: str | None,
    client_values: list[Any],
    api: Any,
    *,
    progress: Progress,
) -> tuple[list[str], bool]:
    """Put what the Worker lacks: the new client's id and secret when one was just created;
    else the client id from cfmcp.json, saved values (keyring), a generated cookie key, and a
    client secret that exists nowhere here re-issued by rotation. Returns the names put and
    whether the secret was re-issued, so an `up` stopped at any point finishes next time."""
    from cfmcp import oauth_client, secrets

    fresh = {value.name: value for value in client_values}
    listing = secrets.list_secrets(project, env)
    required = secrets.required_secrets(project)
    names = [n for n in required if n in fresh or n in set(listing.missing)]
    if not names:
        return [], False
    store = secrets.store_for(project, env)
    recorded = secrets.recorded_values(project, env)
    values = []
    reissued = False
    for name in names:
        saved = store.get(name)
        if name in fresh:
            values.append(fresh[name])
        elif recorded.get(name):
            values.append(secrets.SecretValue(name, recorded[name], secrets.RECORD))
        elif saved:
            values.append(secrets.SecretValue(name, saved, secrets.KEYRING))
        elif name in secrets.GENERATORS:
            values.append(secrets.SecretValue(name, secrets.GENERATORS[name](), secrets.GENERATED))
        elif name == oauth_client.CLIENT_SECRET:
            values.append(oauth_client.reissue_secret(project, api, env=env, progress=progress))
            reissued = True
        else:  # a required name cfmcp has no way to make
            raise CfmcpError(
                f"The Worker has no {name} and this machine does not have it "
                f"({store.unavailable or 'not in the keyring'}).",
                hint="Set it with `cfmcp secrets set`, then run `cfmcp up` again.",
            )
    secrets.store_secrets(project, values, env=env, store=store, progress=progress)
    if reissued:  # the lost secret is held by nobody: once the Worker has the new one, drop it
        oauth_client.retire_lost_secret(project, api, env=env)
    return names, reissued
