"""A loopback proxy that adds a bearer token to every request, for MCP clients that have no
auth option (the MCP conformance suite). It maps its own Host to the server's, so the token's
audience still matches, and passes any other Host and every Origin through untouched: the
server still sees the DNS-rebinding requests the suite sends. Responses stream through (SSE)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx2

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


@contextmanager
def token_proxy(target_port: int, token: str) -> Iterator[int]:
    """Serve on a free loopback port until the block ends; yields that port."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"  # the end of a streamed body is the end of the connection

        def log_message(self, *args: object) -> None:
            pass

        def _forward(self) -> None:
            port = self.server.server_address[1]
            host = self.headers.get("Host", "")
            if host in (f"localhost:{port}", f"127.0.0.1:{port}"):
                host = f"localhost:{target_port}"
            # A value's surrounding whitespace is not part of it (RFC 9110, 5.5); httpx2
            # refuses to send it, so it goes as the value alone, as any proxy would.
            headers = {k: v.strip() for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            headers["Host"] = host
            headers["Authorization"] = f"Bearer {token}"
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            url = f"http://127.0.0.1:{target_port}{self.path}"
            timeout = httpx2.Timeout(30, read=120)
            with (
                httpx2.Client(timeout=timeout) as client,
                client.stream(self.command, url, headers=headers, content=body) as response,
            ):
                self.send_response(response.status_code)
                for name, value in response.headers.multi_items():
                    if name.lower() not in HOP_BY_HOP | {"content-encoding"}:
                        self.send_header(name, value)
                self.end_headers()
                try:
                    for chunk in response.iter_bytes():
                        self.wfile.write(chunk)
                        self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass

        do_GET = do_POST = do_DELETE = do_OPTIONS = _forward

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
