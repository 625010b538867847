"""`cfmcp check`: a real MCP client (the Python MCP SDK) that signs in and calls a tool.

The SDK's own OAuth client does the work; we watch its HTTP traffic to report each step of the
flow with its time: 401 challenge, protected-resource and authorization-server metadata,
dynamic client registration, authorization with PKCE, token. Then, per endpoint and protocol
era, the MCP calls: `server/discover` (2026-07-28, every request self-contained) or
`initialize` (2025), `tools/list` and a tool call (or, asked for, a resource read or a prompt
fetched), on /mcp (streamable HTTP) and on /sse (HTTP+SSE where the server has it, else the
alias of /mcp that stateless servers keep).
"""

from __future__ import annotations

import json
import re
import ssl
import sys
import time
import webbrowser
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlparse

from cfmcp.check_signin import LoopbackCallback, MemoryTokenStorage, StepRecorder
from cfmcp.errors import CfmcpError, UsageError
from cfmcp.headless import authorize_headless, is_loopback_url, require_loopback

if sys.version_info < (3, 11):  # pragma: no cover
    from exceptiongroup import BaseExceptionGroup

DEFAULT_TOOL = "add"
DEFAULT_ARGUMENTS: dict[str, Any] = {"a": 23, "b": 19}
DEFAULT_EXPECT = "42"


@dataclass
class Step:
    name: str
    seconds: float
    ok: bool = True
    detail: str = ""


@dataclass
class CheckResult:
    url: str
    steps: list[Step] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and all(step.ok for step in self.steps)

    def as_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "ok": self.ok,
            "error": self.error,
            "steps": [asdict(step) | {"seconds": round(step.seconds, 4)} for step in self.steps],
        }


def server_base(url: str) -> str:
    """The server's base URL from whatever the user gave: origin, /mcp or /sse URL."""
    parsed = urlparse(url.strip())
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise UsageError(f"{url!r} is not an http(s) URL.")
    if parsed.scheme == "http" and not is_loopback_url(url):
        raise UsageError(f"{url} uses plain http; remote MCP servers need https.")
    path = parsed.path.rstrip("/")
    for suffix in ("/mcp", "/sse"):
        if path.endswith(suffix):
            path = path[: -len(suffix)]
    return f"{parsed.scheme}://{parsed.netloc}{path}"


ERAS = {"modern": "2026-07-28", "legacy": "2025"}


@dataclass(frozen=True)
class _Pass:
    """One connection of the check: an endpoint, how to reach it, and the protocol era."""

    path: str  # "/mcp" or "/sse"
    era: str  # "modern" or "legacy"
    sse: bool = False  # HTTP+SSE rather than streamable HTTP

    @property
    def label(self) -> str:
        if self.sse:
            return f"{self.path}, HTTP+SSE"
        where = "/sse alias" if self.path == "/sse" else self.path
        return f"{where}, {ERAS[self.era]}"


async def run_check(
    url: str,
    *,
    headless: bool = False,
    tool: str | None = DEFAULT_TOOL,
    arguments: dict[str, Any] | None = None,
    expect: str | None = None,
    resource: str | None = None,
    prompt: str | None = None,
    transports: Sequence[str] = ("mcp", "sse"),
    eras: Sequence[str] = ("modern", "legacy"),
    on_step: Callable[[Step], None] = lambda step: None,
    on_open_browser: Callable[[str], None] = lambda url: None,
    sign_in_timeout: float = 300.0,
) -> CheckResult:
    """Sign in to the MCP server at `url` and call `tool` (read `resource`, get `prompt` with
    `arguments`) on each transport in each protocol era; every step lands in the result.
    `expect` is the text the first of them must give.

    /mcp is streamable HTTP, tried as a 2026-07-28 client (`server/discover`, no session) and
    as a 2025-era client (`initialize`). /sse is HTTP+SSE on a server that has it (the stateful
    variant, 2025 era only) and otherwise an alias of /mcp, tried like /mcp.
    """
    import httpx2
    from mcp.client.auth import AuthorizationCodeResult, OAuthClientProvider
    from mcp.client.session import ClientSession
    from mcp.client.sse import sse_client
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared.auth import OAuthClientMetadata

    base = server_base(url)
    tunnels = running_tunnels() if headless else ()
    if headless:
        require_loopback(base, "the server", tunnels)
    if arguments is None:
        arguments = DEFAULT_ARGUMENTS if tool == DEFAULT_TOOL else {}
    if expect is None and tool == DEFAULT_TOOL and arguments == DEFAULT_ARGUMENTS:
        expect = DEFAULT_EXPECT
    if prompt is not None:
        check_prompt_arguments(arguments)
    result = CheckResult(url=base)

    def emit(step: Step) -> None:
        result.steps.append(step)
        on_step(step)

    recorder = StepRecorder(lambda name, seconds, detail: emit(Step(name, seconds, True, detail)))
    callback = LoopbackCallback()
    # One SSL context for every client below: each client would otherwise load the CA bundle
    # again (~50 ms apiece, six clients). A check of http:// on this machine makes no TLS
    # connection, so it does not load the bundle at all (a tenth of a second); a connection
    # it did make would fail verification, never pass unchecked.
    plain_loopback = headless and not tunnels and base.startswith("http://")
    ssl_context = (
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT) if plain_loopback else httpx2.create_ssl_context()
    )
    authorization: dict[str, Any] = {}

    async def redirect_handler(authorization_url: str) -> None:
        recorder.current = "authorization"
        authorization["started"] = time.perf_counter()
        if headless:
            authorization["redirect"] = await authorize_headless(
                authorization_url, callback.redirect_uri, tunnels=tunnels, verify=ssl_context
            )
        else:
            callback.start()
            on_open_browser(authorization_url)
            webbrowser.open(authorization_url)

    async def callback_handler() -> AuthorizationCodeResult:
        if headless:
            redirect = authorization["redirect"]
            code, state, iss = redirect.code, redirect.state, redirect.iss
        else:
            params = await callback.wait(sign_in_timeout)
            if "error" in params:
                reason = f"{params['error']} {params.get('error_description', '')}".strip()
                raise CfmcpError(f"Authorization refused: {reason}")
            code, state, iss = params.get("code", ""), params.get("state"), params.get("iss")
        emit(Step("authorization (PKCE S256)", time.perf_counter() - authorization["started"]))
        recorder.current = "token"
        return AuthorizationCodeResult(code=code, state=state, iss=iss)

    provider = OAuthClientProvider(
        server_url=f"{base}/mcp",
        client_metadata=OAuthClientMetadata(
            client_name="cfmcp check",
            redirect_uris=[callback.redirect_uri],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            token_endpoint_auth_method="none",
        ),
        storage=MemoryTokenStorage(),
        redirect_handler=redirect_handler,
        callback_handler=callback_handler,
    )
    request_hooks: list[Callable[[Any], Any]] = [recorder.on_request]
    if headless:

        async def local_only(request: Any) -> None:
            """--headless never talks to another machine, whatever the server's metadata
            names (a tunnel of this machine's cfmcp dev is this machine)."""
            require_loopback(str(request.url), "the server's metadata pointed at", tunnels)

        request_hooks.insert(0, local_only)
    hooks = {"request": request_hooks, "response": [recorder.on_response]}

    def client_factory(
        headers: dict[str, str] | None = None,
        timeout: httpx2.Timeout | None = None,
        auth: httpx2.Auth | None = None,
    ) -> httpx2.AsyncClient:
        return httpx2.AsyncClient(
            headers=headers,
            timeout=timeout or httpx2.Timeout(30, read=300),
            auth=auth,
            event_hooks=hooks,
            verify=ssl_context,
        )

    async def timed(name: str, action: Callable[[], Any]) -> tuple[Any, float]:
        recorder.start(name)
        started = time.perf_counter()
        value = await action()
        return value, time.perf_counter() - started

    async def exercise(session: ClientSession, run: _Pass) -> None:
        if run.era == "modern":
            name = f"server/discover ({run.label})"
            _, seconds = await timed(name, session.discover)
        else:
            name = f"initialize ({run.label})"
            _, seconds = await timed(name, session.initialize)
        info = session.server_info
        server = f"{info.name} {info.version}, " if info else ""
        emit(Step(name, seconds, True, f"{server}protocol {session.protocol_version}"))

        if tool is not None:
            await call_tool(session, run, tool)
        if resource is not None:
            await read_resource(session, run, resource, expect if tool is None else None)
        if prompt is not None:
            first = tool is None and resource is None
            await get_prompt(session, run, prompt, expect if first else None)

    async def call_tool(session: ClientSession, run: _Pass, tool: str) -> None:
        name = f"tools/list ({run.label})"
        listed, seconds = await timed(name, session.list_tools)
        names = [t.name for t in listed.tools]
        emit(Step(name, seconds, True, ", ".join(names)))
        name = f"tools/call {tool} ({run.label})"
        if tool not in names:
            recorder.start(name)
            raise CfmcpError(f"The server has no tool {tool!r} (it has: {', '.join(names)}).")

        called, seconds = await timed(name, lambda: session.call_tool(tool, arguments))
        text = " ".join(" ".join(getattr(item, "text", "").split()) for item in called.content)
        ok = not called.is_error and (expect is None or text == expect)
        detail = f"{text}" if expect is None else f"{text} (expected {expect})"
        emit(Step(name, seconds, ok, detail))

    async def read_resource(
        session: ClientSession, run: _Pass, uri: str, expected: str | None
    ) -> None:
        name = f"resources/read {uri} ({run.label})"
        read, seconds = await timed(name, lambda: session.read_resource(uri))
        contents = getattr(read, "contents", None) or []
        parts = [
            " ".join(item.text.split()) if getattr(item, "text", None) is not None
            else f"({len(getattr(item, 'blob', ''))} characters of base64)"
            for item in contents
        ]  # fmt: skip
        text = " ".join(parts)
        kinds = sorted({str(item.mime_type) for item in contents if item.mime_type})
        ok = bool(contents) and (expected is None or text == expected)
        shown = f"{', '.join(kinds)}: {text}" if kinds else text
        detail = shown if expected is None else f"{shown} (expected {expected})"
        emit(Step(name, seconds, ok, detail if contents else "no contents"))

    async def get_prompt(
        session: ClientSession, run: _Pass, prompt: str, expected: str | None
    ) -> None:
        name = f"prompts/get {prompt} ({run.label})"
        got, seconds = await timed(name, lambda: session.get_prompt(prompt, arguments))
        messages = getattr(got, "messages", None) or []
        text = " ".join(
            " ".join(getattr(message.content, "text", "").split()) for message in messages
        )
        ok = bool(messages) and (expected is None or text == expected)
        detail = text if expected is None else f"{text} (expected {expected})"
        emit(Step(name, seconds, ok, detail if messages else "no messages"))

    async def over_streamable_http(run: _Pass) -> None:
        recorder.start(f"connect ({run.label})")
        async with (
            client_factory(auth=provider) as http,
            streamable_http_client(f"{base}{run.path}", http_client=http) as (read, write),
            ClientSession(read, write) as session,
        ):
            await exercise(session, run)

    async def over_sse(run: _Pass) -> None:
        """HTTP+SSE is a 2025-era transport: connected to, it is checked in that era only."""
        name = f"connect ({run.label})"
        recorder.start(name)
        url = f"{base}{run.path}"
        async with sse_client(url, auth=provider, httpx_client_factory=client_factory) as streams:
            if "legacy" not in eras:
                emit(Step(name, 0.0, True, "a 2025-era transport: nothing to check in 2026-07-28"))
                return
            async with ClientSession(*streams) as session:
                await exercise(session, run)

    running: _Pass | None = None
    try:
        for transport in transports:
            path = f"/{transport}"
            if transport == "sse":
                try:
                    running = _Pass(path, "legacy", sse=True)
                    await over_sse(running)
                    continue
                except Exception as exc:
                    if not _is_status(exc, 405):
                        raise
                    # No HTTP+SSE here: /sse is an alias of the streamable-HTTP endpoint.
                    recorder.last_error = None
            for era in eras:
                running = _Pass(path, era)
                await over_streamable_http(running)
    except Exception as exc:  # report the failing step with the server's words
        cause = _root_cause(exc)
        message = str(cause) or type(cause).__name__
        if isinstance(cause, CfmcpError):
            message = cause.message
        elif isinstance(cause, (httpx2.TransportError, OSError)):
            message = plain_network_error(message)
        message = recorder.explain(message)
        if running is not None and running.era == "modern" and _refuses_modern(message):
            message += (
                " The server does not speak MCP 2026-07-28; `--era legacy` checks the 2025 "
                "protocol alone."
            )
        result.error = message
        emit(Step(recorder.current, 0.0, False, message))
    finally:
        callback.close()
    if result.error is None and "401 challenge" not in recorder.seen:
        emit(Step("sign-in", 0.0, True, "none: the server answered without a token (public)"))
    return result


_NETWORK_WORDS = (
    (
        re.compile(r"\[Errno -[2358]\]|name or service not known|nodename nor servname|"
                   r"getaddrinfo failed|name resolution", re.I),
        "the host name does not resolve (DNS)",
    ),
    (
        re.compile(r"\[Errno 111\]|\[Errno 61\]|connection refused|all connection attempts "
                   r"failed", re.I),
        "nothing answers there (connection refused)",
    ),
    (re.compile(r"timed out|timeout", re.I), "no answer in time (timeout)"),
    (re.compile(r"certificate|ssl|tls", re.I), "the TLS certificate was not accepted"),
)  # fmt: skip
NOT_REACHED = ("does not resolve", "nothing answers")


def plain_network_error(message: str) -> str:
    """A socket error in words, without the `[Errno -2]` of the C library."""
    for pattern, words in _NETWORK_WORDS:
        if pattern.search(message):
            return words
    return re.sub(r"\[Errno -?\d+\]\s*", "", message)


def _refuses_modern(message: str) -> bool:
    return bool(re.search(r"protocol version|method not found|session", message, re.I))


def _is_status(exc: BaseException, status: int) -> bool:
    cause = _root_cause(exc)
    response = getattr(cause, "response", None)
    return getattr(response, "status_code", None) == status


def running_tunnels() -> tuple[str, ...]:
    """The public URLs of the `cfmcp dev --tunnel` servers running for the project here."""
    from cfmcp.dev.supervisor import running_tunnel_urls
    from cfmcp.project import project_or_none

    project = project_or_none()
    return () if project is None else tuple(running_tunnel_urls(project))


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """Text from a server, safe for a terminal: control characters (escape sequences) dropped."""
    return _CONTROL.sub("", text)


def _root_cause(exc: BaseException) -> BaseException:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    if isinstance(exc, BaseExceptionGroup):
        return exc
    return exc


def _quiet_sdk_logs() -> None:
    """The SDK logs its own tracebacks for failures we report as steps: keep them for
    CFMCP_DEBUG=1."""
    import logging
    import os

    if not os.environ.get("CFMCP_DEBUG"):
        logging.getLogger("mcp").setLevel(logging.CRITICAL + 1)


def check_prompt_arguments(arguments: dict[str, Any]) -> None:
    bad = [key for key, value in arguments.items() if not isinstance(value, str)]
    if bad:
        raise UsageError(
            f"A prompt's arguments are text: give {', '.join(bad)} as strings.",
            hint='e.g. --prompt summarize --args \'{"text": "Hi."}\'',
        )


def parse_arguments(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"--args is not valid JSON: {exc.msg} (column {exc.colno}).") from exc
    if not isinstance(value, dict):
        raise UsageError('--args must be a JSON object, like \'{"a": 1, "b": 2}\'.')
    return value


# --- the command ------------------------------------------------------------------------------


# Wide enough for "server/discover (/sse alias, 2026-07-28)" and a tool's name of a few letters.
NAME_COLUMN = 44


def default_url(env: str | None, *, headless: bool = False) -> str:
    """The running `cfmcp dev` of this project, else the deployed URL recorded for `env`.
    With `headless`, only the running `cfmcp dev` will do."""
    from cfmcp.dev.supervisor import running_dev_url
    from cfmcp.project import project_or_none

    project = project_or_none()
    if project is not None:
        project.require_env(env)
        if env is None:
            running = running_dev_url(project)
            if running:
                return running
        if headless:
            raise CfmcpError(
                "No cfmcp dev is running for this project, and --headless checks only a local "
                "server.",
                hint="Start it in another terminal with `cfmcp dev`, then run cfmcp check "
                "--headless again; or drop --headless to check the deployed server in your "
                "browser.",
            )
        deployed = project.env_state(env).get("url")
        if deployed:
            return str(deployed)
    raise CfmcpError(
        "No server to check: no cfmcp dev is running here and no deployed URL is recorded.",
        hint="Start `cfmcp dev` (then `cfmcp check --headless`), deploy with `cfmcp deploy`, "
        "or pass the URL: cfmcp check https://…",
    )


def _build_watch(target: str) -> Callable[[], str | None] | None:
    """For a local target served by this project's `cfmcp dev`: a function that returns the
    Worker's build error while it has one (wrangler then holds every request until a good
    build, so the check would only time out)."""
    if not is_loopback_url(target) and target not in running_tunnels():
        return None
    from cfmcp.project import project_or_none

    project = project_or_none()
    if project is None:
        return None
    from cfmcp.dev.supervisor import dev_build_error

    return lambda: dev_build_error(project, target)


async def _watched(
    check: Callable[[], Awaitable[CheckResult]], build_error: Callable[[], str | None] | None
) -> CheckResult:
    """Run the check, stopping it as soon as the Worker reports a build error."""
    import anyio

    if build_error is None:
        return await check()
    outcome: dict[str, Any] = {}

    async def run() -> None:
        outcome["result"] = await check()
        group.cancel_scope.cancel()

    async def watch() -> None:
        while True:
            error = await anyio.to_thread.run_sync(build_error)
            if error:
                outcome["build_error"] = error
                group.cancel_scope.cancel()
                return
            await anyio.sleep(0.25)

    async with anyio.create_task_group() as group:
        group.start_soon(run)
        group.start_soon(watch)
    if "build_error" in outcome:
        raise CfmcpError(
            f"The Worker does not build, so it cannot answer (from cfmcp dev):\n"
            f"{outcome['build_error']}",
            hint="Fix the error; cfmcp dev reloads by itself. Then run cfmcp check again.",
        )
    return outcome["result"]


def check_command(
    *,
    url: str | None,
    headless: bool,
    tool: str | None,
    args: str | None,
    expect: str | None,
    transport: str,
    resource: str | None = None,
    prompt: str | None = None,
    era: str = "both",
    env: str | None,
    as_json: bool,
) -> int:
    import anyio

    from cfmcp import console

    transports = {"both": ("mcp", "sse"), "mcp": ("mcp",), "sse": ("sse",)}.get(transport)
    if transports is None:
        raise UsageError(f"--transport must be mcp, sse or both, not {transport!r}.")
    eras = {"both": ("modern", "legacy"), "modern": ("modern",), "legacy": ("legacy",)}.get(era)
    if eras is None:
        raise UsageError(f"--era must be modern, legacy or both, not {era!r}.")
    arguments = parse_arguments(args)
    if tool is None and resource is None and prompt is None:
        tool = DEFAULT_TOOL
    if prompt is not None and arguments:
        check_prompt_arguments(arguments)
    target = server_base(url or default_url(env, headless=headless))
    if headless:
        require_loopback(target, "the server", running_tunnels())
    build_error = _build_watch(target)

    def show_step(step: Step) -> None:
        if as_json:
            return
        mark = "[green]✓[/green]" if step.ok else "[red]✗[/red]"
        timing = f"{step.seconds * 1000:7.0f} ms" if step.ok else " " * 10
        detail = f"  [dim]{console.escape(printable(step.detail))}[/dim]" if step.detail else ""
        name = console.escape(printable(step.name))
        column = f"{name:<{NAME_COLUMN}}"
        console.err_console().print(f"{mark} {column} {timing}{detail}", soft_wrap=True)

    def show_browser(authorization_url: str) -> None:
        # On stderr, with --json too: without it a user would wait for nothing.
        console.info("Opening your browser to sign in. If it does not open, visit:")
        console.info(authorization_url)

    if not as_json:
        console.info(f"Checking {target}")
    _quiet_sdk_logs()
    try:
        result = anyio.run(
            lambda: _watched(
                lambda: run_check(
                    target,
                    headless=headless,
                    tool=tool,
                    arguments=arguments,
                    expect=expect,
                    resource=resource,
                    prompt=prompt,
                    transports=transports,
                    eras=eras,
                    on_step=show_step,
                    on_open_browser=show_browser,
                ),
                build_error,
            )
        )
    except KeyboardInterrupt:
        raise CfmcpError("Interrupted; nothing was changed.", exit_code=130) from None
    problem = None if result.ok else _failure(result, target)
    if as_json:
        console.print_result(result.as_dict(), error=problem)
    elif problem is None:
        total = sum(step.seconds for step in result.steps)
        console.success(f"All {len(result.steps)} steps passed in {total:.2f} s")
    else:
        console.show_error(problem)
    return 0 if result.ok else 1


def _failure(result: CheckResult, target: str) -> CfmcpError:
    """What failed, where, and (when the server was not reached) what to look at."""
    failed = next((s for s in result.steps if not s.ok), None)
    where = f" at {failed.name}" if failed else ""
    reason = result.error or (failed.detail if failed else "")
    hint = None
    if any(words in reason for words in NOT_REACHED):
        hint = (
            f"Is the server at {target} running? `cfmcp dev` serves it locally."
            if is_loopback_url(target)
            else f"Check the URL {target}: `cfmcp deploy` prints the deployed one."
        )
    return CfmcpError(printable(f"check failed{where}: {reason}"), hint=hint)
