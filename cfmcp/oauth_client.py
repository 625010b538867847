"""`cfmcp oauth-client`: the Cloudflare OAuth client the Worker signs users in with, managed
through Cloudflare's API (`/accounts/{id}/oauth_clients`).

What cfmcp created is recorded in cfmcp.json per environment (`oauth_client`: id, account,
redirect URIs, scopes; never the secret), so a second `create` reuses it. The id and secret go
to the OS keyring and, through the same path as `cfmcp secrets set`, to the Worker's secrets
(or `.dev.vars` for the development client, recorded under the pseudo-environment `local`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from cfmcp import secrets
from cfmcp.cloudflare_api import (
    ACCOUNT_ID_PATTERN,
    CloudflareAPI,
    CloudflareAPIError,
    account_path,
)
from cfmcp.errors import CfmcpError, UsageError
from cfmcp.oauth_record import LOCAL, recorded_client, save_record
from cfmcp.project import Project, env_key

Progress = Callable[[str], AbstractContextManager[Any]]
Choose = Callable[[list[tuple[str, str]]], str]

# user-details.read: email and name from /client/v4/user; account.read: /client/v4/accounts.
# Cloudflare adds offline_access itself for clients with the refresh_token grant.
DEFAULT_SCOPES = ("user-details.read", "account.read")
DEV_PORT = 8788
DEFAULT_OAUTH_URL = "https://dash.cloudflare.com/oauth2"
CLIENT_ID = "CLOUDFLARE_CLIENT_ID"
CLIENT_SECRET = "CLOUDFLARE_CLIENT_SECRET"

_SCOPE = re.compile(r"[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)*")


def _quiet(message: str) -> AbstractContextManager[Any]:
    return nullcontext()


# --- inputs ------------------------------------------------------------------------------------


def check_scopes(extra: list[str]) -> list[str]:
    """The scopes to ask for: ours plus `extra`, deduplicated; refuses what Cloudflare refuses."""
    scopes = list(DEFAULT_SCOPES)
    for scope in extra:
        for item in scope.replace(",", " ").split():
            if ":" in item:
                raise UsageError(
                    f"Scope {item!r} is colon-delimited; Cloudflare OAuth clients take "
                    "dot-delimited scope names.",
                    hint=f"Try {item.replace(':', '.')!r} (see GET /client/v4/oauth/scopes).",
                )
            if item == "openid":
                raise UsageError("Cloudflare OAuth clients do not accept the openid scope.")
            if not _SCOPE.fullmatch(item):
                raise UsageError(f"{item!r} is not a scope name like 'workers-scripts.read'.")
            if item not in scopes:
                scopes.append(item)
    return scopes


SCOPES_VAR = "CLOUDFLARE_SCOPES"  # what the Worker asks Cloudflare for at sign-in


def keep_worker_scopes(project: Project, env: str | None, scopes: list[str]) -> list[str]:
    """Add to CLOUDFLARE_SCOPES in wrangler.toml the `scopes` it lacks, so the Worker asks for
    what the client was registered with; everything else in the file is kept. Returns the
    scopes added (none when it has them all)."""
    from cfmcp.project import env_table

    document = project.load_wrangler()
    table, _ = env_table(document, env, create=True)
    variables = table.get("vars")
    have = str(variables.get(SCOPES_VAR) or "") if variables is not None else ""
    words = have.split() or [*DEFAULT_SCOPES, "offline_access"]
    added = [scope for scope in scopes if scope not in words]
    if not added and have:
        return []
    if variables is None:
        import tomlkit

        variables = tomlkit.table()
        table.append("vars", variables)
    variables[SCOPES_VAR] = " ".join(words + added)
    project.save_wrangler(document)
    return added


def resolve_account(project: Project, *, choose: Choose | None = None) -> str:
    """CLOUDFLARE_ACCOUNT_ID, else the one account `wrangler whoami` lists, else a choice."""
    account = os.environ.get("CLOUDFLARE_ACCOUNT_ID")
    if account:
        if not ACCOUNT_ID_PATTERN.fullmatch(account):
            raise CfmcpError(
                f"CLOUDFLARE_ACCOUNT_ID {account!r} is not an account id (32 hex digits).",
                hint="Copy it from the dashboard (the account's Overview page, Account ID), or "
                "unset it to use the account your token sees.",
            )
        return account
    from cfmcp import wrangler

    who = wrangler.whoami(project)
    if not who.logged_in:
        raise CfmcpError("Not signed in to Cloudflare.", hint=wrangler.LOGIN_HINT)
    accounts = [(str(a.get("id")), str(a.get("name", ""))) for a in who.accounts if a.get("id")]
    if not accounts:
        raise CfmcpError(
            "Your Cloudflare token can see no account.",
            hint="Give the token access to the account (Account Resources), or set "
            "CLOUDFLARE_ACCOUNT_ID.",
        )
    if len(accounts) == 1:
        return accounts[0][0]
    if choose is not None:
        return choose(accounts)
    listing = "; ".join(f"{account_id} ({name})" for account_id, name in accounts)
    raise CfmcpError(
        f"Your token can see {len(accounts)} accounts: {listing}.",
        hint="Pick one: export CLOUDFLARE_ACCOUNT_ID=<id> (or run in a terminal to choose).",
    )


def worker_url(project: Project, env: str | None, api: CloudflareAPI, account_id: str) -> str:
    """The deployed URL recorded for `env`, else the workers.dev URL the first deploy will get."""
    recorded = project.env_state(env).get("url")
    if recorded:
        return str(recorded).rstrip("/")
    result = api.request(
        "GET",
        account_path(account_id, "workers", "subdomain"),
        what="read your workers.dev subdomain",
        permission="Workers Scripts Read",
    )
    subdomain = (result or {}).get("subdomain")
    if not subdomain:
        raise CfmcpError(
            "Your account has no workers.dev subdomain yet, so the Worker's URL is unknown.",
            hint="Pick one in the dashboard (Workers & Pages → your subdomain), or deploy once "
            "with `cfmcp deploy`, then run this again.",
        )
    return f"https://{project.worker_name(env)}.{subdomain}.workers.dev"


def redirect_uri(
    project: Project, env: str | None, dev: bool, api: CloudflareAPI, account_id: str
) -> str:
    if dev:
        return f"http://localhost:{DEV_PORT}/callback"
    return f"{worker_url(project, env, api, account_id)}/callback"


# --- create --------------------------------------------------------------------------------


@dataclass
class CreateResult:
    action: str  # "created" | "reused" | "recreated"
    client_id: str
    account_id: str
    name: str
    redirect_uris: list[str]
    scopes: list[str]
    env: str | None
    dev: bool
    secrets_target: str | None = None  # where the id and secret were put, if anywhere
    keyring: str = "ok"  # or why nothing was saved there
    notes: list[str] = field(default_factory=list)
    # The new client's id and secret (SecretValue), for a caller that puts them itself.
    values: list[Any] = field(default_factory=list, repr=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "client_id": self.client_id,
            "account_id": self.account_id,
            "name": self.name,
            "redirect_uris": self.redirect_uris,
            "scopes": self.scopes,
            "env": LOCAL if self.dev else env_key(self.env),
            "secrets": self.secrets_target,
            "keyring": self.keyring,
            "notes": self.notes,
        }


def create(
    project: Project,
    api: CloudflareAPI,
    *,
    env: str | None = None,
    dev: bool = False,
    scopes: list[str] | None = None,
    name: str | None = None,
    put_secrets: bool = True,
    choose: Choose | None = None,
    progress: Progress = _quiet,
    now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    note_lost_secret: bool = True,
    reveal: Reveal | None = None,
    caller_puts: bool = False,
) -> CreateResult:
    """Create the OAuth client for this project and env (or reuse the recorded one).

    The new secret is never lost: it goes to the Worker (or .dev.vars) and the keyring; where
    neither can hold it, `reveal` shows it once, and without `reveal` nothing is created.
    `caller_puts`: the caller puts `values` itself, at once (`cfmcp up`).
    """
    wanted_scopes = check_scopes(scopes or [])
    worker = project.worker_name(env)
    account_id = resolve_account(project, choose=choose)
    store = secrets.store_for(project, env, local=dev)
    record = recorded_client(project, env, dev)
    notes: list[str] = []

    if record.get("id"):
        existing = _fetch(api, record.get("account_id") or account_id, record["id"])
        if existing is not None:
            have = list(existing.get("scopes") or [])
            missing = [scope for scope in wanted_scopes if scope not in have]
            if missing:
                with progress(f"Adding scopes {' '.join(missing)}…"):
                    existing = api.update_oauth_client(
                        record.get("account_id") or account_id,
                        record["id"],
                        {"scopes": [s for s in have if s != "offline_access"] + missing},
                    )
                notes.append(
                    f"Added the scopes {' '.join(missing)}: users get them at their next sign-in."
                )
            notes.extend(_scopes_note(project, env, dev, wanted_scopes))
            if note_lost_secret and not store.get(CLIENT_SECRET):
                notes.append(
                    "The client's secret is not in this machine's keyring (Cloudflare shows a "
                    "secret only once): `cfmcp oauth-client rotate` issues a new one."
                )
            return CreateResult(
                action="reused",
                client_id=record["id"],
                account_id=record.get("account_id") or account_id,
                name=str(existing.get("client_name") or record.get("name") or ""),
                redirect_uris=list(existing.get("redirect_uris") or []),
                scopes=list(existing.get("scopes") or []),
                env=env,
                dev=dev,
                keyring=store.unavailable or "ok",
                notes=notes,
            )
        notes.append(f"The recorded client {record['id']} no longer exists; creating a new one.")

    if not put_secrets and not caller_puts and reveal is None and not store.usable():
        raise CfmcpError(
            f"Nowhere to keep a new client secret: --no-secrets, and {store.unavailable}. "
            "Nothing was created.",
            hint="Drop --no-secrets (the secret goes on the Worker, or .dev.vars with --dev), run "
            "it in a terminal to be shown the secret once, or set up a keyring backend.",
        )
    uri = redirect_uri(project, env, dev, api, account_id)
    client_name = name or (f"{worker} (local dev)" if dev else worker)
    body = {
        "client_name": client_name,
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "redirect_uris": [uri],
        "scopes": wanted_scopes,
        "token_endpoint_auth_method": "client_secret_basic",
    }
    with progress(f"Creating OAuth client {client_name}…"):
        created = api.create_oauth_client(account_id, body)
    client_id = str(created.get("client_id") or "")
    client_secret = str(created.get("client_secret") or "")
    if not client_id or not client_secret:
        raise CfmcpError("Cloudflare created the client but returned no id or secret.")
    save_record(
        project,
        env,
        dev,
        {
            "id": client_id,
            "account_id": account_id,
            "name": client_name,
            "redirect_uris": list(created.get("redirect_uris") or [uri]),
            "scopes": list(created.get("scopes") or wanted_scopes),
            "created_at": now().replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        },
    )
    values = [
        secrets.SecretValue(CLIENT_ID, client_id, secrets.CLOUDFLARE),
        secrets.SecretValue(CLIENT_SECRET, client_secret, secrets.CLOUDFLARE),
    ]
    notes.extend(_scopes_note(project, env, dev, wanted_scopes))
    target = None
    if put_secrets:
        try:
            stored = secrets.store_secrets(
                project, values, env=env, local=dev, store=store, progress=progress
            )
        except CfmcpError as exc:
            what = f"OAuth client {client_id} and its secret"
            lost = "`cfmcp oauth-client rotate` issues a new one once the cause is fixed."
            raise _kept_or_revealed(exc, store, values[1], reveal, what, lost) from exc
        target = stored.target
    elif not caller_puts:
        saved = [store.set(value.name, value.value) for value in values]
        if not all(saved):
            _reveal_or_fail(store, values[1], reveal, client_id)
    return CreateResult(
        action="recreated" if record.get("id") else "created",
        client_id=client_id,
        account_id=account_id,
        name=client_name,
        redirect_uris=list(created.get("redirect_uris") or [uri]),
        scopes=list(created.get("scopes") or wanted_scopes),
        env=env,
        dev=dev,
        secrets_target=target,
        keyring=store.unavailable or "ok",
        notes=notes,
        values=values,
    )


def _scopes_note(project: Project, env: str | None, dev: bool, scopes: list[str]) -> list[str]:
    # The development client serves `cfmcp dev`, which runs the top-level configuration.
    added = keep_worker_scopes(project, None if dev else env, scopes)
    if not added:
        return []
    where = f"[env.{env}.vars]" if env and not dev else "[vars]"
    then = (
        "restart `cfmcp dev`"
        if dev
        else "deploy (cfmcp deploy" + (f" --env {env})" if env else ")")
    )
    return [
        f"Added {' '.join(added)} to {SCOPES_VAR} in wrangler.toml ({where}), so the Worker "
        f"asks for it at sign-in: {then} to use it."
    ]


# Shows a secret once, on the terminal only (never --json output or a log): (name, value).
Reveal = Callable[[str, str], None]


def _reveal_or_fail(store: Any, secret: Any, reveal: Reveal | None, client_id: str) -> None:
    """The secret could not be saved: show it once, or say it is lost and how to replace it."""
    if reveal is not None:
        reveal(secret.name, secret.value)
        return
    raise CfmcpError(
        f"The secret of OAuth client {client_id} could not be kept: {store.unavailable}.",
        hint="`cfmcp oauth-client rotate` issues a new one (it goes on the Worker).",
    )


def _kept_or_revealed(
    error: CfmcpError,
    store: Any,
    secret: Any,
    reveal: Reveal | None,
    what: str,
    if_lost: str,
) -> CfmcpError:
    """A put that failed after Cloudflare issued a secret: say where the secret is now."""
    if store.get(secret.name) == secret.value:
        where = (
            f"It is saved in the keyring: `cfmcp secrets set {secret.name}` puts it once the "
            "cause is fixed."
        )
    elif reveal is not None:
        reveal(secret.name, secret.value)
        where = (
            f"It was shown above, once: pipe it to `cfmcp secrets set {secret.name}` once the "
            "cause is fixed."
        )
    else:
        where = f"It could not be kept anywhere. {if_lost}"
    return CfmcpError(
        f"{what} was issued, but putting it failed: {error.message}",
        hint=where + (f" {error.hint}" if error.hint else ""),
    )


def _fetch(api: CloudflareAPI, account_id: str, client_id: str) -> dict[str, Any] | None:
    try:
        return api.get_oauth_client(account_id, client_id)
    except CloudflareAPIError as exc:
        if exc.status == 404:
            return None
        raise


def _require_record(project: Project, env: str | None, dev: bool) -> dict[str, Any]:
    record = recorded_client(project, env, dev)
    if not record.get("id"):
        flags = (" --dev" if dev else "") + (f" --env {env}" if env else "")
        raise CfmcpError(
            f"No OAuth client is recorded for {LOCAL if dev else env_key(env)}.",
            hint=f"Create one with `cfmcp oauth-client create{flags}`.",
        )
    return record


# --- sync ----------------------------------------------------------------------------------


@dataclass
class SyncResult:
    client_id: str
    redirect_uris: list[str]
    changed: bool

    def to_json(self) -> dict[str, Any]:
        return {"client_id": self.client_id, "redirect_uris": self.redirect_uris,
                "changed": self.changed}  # fmt: skip


def sync(
    project: Project, api: CloudflareAPI, *, env: str | None = None, dev: bool = False
) -> SyncResult:
    """Point the client's redirect URI at the Worker's current URL (a PATCH of only that)."""
    record = _require_record(project, env, dev)
    account_id = record["account_id"]
    current = _fetch(api, account_id, record["id"])
    if current is None:
        raise CfmcpError(
            f"OAuth client {record['id']} no longer exists on Cloudflare.",
            hint="Create a new one with `cfmcp oauth-client create`.",
        )
    wanted = [redirect_uri(project, env, dev, api, account_id)]
    have = list(current.get("redirect_uris") or [])
    if have == wanted:
        return SyncResult(record["id"], have, changed=False)
    updated = api.update_oauth_client(account_id, record["id"], {"redirect_uris": wanted})
    uris = list((updated or {}).get("redirect_uris") or wanted)
    save_record(project, env, dev, {**record, "redirect_uris": uris})
    return SyncResult(record["id"], uris, changed=True)


# --- rotate --------------------------------------------------------------------------------


@dataclass
class RotateResult:
    client_id: str
    action: str  # "rotated" | "retired"
    verified: list[str] = field(default_factory=list)  # what was checked, in words
    secrets_target: str | None = None
    keyring: str = "ok"  # or why the new secret is not saved there

    def to_json(self) -> dict[str, Any]:
        return {"client_id": self.client_id, "action": self.action,
                "verified": self.verified, "secrets": self.secrets_target,
                "keyring": self.keyring}  # fmt: skip


def rotate(
    project: Project,
    api: CloudflareAPI,
    *,
    env: str | None = None,
    dev: bool = False,
    retire_old: bool = False,
    force: bool = False,
    reveal: Reveal | None = None,
    progress: Progress = _quiet,
) -> RotateResult:
    """Without downtime: a second secret, put on the Worker, verified; the old one is retired
    only when asked (`retire_old`), and only once the new one was verified (or with `force`)."""
    record = _require_record(project, env, dev)
    account_id, client_id = record["account_id"], record["id"]
    current = _fetch(api, account_id, client_id)
    if current is None:
        raise CfmcpError(f"OAuth client {client_id} no longer exists on Cloudflare.")
    if retire_old:
        if not current.get("has_rotated_secret"):
            raise CfmcpError(
                "There is no old secret to retire (no rotation is pending).",
                hint="Rotate first: cfmcp oauth-client rotate",
            )
        if not (record.get("rotation") or {}).get("verified") and not force:
            raise CfmcpError(
                "The new secret was not verified (its rotation was stopped, or its check "
                "failed), so the old one, maybe the one in use, stays.",
                hint="Check that sign-in works (`cfmcp check`), then retire the old one anyway: "
                "cfmcp oauth-client rotate --retire-old --force",
            )
        api.delete_rotated_oauth_client_secret(account_id, client_id)
        save_record(project, env, dev, {**record, "rotation": None})
        return RotateResult(client_id, "retired")
    if current.get("has_rotated_secret"):
        raise CfmcpError(
            "An earlier rotation is still pending: the client has two secrets.",
            hint="Retire the old one first: cfmcp oauth-client rotate --retire-old",
        )

    store = secrets.store_for(project, env, local=dev)
    with progress("Asking Cloudflare for a second client secret…"):
        new_secret = api.rotate_oauth_client_secret(account_id, client_id)
    save_record(project, env, dev, {**record, "rotation": {"verified": False}})
    value = secrets.SecretValue(CLIENT_SECRET, new_secret, secrets.CLOUDFLARE)
    try:
        stored = secrets.store_secrets(
            project, [value], env=env, local=dev, store=store, progress=progress
        )
    except CfmcpError as exc:
        what = f"A new secret of {client_id}"
        lost = "The old secret is still the one in use, so nothing is broken."
        raise _kept_or_revealed(exc, store, value, reveal, what, lost) from exc
    where = stored.target + (" and in the keyring" if CLIENT_SECRET in stored.saved else "")
    result = RotateResult(
        client_id, "rotated", secrets_target=stored.target, keyring=store.unavailable or "ok"
    )

    try:
        with progress("Checking that Cloudflare accepts the new secret…"):
            _verify_client_secret(project, env, client_id, new_secret)
    except CfmcpError as exc:
        raise CfmcpError(
            f"The new secret is on {where}, but checking it failed: {exc.message}",
            hint="Both secrets work until the old one is retired, so nothing is broken; cfmcp "
            "will not retire it until a rotation is verified.",
        ) from exc
    result.verified.append("Cloudflare's token endpoint accepts the new secret")
    if not dev:
        from cfmcp import wrangler

        names = wrangler.secret_list(project, env=env) or []
        if CLIENT_SECRET not in names:
            raise CfmcpError(f"{CLIENT_SECRET} is not among the Worker's secrets after the put.")
        result.verified.append(f"the Worker has {CLIENT_SECRET} (a new version is live)")
    save_record(project, env, dev, {**record, "rotation": {"verified": True}})
    return result


def reissue_secret(
    project: Project, api: CloudflareAPI, *, env: str | None = None, progress: Progress = _quiet
) -> Any:
    """A new secret for the recorded client when its secret is on neither the Worker nor this
    machine (Cloudflare shows a secret only once): a rotation, verified at the token endpoint.

    Only for a Worker that lacks the secret: an earlier rotation still pending is finished by
    retiring its old secret first, which no running Worker can be using.
    """
    record = _require_record(project, env, False)
    account_id, client_id = record["account_id"], record["id"]
    current = _fetch(api, account_id, client_id)
    if current is None:
        raise CfmcpError(
            f"OAuth client {client_id} no longer exists on Cloudflare.",
            hint="Create a new one with `cfmcp oauth-client create`.",
        )
    if current.get("has_rotated_secret"):
        with progress("Retiring the unused old client secret…"):
            api.delete_rotated_oauth_client_secret(account_id, client_id)
    with progress("Asking Cloudflare for a new client secret…"):
        new_secret = api.rotate_oauth_client_secret(account_id, client_id)
    with progress("Checking that Cloudflare accepts the new secret…"):
        _verify_client_secret(project, env, client_id, new_secret)
    return secrets.SecretValue(CLIENT_SECRET, new_secret, secrets.CLOUDFLARE)


def retire_lost_secret(project: Project, api: CloudflareAPI, *, env: str | None = None) -> None:
    """After reissue_secret() and the put: delete the old secret nobody holds."""
    record = _require_record(project, env, False)
    current = _fetch(api, record["account_id"], record["id"])
    if current is not None and current.get("has_rotated_secret"):
        api.delete_rotated_oauth_client_secret(record["account_id"], record["id"])


def _verify_client_secret(
    project: Project, env: str | None, client_id: str, client_secret: str
) -> None:
    """Client authentication at the token endpoint, with a code that cannot be valid: Cloudflare
    answers invalid_grant when the id and secret are right, invalid_client when they are not."""
    import httpx2

    from cfmcp.headless import is_loopback_url

    config = project.load_wrangler()
    variables = config.get("env", {}).get(env, {}).get("vars") if env else None
    variables = variables if variables is not None else config.get("vars", {})
    oauth_url = str(variables.get("CLOUDFLARE_OAUTH_URL") or DEFAULT_OAUTH_URL).rstrip("/")
    if not oauth_url.startswith("https://") and not is_loopback_url(oauth_url):
        raise CfmcpError(
            f"CLOUDFLARE_OAUTH_URL is {oauth_url}: refusing to send the client secret there "
            "without https.",
            hint=f"Set it to {DEFAULT_OAUTH_URL} in wrangler.toml.",
        )
    try:
        response = httpx2.post(
            f"{oauth_url}/token",
            data={
                "grant_type": "authorization_code",
                "code": "cfmcp-secret-check",
                "redirect_uri": "https://invalid.example/callback",
            },
            auth=(client_id, client_secret),
            timeout=30,
        )
    except httpx2.TransportError as exc:
        raise CfmcpError(f"Could not reach {oauth_url}/token to check the new secret.") from exc
    try:
        error = response.json().get("error")
    except ValueError:
        error = None
    if response.status_code == 401 or error == "invalid_client":
        raise CfmcpError(
            "Cloudflare does not accept the new client secret (invalid_client).",
            hint="Check CLOUDFLARE_OAUTH_URL in wrangler.toml and the client on Cloudflare "
            "(cfmcp oauth-client show).",
        )


# --- show and delete -------------------------------------------------------------------------


def show(
    project: Project, api: CloudflareAPI | None, *, env: str | None = None, dev: bool = False
) -> dict[str, Any]:
    record = recorded_client(project, env, dev)
    data: dict[str, Any] = {"env": LOCAL if dev else env_key(env), "recorded": record or None}
    if record.get("id") and api is not None:
        remote = _fetch(api, record["account_id"], record["id"])
        data["cloudflare"] = (
            None
            if remote is None
            else {
                key: remote.get(key)
                for key in (
                    "client_id", "client_name", "redirect_uris", "scopes", "grant_types",
                    "token_endpoint_auth_method", "has_rotated_secret", "created_at",
                    "updated_at",
                )
            }
        )  # fmt: skip
    return data


def delete(
    project: Project, api: CloudflareAPI, *, env: str | None = None, dev: bool = False
) -> str:
    """Delete the recorded client on Cloudflare, forget it here; returns its id."""
    record = _require_record(project, env, dev)
    if _fetch(api, record["account_id"], record["id"]) is not None:
        api.delete_oauth_client(record["account_id"], record["id"])
    save_record(project, env, dev, None)
    store = secrets.store_for(project, env, local=dev)
    for name in (CLIENT_ID, CLIENT_SECRET):
        store.delete(name)
    return str(record["id"])
