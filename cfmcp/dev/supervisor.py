"""Run the Worker under `wrangler dev` beside the local sign-in server, and stop both cleanly."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from cfmcp.errors import CfmcpError
from cfmcp.process import stop_process
from cfmcp.project import Project
from cfmcp.wrangler import local_origin_args, start_dev, strip_ansi

if TYPE_CHECKING:
    from tomlkit.toml_document import TOMLDocument

    from cfmcp.dev.server import BackgroundServer
    from cfmcp.dev.tunnel import Tunnel
    from cfmcp.providers import ProviderSpec

DEFAULT_PORT = 8788
TUNNEL_VAR = "TUNNEL_URL"  # the tunnel's public origin, for the Worker (src/guards.ts)
RUNTIME_DIR = Path(".wrangler")
_BUILD_FAILED = re.compile(r"\[ERROR\] Build failed")
_BUILD_READY = re.compile(r"Local server updated and ready|Ready on ")
_BUILD_ERROR_LINES = 16
_record_lock = threading.Lock()  # the reader thread rewrites the record too
LineSink = Callable[[str], None]


@dataclass
class DevConfig:
    port: int = DEFAULT_PORT
    upstream: str = "local"  # or "cloudflare"
    user: str = "dev@localhost"
    signin_port: int | None = None  # the local sign-in's port; None: any free one
    inspector_port: int | None = None
    # Lifetime of the local stand-in's access tokens; the Worker mirrors it (60 s at least).
    access_token_ttl: int = 3600
    ready_timeout: float = 90.0
    # A public https URL through a Cloudflare Tunnel: a Quick Tunnel, or the named one.
    tunnel: bool = False
    tunnel_name: str | None = None
    tunnel_timeout: float = 30.0
    tunnel_lifetime: float | None = 3600.0  # None: open until cfmcp dev stops


@dataclass
class BuildState:
    """What wrangler's output says of the Worker's last build: the error of a failed one,
    until a build succeeds. wrangler dev keeps running after a failed build and holds every
    request until the next good one, so this is the only way to know."""

    error: str | None = None
    _collecting: bool = False

    def feed(self, line: str) -> bool:
        """Take one line of output; True when `error` changed."""
        line = strip_ansi(line).rstrip()
        if _BUILD_FAILED.search(line):
            self.error, self._collecting = line.strip(), True
            return True
        if _BUILD_READY.search(line):
            changed = self.error is not None
            self.error, self._collecting = None, False
            return changed
        if self._collecting and self.error is not None:
            if line and not line[0].isspace():
                self._collecting = False  # the error's own lines are indented
            elif line.strip() and self.error.count("\n") < _BUILD_ERROR_LINES:
                self.error += "\n" + line
                return True
        return False


@dataclass
class DevServer:
    project: Project
    config: DevConfig
    process: subprocess.Popen
    env_file: EnvFile | None
    signin: BackgroundServer | None = None  # serving the provider's local stand-in
    signin_url: str | None = None
    tunnel: Tunnel | None = None
    log_tail: deque[str] = field(default_factory=lambda: deque(maxlen=40))
    build: BuildState = field(default_factory=BuildState)
    record_written: bool = False
    _reader: threading.Thread | None = None
    _signin_socket: socket.socket | None = None  # bound before wrangler starts

    @property
    def url(self) -> str:
        return f"http://localhost:{self.config.port}"

    @property
    def redirect_uri(self) -> str:
        return f"{self.url}/callback"

    @property
    def tunnel_url(self) -> str | None:
        """The tunnel's public URL while it is open."""
        return self.tunnel.url if self.tunnel is not None and self.tunnel.running() else None

    def close_tunnel(self) -> None:
        """Close the tunnel (its time is up); the Worker keeps running on loopback."""
        if self.tunnel is not None:
            self.tunnel.stop()
            if self.record_written:
                _write_runtime_record(self)

    def wait(self, timeout: float | None = None) -> int | None:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self) -> None:
        stop_process(self.process)
        if self._reader is not None and self._reader.ident is not None:
            self._reader.join(timeout=5)
        if self.tunnel is not None:
            self.tunnel.stop()
        if self.signin is not None:
            self.signin.stop()
        elif self._signin_socket is not None:
            self._signin_socket.close()
        if self.env_file is not None:
            self.env_file.remove()
        _remove_runtime_record(self.project, self.config.port, self.process.pid)


SCRATCH_PREFIX = "cfmcp-dev-"


def remove_stale_scratch() -> list[Path]:
    """Remove the private folders (env file with throwaway secrets) of `cfmcp dev` runs that
    were killed before they could clean up: their pid is in the name and no longer runs."""
    removed = []
    for folder in Path(tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}*-*"):
        pid_text = folder.name.removeprefix(SCRATCH_PREFIX).split("-", 1)[0]
        try:
            if folder.stat().st_uid != os.getuid():
                continue
            os.kill(int(pid_text), 0)
            continue  # still running
        except ProcessLookupError:
            pass
        except (ValueError, OSError):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def preflight(project: Project, config: DevConfig) -> TOMLDocument:
    """wrangler.toml, read (a malformed one: cfmcp's clear error, not wrangler's), once the
    packages are there and the port is free."""
    document = project.load_wrangler()
    if not project.has_node_modules:
        raise CfmcpError(
            f"The Worker's packages are not installed in {project.root}.",
            hint="Run `npm ci` in the project (or answer yes when cfmcp dev offers it).",
        )
    if port_in_use(config.port):
        raise CfmcpError(
            f"Port {config.port} is already in use (another `cfmcp dev` or `wrangler dev`?).",
            hint=f"Stop the other server, or pick another port: cfmcp dev --port {config.port + 1}",
        )
    return document


@dataclass
class EnvFile:
    """The vars and secrets for `wrangler dev --env-file`. On Linux they live in a memfd that
    wrangler reads through /dev/fd/N and that vanishes with the processes, so nothing is left on
    disk even when `cfmcp dev` is killed with SIGKILL. Elsewhere, a 0600 file in a private
    folder, removed on exit (and by the next `cfmcp dev` after a SIGKILL)."""

    path: str
    fd: int | None = None
    folder: Path | None = None

    @property
    def pass_fds(self) -> tuple[int, ...]:
        return () if self.fd is None else (self.fd,)

    def remove(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


# Above the descriptors wrangler's launcher gives its own child (stdio and its IPC channel, 3).
_FIRST_ENV_FD = 40


def _env_text(values: dict[str, str]) -> str:
    """wrangler expands `$NAME` in --env-file files (it does not in .dev.vars), so every `$` is
    escaped: values arrive exactly as written."""
    from cfmcp.dotenv import quote_dotenv

    lines = []
    for key, value in values.items():
        escaped = value.replace("$", "\\$")
        lines.append(f"{key}={quote_dotenv(escaped)}\n")
    return "".join(lines)


def write_env_file(values: dict[str, str]) -> EnvFile:
    text = _env_text(values).encode("utf-8")
    if hasattr(os, "memfd_create"):
        import fcntl

        memory = os.memfd_create("cfmcp-dev-env")  # close-on-exec; the copy below is inherited
        try:
            os.write(memory, text)
            fd = fcntl.fcntl(memory, fcntl.F_DUPFD, _FIRST_ENV_FD)
        finally:
            os.close(memory)
        return EnvFile(f"/dev/fd/{fd}", fd=fd)
    folder = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-"))  # mode 0700
    path = folder / "cfmcp-dev.env"
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(handle, "wb") as stream:
        stream.write(text)
    return EnvFile(str(path), folder=folder)


def start(
    project: Project,
    config: DevConfig,
    *,
    on_worker_line: LineSink,
    on_signin_event: LineSink,
    upstream_values: dict[str, str] | None = None,
    on_spawned: Callable[[], None] | None = None,
) -> DevServer:
    """Start everything and return once the Worker answers; raises CfmcpError otherwise.

    For the local upstream, the provider's stand-in and throwaway credentials are made here;
    for the real one, `upstream_values` carries the developer's client id and secret.
    wrangler starts first (`on_spawned` is called then); the sign-in server comes up once the
    Worker answers.
    """
    wrangler_toml = preflight(project, config)
    remove_stale_scratch()
    env_file = None
    signin_socket = None
    process = None
    tunnel = None
    from cfmcp.providers import COOKIE_KEY, provider_of

    provider = provider_of(project)
    try:
        if config.tunnel:
            tunnel = _open_tunnel(project, config)
        values = dict(upstream_values or {})
        if config.upstream == "local" and not provider.public:
            signin_socket = _bind_signin(config.signin_port)
            values = {
                provider.client_id: "cfmcp-dev-" + secrets.token_hex(6),
                provider.client_secret: secrets.token_urlsafe(32),
                COOKIE_KEY: secrets.token_hex(32),
                **provider.stand_in_values(_socket_url(signin_socket)),
            }
        if tunnel is not None:
            values[TUNNEL_VAR] = tunnel.url
        # The developer's .dev.vars stays in force for their own secrets; ours win.
        from cfmcp.dotenv import read_dev_vars

        merged = {**read_dev_vars(project), **values}
        env_file = write_env_file(merged) if merged else None
        process = start_dev(
            project,
            port=config.port,
            inspector_port=config.inspector_port or free_port(),
            env_files=[Path(env_file.path)] if env_file else [],
            pass_fds=env_file.pass_fds if env_file else (),
            extra_args=local_origin_args(
                project, port=config.port, tunnel=tunnel is not None, document=wrangler_toml
            ),
        )
        if on_spawned is not None:
            on_spawned()
    except BaseException:
        if process is not None:
            stop_process(process)
        if tunnel is not None:
            tunnel.stop()
        if signin_socket is not None:
            signin_socket.close()
        if env_file is not None:
            env_file.remove()
        raise
    signin_url = _socket_url(signin_socket) if signin_socket is not None else None
    server = DevServer(project, config, process, env_file, None, signin_url, tunnel)
    server._signin_socket = signin_socket
    server._reader = threading.Thread(target=_pump, args=(server, on_worker_line), daemon=True)
    try:
        server._reader.start()
        _wait_ready(server)
        # The stand-in starts once the Worker answers, so it does not slow wrangler's start;
        # its socket, bound already, holds an early connection until then.
        if signin_socket is not None:
            server.signin = _start_signin(
                config, provider, values, signin_socket, on_signin_event, tunnel
            )
        _write_runtime_record(server)
    except BaseException:  # a Ctrl-C while starting included: leave nothing behind
        server.stop()
        raise
    return server


def _socket_url(sock: socket.socket) -> str:
    return f"http://127.0.0.1:{sock.getsockname()[1]}"


def _open_tunnel(project: Project, config: DevConfig) -> Tunnel:
    from cfmcp.dev.tunnel import named_tunnel_hostname, start_tunnel

    origin = f"http://127.0.0.1:{config.port}"
    hostname = None
    if config.tunnel_name is not None:
        hostname = named_tunnel_hostname(project, config.tunnel_name, origin)
    return start_tunnel(
        project,
        origin,
        name=config.tunnel_name,
        hostname=hostname,
        timeout=config.tunnel_timeout,
        lifetime=config.tunnel_lifetime,
    )


def _bind_signin(port: int | None) -> socket.socket:
    from cfmcp.dev.server import bind_loopback

    try:
        return bind_loopback(port or 0)
    except OSError as exc:
        import errno

        problem = (
            "needs root (ports below 1024)"
            if exc.errno == errno.EACCES
            else "is already in use"
            if exc.errno == errno.EADDRINUSE
            else f"cannot be used ({exc.strerror})"
        )
        raise CfmcpError(
            f"Port {port} for the local sign-in {problem}.",
            hint="Pick another with --signin-port, or leave it out to use any free port.",
        ) from exc


def _start_signin(
    config: DevConfig,
    provider: ProviderSpec,
    values: dict[str, str],
    sock: socket.socket,
    log: LineSink,
    tunnel: Tunnel | None = None,
) -> BackgroundServer:
    from cfmcp.dev.identity import DevIdentity
    from cfmcp.dev.server import BackgroundServer

    callbacks = [
        f"http://localhost:{config.port}/callback",
        f"http://127.0.0.1:{config.port}/callback",
    ]
    if tunnel is not None:
        callbacks.append(f"{tunnel.url}/callback")
    local = provider.stand_in_class()(
        client_id=values[provider.client_id],
        client_secret=values[provider.client_secret],
        redirect_uris=callbacks,
        identity=DevIdentity(config.user),
        access_token_ttl=config.access_token_ttl,
        log=log,
        base_url=_socket_url(sock),
    )
    return BackgroundServer(local.app(), sock=sock).start()


def _pump(server: DevServer, sink: LineSink) -> None:
    stdout = server.process.stdout
    assert stdout is not None
    for line in stdout:
        line = line.rstrip("\n")
        server.log_tail.append(line)
        if server.build.feed(line) and server.record_written:
            _write_runtime_record(server)  # so `cfmcp check` can say why nothing answers
        sink(line)


def _wait_ready(server: DevServer) -> None:
    deadline = time.monotonic() + server.config.ready_timeout
    while True:
        code = server.process.poll()
        if code is not None:
            if server._reader is not None:
                server._reader.join(timeout=5)
            raise CfmcpError(
                f"The Worker failed to start (wrangler dev exited with {code}).\n"
                + "\n".join(strip_ansi(line) for line in list(server.log_tail)[-15:]),
                hint=_start_failure_hint(server.log_tail),
            )
        if server.build.error is not None:
            time.sleep(0.3)  # the rest of the error's lines
            raise CfmcpError(
                f"The Worker does not build:\n{server.build.error}",
                hint="Fix the error above, then run cfmcp dev again.",
            )
        if _answers(server.config.port):
            return
        if time.monotonic() > deadline:
            raise CfmcpError(
                f"The Worker did not answer on port {server.config.port} within "
                f"{server.config.ready_timeout:.0f} s.",
                hint="See the wrangler output above.",
            )
        time.sleep(0.02)


def _answers(port: int) -> bool:
    """Whether something answers HTTP on the port (any status will do)."""
    import http.client  # here, not at the top: wrangler is already starting by now

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", "/")
        connection.getresponse().read()
        return True
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


def _start_failure_hint(lines: deque[str]) -> str:
    text = "\n".join(lines)
    if "Address already in use" in text:
        return "Another program holds the port; stop it or use --port."
    return (
        "Fix the error above (run `npm run typecheck` for type errors), then run cfmcp dev again."
    )


def runtime_record_path(project: Project, port: int) -> Path:
    """Where a running `cfmcp dev` says where it is: one file per port, in .wrangler/ (which
    the project's .gitignore covers), so two dev servers of one project don't clash."""
    return project.root / RUNTIME_DIR / f"cfmcp-dev-{port}.json"


def _write_runtime_record(server: DevServer) -> None:
    path = runtime_record_path(server.project, server.config.port)
    path.parent.mkdir(exist_ok=True)
    record = {
        "url": server.url,
        "pid": server.process.pid,
        "port": server.config.port,
        "upstream": server.config.upstream,
        "signin_url": server.signin_url,
        "tunnel_url": server.tunnel_url,
        "tunnel_pid": server.tunnel.process.pid if server.tunnel_url else None,
        "tunnel_expires_at": server.tunnel.expires_at if server.tunnel_url else None,
        "build_error": server.build.error,
    }
    with _record_lock:
        record["build_error"] = server.build.error
        # Whole or not at all: `cfmcp check` may read it at any moment.
        partial = path.with_name(f".{path.name}.partial")
        partial.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        os.replace(partial, path)
        server.record_written = True


def _remove_runtime_record(project: Project, port: int, pid: int) -> None:
    path = runtime_record_path(project, port)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if record.get("pid") == pid:
        path.unlink(missing_ok=True)


def running_dev_servers(project: Project) -> list[dict]:
    """The records of the `cfmcp dev` servers running for this project, lowest port first."""
    found = []
    for path in (project.root / RUNTIME_DIR).glob("cfmcp-dev-*.json"):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            os.kill(int(record["pid"]), 0)
        except (OSError, ValueError, KeyError, TypeError):
            continue
        found.append(record)
    return sorted(found, key=lambda record: int(record.get("port", 0)))


def dev_build_error(project: Project, url: str) -> str | None:
    """The build error a `cfmcp dev` of this project serving `url` reports, if any."""
    from urllib.parse import urlsplit

    port = urlsplit(url).port
    for record in running_dev_servers(project):
        served = record.get("port") == port or record.get("tunnel_url") == url.rstrip("/")
        if served and record.get("build_error"):
            return str(record["build_error"])
    return None


def running_dev_url(project: Project) -> str | None:
    """The URL of a `cfmcp dev` running for this project (the lowest port), if any."""
    running = running_dev_servers(project)
    return str(running[0]["url"]) if running else None


def running_tunnel_urls(project: Project) -> list[str]:
    """The public URLs of the `cfmcp dev --tunnel` servers running for this project, lowest
    port first."""
    return [
        str(record["tunnel_url"])
        for record in running_dev_servers(project)
        if record.get("tunnel_url")
    ]
