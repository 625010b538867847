"""The sign-in side of `cfmcp check`, around the MCP SDK's own OAuth client: the OAuth steps
named and timed from its HTTP traffic, its tokens held in memory only, and the loopback
redirect a browser sign-in comes back to.
"""

from __future__ import annotations

import html
import threading
import time
from collections.abc import Callable
from typing import Any

from cfmcp.errors import CfmcpError


class StepRecorder:
    """Names and times the OAuth steps from the HTTP requests the SDK makes; `emit` gets each
    step the first time it succeeds (name, seconds, detail)."""

    def __init__(self, emit: Callable[[str, float, str], None]):
        self.emit = emit
        self.current = "connect"
        self.mcp_step = "connect"  # the MCP call under way; sign-in may happen inside it
        self.last_error: str | None = None  # "POST /mcp answered 400"
        self.last_error_body = ""
        self.seen: set[str] = set()

    def start(self, step: str) -> None:
        self.current = self.mcp_step = step

    def explain(self, message: str) -> str:
        """`message` with the last refusal the server sent, once."""
        if not self.last_error:
            return message
        body = self.last_error_body
        if body and message not in body and body not in message:
            return f"{message} ({self.last_error}: {body})"
        if self.last_error not in message:
            return f"{message} ({self.last_error})"
        return message

    def classify(self, method: str, path: str, status: int) -> str | None:
        if path.endswith(("/mcp", "/sse")) and status == 401:
            return "401 challenge"
        if "/.well-known/oauth-protected-resource" in path:
            return "protected-resource metadata"
        if "/.well-known/oauth-authorization-server" in path or "openid-configuration" in path:
            return "authorization-server metadata"
        if method == "POST" and path.endswith("/register"):
            return "client registration"
        if method == "POST" and path.endswith("/token"):
            return "token" if "token" not in self.seen else "token refresh"
        return None

    async def on_request(self, request: Any) -> None:
        request.extensions["cfmcp_started"] = time.perf_counter()
        guess = self.classify(request.method, request.url.path, 401)
        if guess and guess != "401 challenge":
            self.current = guess

    async def on_response(self, response: Any) -> None:
        request = response.request
        seconds = time.perf_counter() - request.extensions.get("cfmcp_started", time.perf_counter())
        name = self.classify(request.method, request.url.path, response.status_code)
        if response.status_code >= 400 and name != "401 challenge":
            body = ""
            if not request.url.path.endswith(("/sse", "/mcp")) or response.status_code != 401:
                try:
                    body = (await response.aread()).decode(errors="replace")[:300]
                except Exception:  # a streamed body we may not read: the status is enough
                    body = ""
            self.last_error = f"{request.method} {request.url.path} answered {response.status_code}"
            self.last_error_body = body.strip()
            return
        if name in ("token", "token refresh"):
            self.current = self.mcp_step  # signed in: what fails next is the MCP call again
        if name and name not in self.seen:
            self.seen.add(name)
            detail = ""
            if name == "401 challenge":
                detail = response.headers.get("www-authenticate", "")[:200]
            self.emit(name, seconds, detail)


class MemoryTokenStorage:
    """The SDK's token storage, kept for one check and gone with the process."""

    def __init__(self) -> None:
        self.tokens: Any = None
        self.client_info: Any = None

    async def get_tokens(self) -> Any:
        return self.tokens

    async def set_tokens(self, tokens: Any) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> Any:
        return self.client_info

    async def set_client_info(self, client_info: Any) -> None:
        self.client_info = client_info


class LoopbackCallback:
    """Catches the browser's redirect back to us on a loopback port. The port is reserved at
    once (it goes into the client registration); the server starts only for a browser, so
    --headless never loads uvicorn."""

    def __init__(self) -> None:
        from cfmcp.dev.server import bind_loopback

        self.params: dict[str, str] = {}
        self.arrived = threading.Event()
        self._socket = bind_loopback()
        self._server: Any = None
        self.redirect_uri = f"http://127.0.0.1:{self._socket.getsockname()[1]}/callback"

    def start(self) -> None:
        from starlette.applications import Starlette
        from starlette.responses import HTMLResponse
        from starlette.routing import Route

        from cfmcp.dev.server import BackgroundServer

        async def callback(request: Any) -> HTMLResponse:
            self.params = dict(request.query_params)
            self.arrived.set()
            message = "Signed in. You can close this tab and return to the terminal."
            if "error" in self.params:
                message = f"Authorization failed: {self.params['error']}."
            return HTMLResponse(f"<!doctype html><p>{html.escape(message)}</p>")

        app = Starlette(routes=[Route("/callback", callback)])
        self._server = BackgroundServer(app, sock=self._socket).start()

    def close(self) -> None:
        if self._server is not None:
            self._server.stop()  # closes the socket too
        else:
            self._socket.close()

    async def wait(self, timeout: float) -> dict[str, str]:
        import anyio

        deadline = time.monotonic() + timeout
        while not self.arrived.is_set():  # short sleeps: Ctrl-C stops the wait at once
            if time.monotonic() > deadline:
                raise CfmcpError(
                    f"No sign-in arrived within {timeout:.0f} s.",
                    hint="Open the sign-in URL shown above in a browser on this machine, or "
                    "use --headless against a local server.",
                )
            await anyio.sleep(0.1)
        return self.params
