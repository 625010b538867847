"""A stand-in for cloudflared, for tests: wrangler runs it through CLOUDFLARED_PATH (its own
way to use a local binary), as it runs the real one.

What it does, as cloudflared does for wrangler:
- `--version` prints a version line;
- `tunnel --no-autoupdate --url ORIGIN [--loglevel L]` (a Quick Tunnel) prints cloudflared's
  banner on stderr with a `https://<four words>.trycloudflare.com` URL, then forwards what
  reaches "the edge" to ORIGIN over plain http with the public Host, `X-Forwarded-Proto:
  https`, `Cf-Visitor`, `Cf-Connecting-Ip` and `X-Forwarded-For`, as cloudflared does;
- `tunnel --no-autoupdate [--loglevel L] run` with TUNNEL_TOKEN set (a named tunnel) does the
  same for FAKE_CLOUDFLARED_HOST, to FAKE_CLOUDFLARED_ORIGIN;
- SIGTERM and SIGINT end it.

"The edge" is a loopback port (FAKE_CLOUDFLARED_PORT) that speaks as an HTTPS proxy: a client
given HTTPS_PROXY=http://127.0.0.1:PORT sends `CONNECT <host>:443` there and gets TLS with a
certificate for the public host, signed by the tests' CA (FAKE_CLOUDFLARED_CA, a folder with
ca.pem and ca-key.pem). So clients reach the public URL by its name, as they would the real
one. One request per connection (`Connection: close`); answers stream as they come, SSE too.

FAKE_CLOUDFLARED_MODE picks a fault: `exit-early` (stops before any URL), `silent` (never
prints one), `rate-limited` (Cloudflare's 429, as the real one prints it). FAKE_CLOUDFLARED_LOG,
a folder, gets `<pid>.json` with what it was run with, for tests to find and check.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import socket
import ssl
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

VERSION = "2026.11.1"
WORDS = [
    "amber", "basin", "cedar", "delta", "ember", "fjord", "grove", "harbor", "island", "jasper",
    "kettle", "lagoon", "meadow", "nectar", "orchard", "prairie", "quartz", "river", "summit",
    "timber", "upland", "valley", "willow", "yonder", "zephyr", "acoustic", "bridge", "cotton",
    "direct", "engine", "forest", "garden", "hollow",
]  # fmt: skip
HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
    "transfer-encoding", "upgrade", "proxy-connection",
}  # fmt: skip
VISITOR_IP = "203.0.113.7"  # a documentation address: someone on the internet


def log(level: str, message: str) -> None:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    sys.stderr.write(f"{stamp} {level} {message}\n")
    sys.stderr.flush()


def quick_banner(url: str) -> None:
    log("INF", "Thank you for trying Cloudflare Tunnel. Doing so, without a Cloudflare account, "
        "is a quick way to experiment and try it out.")  # fmt: skip
    log("INF", "Requesting new quick Tunnel on trycloudflare.com...")
    width = 92
    log("INF", "+" + "-" * width + "+")
    text = (
        "Your quick Tunnel has been created! Visit it at (it may take some time to be reachable):"
    )
    log("INF", f"|  {text:<{width - 2}}|")
    log("INF", f"|  {url:<{width - 2}}|")
    log("INF", "+" + "-" * width + "+")
    log("INF", f"Version {VERSION} (Checksum 0000000000000000000000000000000000000000)")


def main(argv: list[str]) -> int:
    if argv[:1] in (["--version"], ["version"], ["-v"]):
        print(f"cloudflared version {VERSION} (built 2026-11-20-1200 UTC)")
        return 0
    if argv[:1] != ["tunnel"]:
        log("ERR", f"the stand-in knows only `tunnel`, not {argv}")
        return 2
    options = parse(argv[1:])
    record(argv)
    mode = os.environ.get("FAKE_CLOUDFLARED_MODE", "ok")
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    signal.signal(signal.SIGINT, lambda *_: os._exit(0))
    named = "run" in options["positional"]
    if mode == "exit-early":
        log("INF", "Requesting new quick Tunnel on trycloudflare.com...")
        log("ERR", "failed to connect to the edge: dial tcp: lookup region1.v2.argotunnel.com")
        return 1
    if mode == "rate-limited":
        log("INF", "Requesting new quick Tunnel on trycloudflare.com...")
        log("ERR", 'Error unmarshaling QuickTunnel response: error="invalid character \'e\' '
            'looking for beginning of value" status_code="429 Too Many Requests"')  # fmt: skip
        log("ERR", "failed to unmarshal quick Tunnel: invalid character 'e' looking for beginning")
        return 1
    if named:
        if not os.environ.get("TUNNEL_TOKEN"):
            log("ERR", "no tunnel token: TUNNEL_TOKEN is not set")
            return 1
        host = os.environ["FAKE_CLOUDFLARED_HOST"]
        origin = os.environ["FAKE_CLOUDFLARED_ORIGIN"]
    else:
        origin = options["url"]
        host = "-".join(random.sample(WORDS, 4)) + ".trycloudflare.com"
    edge = Edge(host, origin)
    edge.start()
    if mode == "silent":
        log("INF", "Requesting new quick Tunnel on trycloudflare.com...")
    elif named:
        log("INF", f"Starting tunnel tunnelID=00000000-0000-4000-8000-{host.encode().hex()[:12]}")
        log("INF", "Registered tunnel connection connIndex=0 location=ams01 protocol=quic")
    else:
        quick_banner(f"https://{host}")
        log("INF", "Registered tunnel connection connIndex=0 location=ams01 protocol=quic")
    record(argv, host=host, origin=origin, edge_port=edge.port)
    while True:
        time.sleep(3600)


def parse(args: list[str]) -> dict:
    options: dict = {"positional": [], "url": None}
    index = 0
    while index < len(args):
        arg = args[index]
        if arg in ("--url", "--loglevel", "--allowed-mail", "--grace-period"):
            value = args[index + 1] if index + 1 < len(args) else ""
            options[arg.lstrip("-")] = value
            index += 2
            continue
        if arg.startswith("--"):
            index += 1
            continue
        options["positional"].append(arg)
        index += 1
    return options


def record(argv: list[str], **more: object) -> None:
    folder = os.environ.get("FAKE_CLOUDFLARED_LOG")
    if not folder:
        return
    path = Path(folder) / f"{os.getpid()}.json"
    data = {"pid": os.getpid(), "argv": argv, "token_given": bool(os.environ.get("TUNNEL_TOKEN"))}
    data.update(more)
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(data))
    os.replace(partial, path)


class Edge:
    """The public side: a loopback port that accepts `CONNECT host:443` for the tunnel's host
    (and plain requests carrying its Host), and hands each request to the origin."""

    def __init__(self, host: str, origin: str):
        self.host = host
        origin_parts = urlsplit(origin)
        self.origin_host = origin_parts.hostname or "127.0.0.1"
        self.origin_port = origin_parts.port or 80
        self.context = self._tls()
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", int(os.environ.get("FAKE_CLOUDFLARED_PORT", "0"))))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]

    def _tls(self) -> ssl.SSLContext | None:
        folder = os.environ.get("FAKE_CLOUDFLARED_CA")
        if not folder:
            return None
        from tests.tls import TestCA

        return TestCA(Path(folder)).server_context(self.host)

    def start(self) -> None:
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            connection, _ = self.listener.accept()
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        try:
            with connection:
                stream = connection.makefile("rb")
                head = read_head(stream)
                if head is None:
                    return
                method, target, headers = head
                if method == "CONNECT":
                    if target.split(":")[0].lower() != self.host or self.context is None:
                        connection.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
                        return
                    connection.sendall(b"HTTP/1.1 200 Connection Established\r\n\r\n")
                    with self.context.wrap_socket(connection, server_side=True) as tls:
                        tls_stream = tls.makefile("rb")
                        inner = read_head(tls_stream)
                        if inner is not None:
                            self._forward(tls, tls_stream, *inner)
                    return
                self._forward(connection, stream, method, target, headers)
        except (OSError, ssl.SSLError, ValueError):
            return

    def _forward(self, client: socket.socket, stream, method: str, target: str, headers) -> None:  # type: ignore[no-untyped-def]
        body = read_body(stream, headers)
        upstream = http.client.HTTPConnection(self.origin_host, self.origin_port, timeout=300)
        forwarded = {
            name: value
            for name, value in headers
            if name.lower() not in HOP_BY_HOP and name.lower() != "host"
        }
        forwarded.update({
            "Host": self.host,
            "X-Forwarded-Proto": "https",
            "Cf-Visitor": '{"scheme":"https"}',
            "Cf-Connecting-Ip": VISITOR_IP,
            "X-Forwarded-For": VISITOR_IP,
            "Cf-Ray": f"{random.getrandbits(64):016x}-AMS",
        })  # fmt: skip
        path = target if target.startswith("/") else "/" + target.split("/", 3)[-1]
        try:
            upstream.request(method, path, body=body, headers=forwarded)
            response = upstream.getresponse()
        except OSError:
            message = b"Bad gateway: the origin does not answer\n"
            client.sendall(
                b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\nConnection: close\r\n"
                + f"Content-Length: {len(message)}\r\n\r\n".encode()
                + message
            )
            return
        lines = [f"HTTP/1.1 {response.status} {response.reason}"]
        for name, value in response.getheaders():
            if name.lower() not in HOP_BY_HOP:
                lines.append(f"{name}: {value}")
        lines.append("Connection: close")
        client.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        while True:
            chunk = response.read1(65536)
            if not chunk:
                break
            client.sendall(chunk)
        upstream.close()


def read_head(stream) -> tuple[str, str, list[tuple[str, str]]] | None:  # type: ignore[no-untyped-def]
    line = stream.readline(65537)
    if not line:
        return None
    method, target, _ = line.decode("latin-1").split(" ", 2)
    headers = []
    while True:
        raw = stream.readline(65537).decode("latin-1")
        if raw in ("\r\n", "\n", ""):
            break
        name, _, value = raw.partition(":")
        headers.append((name.strip(), value.strip()))
    return method, target, headers


def read_body(stream, headers: list[tuple[str, str]]) -> bytes | None:  # type: ignore[no-untyped-def]
    fields = {name.lower(): value for name, value in headers}
    if "chunked" in fields.get("transfer-encoding", "").lower():
        body = b""
        while True:
            size = int(stream.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while stream.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return body
            body += stream.read(size)
            stream.readline()
    length = int(fields.get("content-length", "0") or 0)
    return stream.read(length) if length else None


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
