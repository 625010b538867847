"""A small stand-in for Cloudflare's API, enough for the real wrangler to run against it.

    with FakeCloudflare() as api:
        run_wrangler(project, ["deploy"], env=api.env())
        assert api.requests_to("PUT", "/accounts/{account}/workers/scripts/demo")

Point wrangler at it with `api.env()` (CLOUDFLARE_API_BASE_URL ending in /client/v4, a token
and an account id). Every request is recorded (`api.requests`) and state is kept in plain
attributes (namespaces, scripts, subdomain) that tests may read and seed. Routes live in a
table (`api.route(method, pattern)(handler)`) so that later tests can add endpoints; a request
no route matches is answered 404 in Cloudflare's envelope and printed loudly.

Failure hooks: `api.fail_with(status, code, message)` answers every request with that error;
`api.hang()` accepts connections and never answers; `api.stop()` closes the port (API
unreachable); `api.hold(method, path_prefix)` keeps one request unanswered, as if the client
stopped mid-way; `api.before` may be set to a callable that returns a Reply to short-circuit any
request but the token verification ones.

Tokens: only those in `api.tokens` are accepted. Like Cloudflare, any other bearer token gets
403 with code 10000 ("Authentication error", the same answer as a valid token short of a
permission) everywhere except the two `/tokens/verify` endpoints, which say 401 "Invalid API
Token": that is how cfmcp tells the two apart.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import os
import re
import secrets
import socket
import sys
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

ACCOUNT_ID = "0123456789abcdef0123456789abcdef"
API_TOKEN = "fake-api-token-for-tests"
VERIFY = "/tokens/verify"
PREFIX = "/client/v4"


@dataclass
class RecordedRequest:
    method: str
    path: str  # without the /client/v4 prefix
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def multipart(self) -> dict[str, bytes]:
        """The parts of a multipart/form-data body, by field name."""
        content_type = self.headers.get("content-type", "")
        raw = f"Content-Type: {content_type}\r\n\r\n".encode() + self.body
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)
        parts: dict[str, bytes] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            parts[str(name)] = part.get_payload(decode=True) or b""
        return parts


@dataclass
class Reply:
    status: int = 200
    result: Any = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    raw: bytes | None = None  # a body that is not an envelope
    headers: dict[str, str] = field(default_factory=dict)
    page: int = 1
    per_page: int | None = None
    total: int | None = None

    def body(self) -> bytes:
        if self.raw is not None:
            return self.raw
        envelope = {
            "success": not self.errors,
            "errors": self.errors,
            "messages": [],
            "result": self.result,
        }
        if isinstance(self.result, list):
            per_page = self.per_page or max(len(self.result), 1)
            total = len(self.result) if self.total is None else self.total
            envelope["result_info"] = {
                "page": self.page,
                "per_page": per_page,
                "count": len(self.result),
                "total_count": total,
                "total_pages": max(1, -(-total // per_page)),
            }
        return json.dumps(envelope).encode()


def paginate(request: RecordedRequest, items: list[Any]) -> Reply:
    """One page of `items` as the `page`/`per_page` query asks (wrangler's SDK pages until an
    empty page, so answering every page with everything would loop forever)."""
    page = int(request.query.get("page", ["1"])[0])
    per_page = int(request.query.get("per_page", ["20"])[0])
    chunk = items[(page - 1) * per_page : page * per_page]
    return Reply(result=chunk, page=page, per_page=per_page, total=len(items))


def error(status: int, code: int, message: str) -> Reply:
    return Reply(status=status, errors=[{"code": code, "message": message}])


Handler = Callable[..., "Reply | Any"]


@dataclass
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler


@dataclass
class Script:
    name: str
    metadata: dict[str, Any] = field(default_factory=dict)
    modules: dict[str, bytes] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    subdomain_enabled: bool = False
    deployment_id: str = ""
    draft: bool = False  # created by `wrangler secret put` for a Worker that did not exist
    crons: list[str] = field(default_factory=list)


@dataclass
class Hold:
    """One request the fake holds: see FakeCloudflare.hold()."""

    method: str
    prefix: str
    nth: int
    seen: int = 0
    reached: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)


class FakeCloudflare:
    def __init__(self, *, account_id: str = ACCOUNT_ID, subdomain: str = "test-sub") -> None:
        self.account_id = account_id
        self.subdomain = subdomain
        self.email = "user@example.com"
        self.namespaces: dict[str, str] = {}  # id -> title
        self.versions: dict[str, tuple[dict[str, Any], dict[str, bytes]]] = {}  # not yet live
        self.other_accounts: list[dict[str, str]] = []  # more accounts the token can see
        self.oauth_clients: dict[str, dict[str, Any]] = {}  # client_id -> client
        self.oauth_secrets: dict[str, list[str]] = {}  # client_id -> [old?, current]
        self.scripts: dict[str, Script] = {}
        self.requests: list[RecordedRequest] = []
        self.unknown: list[RecordedRequest] = []
        self.before: Callable[[RecordedRequest], Reply | None] | None = None
        self.routes: list[Route] = []
        self._server: ThreadingHTTPServer | None = None
        self._port: int | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.hanging = threading.Event()
        self.released = threading.Event()
        self.holds: list[Hold] = []
        self.tokens = {API_TOKEN}  # the API tokens it accepts
        self._install_routes()

    # --- lifecycle --------------------------------------------------------------------------

    def start(self, port: int = 0) -> FakeCloudflare:
        fake = self

        class RequestHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                if fake.hanging.is_set():  # accept, read nothing back, never answer
                    fake.released.wait()
                    return
                fake._dispatch(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", port), RequestHandler)
        self._server.daemon_threads = True
        self._port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def hang(self) -> None:
        """From now on accept connections and never answer (a hung API)."""
        self.hanging.set()

    def hold(self, method: str, path_prefix: str, nth: int = 1) -> Hold:
        """Hold the `nth` request to a path starting with `path_prefix` (`{account}` stands
        for the account id; a final `$`: that path only): recorded, never answered nor
        applied, as if the client were interrupted mid-request. `reached` is set when it
        arrives."""
        prefix = path_prefix.replace("{account}", self.account_id)
        hold = Hold(method, prefix, nth)
        self.holds.append(hold)
        return hold

    def _refuse_token(self, request: RecordedRequest) -> Reply | None:
        """Cloudflare's answers to a bearer token it does not know: the verification
        endpoints say it is invalid (401, code 1000); every other endpoint gives the same
        10000 "Authentication error" as a valid token short of a permission."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or token in self.tokens:
            return None
        if request.path.endswith(VERIFY):
            return error(401, 1000, "Invalid API Token")
        return error(403, 10000, "Authentication error")

    def _hold_for(self, request: RecordedRequest) -> Hold | None:
        for hold in self.holds:
            exact = hold.prefix.endswith("$")  # "…$": the path itself, nothing under it
            path = request.path.split("?")[0]
            matches = path == hold.prefix[:-1] if exact else request.path.startswith(hold.prefix)
            if request.method == hold.method and matches:
                hold.seen += 1
                if hold.seen == hold.nth and not hold.released.is_set():
                    return hold
        return None

    def stop(self) -> None:
        for hold in self.holds:
            hold.released.set()
        self.released.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeCloudflare:
        return self.start() if self._server is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port, also after stop(): then nothing listens there (the API is "down")."""
        assert self._port is not None, "not started"
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{PREFIX}"

    def env(self) -> dict[str, str]:
        """What wrangler needs to talk to this fake instead of Cloudflare."""
        return {
            "CLOUDFLARE_API_BASE_URL": self.base_url,
            "CLOUDFLARE_API_TOKEN": API_TOKEN,
            "CLOUDFLARE_ACCOUNT_ID": self.account_id,
        }

    # --- failure hooks ----------------------------------------------------------------------

    def fail_with(
        self, status: int = 403, code: int = 10000, message: str = "Authentication error"
    ):
        """Answer every request from now on with this error."""
        self.before = lambda request: error(status, code, message)

    # --- assertions -------------------------------------------------------------------------

    def requests_to(self, method: str, path: str) -> list[RecordedRequest]:
        """Recorded requests for `path`, where `{account}` stands for the account id."""
        path = path.replace("{account}", self.account_id)
        return [r for r in self.requests if r.method == method and r.path == path]

    def summary(self) -> list[str]:
        """`METHOD /path` of every request, account id shown as {account}: for reports."""
        return [f"{r.method} {r.path.replace(self.account_id, '{account}')}" for r in self.requests]

    # --- routing ----------------------------------------------------------------------------

    def route(self, method: str, pattern: str) -> Callable[[Handler], Handler]:
        """Register `handler(request, **groups)` for `pattern` (regex on the path, anchored).

        `{account}` in the pattern matches this fake's account id; later routes win.
        """

        def register(handler: Handler) -> Handler:
            regex = pattern.replace("{account}", re.escape(self.account_id))
            self.routes.insert(0, Route(method, re.compile(f"^{regex}$"), handler))
            return handler

        return register

    def _dispatch(self, http: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(http.path)
        length = int(http.headers.get("Content-Length") or 0)
        body = http.rfile.read(length) if length else b""
        path = parts.path[len(PREFIX) :] if parts.path.startswith(PREFIX) else parts.path
        request = RecordedRequest(
            method=http.command,
            path=path,
            query=parse_qs(parts.query),
            headers={k.lower(): v for k, v in http.headers.items()},
            body=body,
        )
        with self._lock:
            self.requests.append(request)
            hold = self._hold_for(request)
        if hold is not None:  # recorded, never applied, never answered
            hold.reached.set()
            hold.released.wait(300)
            http.close_connection = True
            return
        with self._lock:
            reply = self._refuse_token(request)
            if reply is None and self.before and not request.path.endswith(VERIFY):
                reply = self.before(request)
            if reply is None:
                reply = self._route(request)
        payload = reply.body()
        http.send_response(reply.status)
        http.send_header("Content-Type", reply.headers.get("Content-Type", "application/json"))
        for key, value in reply.headers.items():
            if key != "Content-Type":
                http.send_header(key, value)
        http.send_header("Content-Length", str(len(payload)))
        http.end_headers()
        http.wfile.write(payload)

    def _route(self, request: RecordedRequest) -> Reply:
        for route in self.routes:
            if route.method != request.method:
                continue
            match = route.pattern.match(request.path)
            if match:
                value = route.handler(request, **match.groupdict())
                if isinstance(value, Reply):
                    return value
                return paginate(request, value) if isinstance(value, list) else Reply(result=value)
        self.unknown.append(request)
        print(
            f"FAKE CLOUDFLARE: no route for {request.method} {request.path} {request.query or ''}",
            file=sys.stderr,
        )
        return error(404, 7000, f"No route for that URI (fake API): {request.path}")

    # --- the API ----------------------------------------------------------------------------

    def add_script(self, name: str, **secrets_: str) -> Script:
        script = Script(name=name, secrets=dict(secrets_), deployment_id=secrets.token_hex(16))
        self.scripts[name] = script
        return script

    def _install_routes(self) -> None:
        route = self.route
        scripts = "/accounts/{account}/workers/scripts/(?P<name>[^/]+)"

        # identity: `wrangler whoami` and the account checks of other commands
        @route("GET", "/user/tokens/verify")
        def verify(request):
            return {"id": "fake-token-id", "status": "active"}

        @route("GET", "/user")
        def user(request):
            return {"id": "fake-user-id", "email": self.email}

        @route("GET", "/accounts")
        def accounts(request):
            return [{"id": self.account_id, "name": "Test Account"}, *self.other_accounts]

        @route("GET", "/memberships")
        def memberships(request):
            accounts = [{"id": self.account_id, "name": "Test Account"}, *self.other_accounts]
            return [
                {"id": f"m{n}", "account": account, "roles": ["Administrator"]}
                for n, account in enumerate(accounts)
            ]

        # KV
        @route("GET", "/accounts/{account}/storage/kv/namespaces")
        def kv_list(request):
            return [
                {"id": ns_id, "title": title, "supports_url_encoding": True}
                for ns_id, title in sorted(self.namespaces.items(), key=lambda item: item[1])
            ]

        @route("POST", "/accounts/{account}/storage/kv/namespaces")
        def kv_create(request):
            title = request.json()["title"]
            if title in self.namespaces.values():
                return error(
                    400, 10014, "a namespace with this account ID and title already exists"
                )
            ns_id = secrets.token_hex(16)
            self.namespaces[ns_id] = title
            return {"id": ns_id, "title": title, "supports_url_encoding": True}

        # API tokens: the two verification endpoints (user tokens, account-owned tokens)
        @route("GET", "/user" + VERIFY)
        @route("GET", "/accounts/{account}" + VERIFY)
        def verify_token(request):
            return {"id": "f" * 32, "status": "active"}

        # Workers: secrets
        def missing(name: str) -> Reply:
            return error(404, 10007, f"This Worker does not exist on your account. [{name}]")

        @route("GET", scripts + "/secrets")
        def secret_list(request, name):
            if name not in self.scripts:
                return missing(name)
            return [
                {"name": key, "type": "secret_text"} for key in sorted(self.scripts[name].secrets)
            ]

        @route("PUT", scripts + "/secrets")
        def secret_put(request, name):
            if name not in self.scripts:
                return missing(name)
            data = request.json()
            self.scripts[name].secrets[data["name"]] = data["text"]
            return {"name": data["name"], "type": data.get("type", "secret_text")}

        # Workers: deploy
        @route("GET", "/accounts/{account}/workers/services/(?P<name>[^/]+)")
        def service(request, name):
            if name not in self.scripts:
                return missing(name)
            script = self.scripts[name]
            return {
                "id": name,
                "default_environment": {
                    "environment": "production",
                    "script": {
                        "id": name,
                        "tag": "fake-tag",
                        "etag": "fake-etag",
                        "migration_tag": script.metadata.get("migrations", {}).get("new_tag"),
                        "last_deployed_from": "wrangler",
                    },
                },
            }

        @route("GET", scripts + "/deployments")
        def deployments(request, name):
            if name not in self.scripts:
                return missing(name)
            return {"deployments": []}

        @route("GET", "/accounts/{account}/workers/scripts")
        def script_list(request):
            return [{"id": name, "tag": "fake-tag"} for name in sorted(self.scripts)]

        @route("GET", scripts + "/settings")
        def settings(request, name):
            if name not in self.scripts:
                return missing(name)
            script = self.scripts[name]
            return {"bindings": script.metadata.get("bindings", []), "logpush": False}

        def read_upload(request) -> tuple[dict[str, Any], dict[str, bytes]] | Reply:
            parts = request.multipart()
            metadata = json.loads(parts.pop("metadata", b"{}"))
            for binding in metadata.get("bindings", []):
                namespace_id = binding.get("namespace_id")
                if binding.get("type") == "kv_namespace" and namespace_id not in self.namespaces:
                    return error(400, 10042, f"KV namespace '{namespace_id}' is not valid.")
            return metadata, parts

        def go_live(name: str, metadata: dict[str, Any], modules: dict[str, bytes]) -> Script:
            script = self.scripts.get(name) or Script(name=name)
            script.metadata = metadata
            script.modules = modules
            script.deployment_id = str(uuid.uuid4())
            script.draft = "export default { fetch() {} }" in b"".join(modules.values()).decode(
                errors="replace"
            )
            self.scripts[name] = script
            return script

        # The old way (a Worker with Durable Object migrations, or a new Worker): one upload.
        @route("PUT", scripts)
        def upload(request, name):
            found = read_upload(request)
            if isinstance(found, Reply):
                return found
            script = go_live(name, *found)
            return {
                "id": name,
                "etag": secrets.token_hex(16),
                "deployment_id": script.deployment_id.replace("-", ""),
                "startup_time_ms": 7,
                "has_modules": True,
                "entry_point": found[0].get("main_module", "index.js"),
            }

        # The new way (wrangler 4.1xx, an existing Worker): a version, then a deployment of it.
        @route("POST", scripts + "/versions")
        def upload_version(request, name):
            if name not in self.scripts:
                return missing(name)
            found = read_upload(request)
            if isinstance(found, Reply):
                return found
            version_id = str(uuid.uuid4())
            self.versions[version_id] = found
            return {
                "id": version_id,
                "number": len(self.versions),
                "metadata": {"source": "wrangler"},
                "resources": {
                    "script": {"etag": secrets.token_hex(16), "handlers": ["fetch"]},
                    "bindings": found[0].get("bindings", []),
                },
                "startup_time_ms": 7,
            }

        @route("POST", scripts + "/deployments")
        def deploy_versions(request, name):
            if name not in self.scripts:
                return missing(name)
            [version] = request.json()["versions"]
            if version["version_id"] not in self.versions or version["percentage"] != 100:
                return error(400, 10213, "unknown version or a split this fake does not do")
            go_live(name, *self.versions[version["version_id"]])
            self.scripts[name].deployment_id = version["version_id"]
            return {
                "id": str(uuid.uuid4()),
                "source": "api",
                "strategy": "percentage",
                "versions": [version],
            }

        @route("PATCH", scripts + "/script-settings")
        def script_settings(request, name):
            if name not in self.scripts:
                return missing(name)
            return request.json()

        @route("PUT", scripts + "/schedules")
        def schedules(request, name):
            if name not in self.scripts:
                return missing(name)
            self.scripts[name].crons = [entry["cron"] for entry in request.json()]
            return {"schedules": request.json()}

        @route("GET", "/accounts/{account}/workers/workers/(?P<name>[^/]+)")
        def worker(request, name):
            if name not in self.scripts:
                return missing(name)
            enabled = self.scripts[name].subdomain_enabled
            return {
                "id": name,
                "name": name,
                "subdomain": {"enabled": enabled, "previews_enabled": enabled},
            }

        @route("GET", "/accounts/{account}/workers/subdomain")
        def account_subdomain(request):
            return {"subdomain": self.subdomain}

        @route("GET", scripts + "/subdomain")
        def script_subdomain(request, name):
            enabled = name in self.scripts and self.scripts[name].subdomain_enabled
            return {"enabled": enabled, "previews_enabled": enabled}

        @route("POST", scripts + "/subdomain")
        def enable_subdomain(request, name):
            if name not in self.scripts:
                return missing(name)
            data = request.json()
            self.scripts[name].subdomain_enabled = bool(data.get("enabled"))
            return {"enabled": self.scripts[name].subdomain_enabled, "previews_enabled": True}

        self._install_oauth_client_routes()

    # --- OAuth clients: /accounts/{id}/oauth_clients, and the token endpoint they sign in at --

    # Scope ids the fake knows (Cloudflare validates dot-delimited ids against its list).
    KNOWN_SCOPES = frozenset(
        {"user-details.read", "account.read", "workers-scripts.read", "workers-platform.read",
         "zone.read", "offline_access"}
    )  # fmt: skip

    def _install_oauth_client_routes(self) -> None:
        route = self.route
        clients = "/accounts/{account}/oauth_clients"
        one = clients + "/(?P<client_id>[0-9a-f]{32})"

        def invalid(message: str) -> Reply:
            return error(400, 1004, message)

        def check(body: dict[str, Any], *, partial: bool) -> Reply | None:
            grants = body.get("grant_types")
            if grants is not None or not partial:
                if "authorization_code" not in (grants or []):
                    return invalid("grant_types: authorization_code is required")
                if set(grants) - {"authorization_code", "refresh_token"}:
                    return invalid("grant_types: unsupported grant type")
            for scope in body.get("scopes") or []:
                if ":" in scope:
                    return invalid(f"scopes: colon-delimited scope {scope!r} is not accepted")
                if scope == "openid" or scope not in self.KNOWN_SCOPES:
                    return invalid(f"scopes: unknown scope {scope!r}")
            if not partial:
                for key in ("client_name", "redirect_uris", "response_types", "scopes"):
                    if not body.get(key):
                        return invalid(f"{key} is required")
            return None

        def public(client: dict[str, Any]) -> dict[str, Any]:
            shown = dict(client)
            shown["has_rotated_secret"] = len(self.oauth_secrets[client["client_id"]]) > 1
            return shown

        def find(client_id: str) -> dict[str, Any] | Reply:
            client = self.oauth_clients.get(client_id)
            return client if client is not None else error(404, 1003, "OAuth client not found")

        @route("POST", clients)
        def create(request):
            body = request.json()
            problem = check(body, partial=False)
            if problem:
                return problem
            client_id = secrets.token_hex(16)
            scopes = list(body["scopes"])
            if "refresh_token" in body["grant_types"] and "offline_access" not in scopes:
                scopes.append("offline_access")  # Cloudflare adds it for refresh clients
            client = {
                "client_id": client_id,
                "client_name": body["client_name"],
                "grant_types": body["grant_types"],
                "response_types": body["response_types"],
                "redirect_uris": body["redirect_uris"],
                "scopes": scopes,
                "token_endpoint_auth_method": body.get("token_endpoint_auth_method"),
                "visibility": "private",
                "created_at": "2026-11-26T00:00:00Z",
            }
            self.oauth_clients[client_id] = client
            self.oauth_secrets[client_id] = [secrets.token_urlsafe(32)]
            return {**public(client), "client_secret": self.oauth_secrets[client_id][-1]}

        @route("GET", clients)
        def list_clients(request):
            return [public(c) for c in self.oauth_clients.values()]

        @route("GET", one)
        def get(request, client_id):
            client = find(client_id)
            return client if isinstance(client, Reply) else public(client)

        @route("PATCH", one)
        def update(request, client_id):
            client = find(client_id)
            if isinstance(client, Reply):
                return client
            body = request.json()
            problem = check(body, partial=True)
            if problem:
                return problem
            client.update(body)
            return public(client)

        @route("DELETE", one)
        def delete(request, client_id):
            client = find(client_id)
            if isinstance(client, Reply):
                return client
            del self.oauth_clients[client_id]
            del self.oauth_secrets[client_id]
            return {"client_id": client_id}

        @route("POST", one + "/rotate_secret")
        def rotate(request, client_id):
            client = find(client_id)
            if isinstance(client, Reply):
                return client
            if len(self.oauth_secrets[client_id]) > 1:
                return invalid("a rotated secret must be deleted before rotating again")
            self.oauth_secrets[client_id].append(secrets.token_urlsafe(32))
            return {"client_secret": self.oauth_secrets[client_id][-1]}

        @route("DELETE", one + "/rotate_secret")
        def retire(request, client_id):
            client = find(client_id)
            if isinstance(client, Reply):
                return client
            if len(self.oauth_secrets[client_id]) < 2:
                return invalid("there is no rotated secret")
            self.oauth_secrets[client_id] = self.oauth_secrets[client_id][-1:]
            return public(client)

        @route("POST", "/oauth2/token")
        def token(request):
            """Client authentication as Cloudflare's token endpoint does it; no code is valid."""
            import base64

            scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
            client_id, _, secret = base64.b64decode(encoded or "").decode().partition(":")
            ok = scheme.lower() == "basic" and secret in self.oauth_secrets.get(client_id, [])
            if not ok:
                body = {"error": "invalid_client", "error_description": "client auth failed"}
                return Reply(status=401, raw=json.dumps(body).encode())
            body = {"error": "invalid_grant", "error_description": "invalid code"}
            return Reply(status=400, raw=json.dumps(body).encode())

    @property
    def oauth_url(self) -> str:
        """Where CLOUDFLARE_OAUTH_URL points in a test project: this fake's token endpoint."""
        return f"http://127.0.0.1:{self.port}/oauth2"


# --- the environment tests run cfmcp and wrangler in ---------------------------------------

REPO_ROOT = Path(__file__).resolve().parent.parent


def dead_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def isolated_env(tmp_path: Path, api: FakeCloudflare | None = None, **extra: str) -> dict[str, str]:
    """Variables for running cfmcp (and so wrangler) in a test, cut off from the developer's
    Cloudflare: no token or `wrangler login` session of theirs (XDG_CONFIG_HOME in tmp_path),
    API calls to `api` or to a closed loopback port, a file keyring in tmp_path.

    Empty strings, not removed keys: wrangler treats an empty CLOUDFLARE_API_TOKEN as unset.
    """
    from tests.keyring_backend import FILE_VARIABLE

    env = {
        "CLOUDFLARE_API_TOKEN": "",
        "CLOUDFLARE_ACCOUNT_ID": "",
        "CLOUDFLARE_API_KEY": "",
        "CLOUDFLARE_EMAIL": "",
        # Never empty: wrangler would build URLs on "" (it uses the variable when it is set).
        "CLOUDFLARE_API_BASE_URL": f"http://127.0.0.1:{dead_port()}{PREFIX}",
        "XDG_CONFIG_HOME": str(tmp_path / "xdg-config"),
        "WRANGLER_LOG_PATH": str(tmp_path / "wrangler-logs"),
        "PYTHON_KEYRING_BACKEND": "tests.keyring_backend.FileKeyring",
        FILE_VARIABLE: str(tmp_path / "keyring.json"),
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])
        ),
    }
    if api is not None:
        env.update(api.env())
    env.update(extra)
    return env
