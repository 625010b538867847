"""A public https URL for `cfmcp dev`, so hosted clients (claude.ai, ChatGPT) can reach the
local Worker: a Cloudflare Quick Tunnel, or a named tunnel of the developer's account.

The tunnel runs through the project's own wrangler, which finds cloudflared as it does for
`wrangler dev --tunnel` (CLOUDFLARED_PATH, then PATH, else it downloads it): `wrangler tunnel
quick-start ORIGIN` for a Quick Tunnel (wrangler 4.86, the Node 20 toolchain's, has it too) and
`wrangler tunnel run NAME` for a named one (wrangler fetches its token; it never reaches a
command line). The tunnel starts before the Worker because the Worker must know its exact
public origin from its first request: a Quick Tunnel's host is random, so `wrangler dev
--tunnel`, which tells it only once the Worker runs, cannot be used. The URL is read from
cloudflared's own log line, as wrangler reads it.

Measured with wrangler 4.164: it gives cloudflared 30 s to print the URL; a Quick Tunnel
refused with "429 Too Many Requests" was rate limited; its own tunnels close after an hour.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from cfmcp.errors import CfmcpError
from cfmcp.process import die_with_parent, stop_process
from cfmcp.project import Project

QUICK_URL = re.compile(r"https://[a-z0-9-]+\.trycloudflare\.com")
NAMED_READY = re.compile(r"Registered tunnel connection|Connection [0-9a-f-]+ registered")
RATE_LIMITED = "429 Too Many Requests"
CLOUDFLARED_LINE = re.compile(r"\d{4}-\d\d-\d\dT\S+ (INF|WRN|ERR|DBG|FTL) ")
STARTUP_TIMEOUT = 30.0  # wrangler's own, for `wrangler dev --tunnel`
DEFAULT_LIFETIME = 3600.0  # wrangler closes its tunnels after an hour; so do we, by default
TUNNEL_READ_PERMISSION = "Cloudflare Tunnel Read"
LineSink = Callable[[str], None]


@dataclass
class Tunnel:
    """A running tunnel: its public URL and the wrangler process that keeps it open."""

    url: str
    kind: str  # "quick" or "named"
    process: subprocess.Popen
    expires_at: float | None = None  # time.time(); None: open until cfmcp dev stops
    log_tail: deque[str] = field(default_factory=lambda: deque(maxlen=30))
    _reader: threading.Thread | None = None
    on_line: LineSink | None = None  # once running, where cloudflared's lines go

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        stop_process(self.process)
        if self._reader is not None and self._reader.ident is not None:
            self._reader.join(timeout=5)


def start_tunnel(
    project: Project,
    origin: str,
    *,
    name: str | None = None,
    hostname: str | None = None,
    timeout: float = STARTUP_TIMEOUT,
    lifetime: float | None = DEFAULT_LIFETIME,
) -> Tunnel:
    """Open a tunnel to `origin` (http://127.0.0.1:PORT) and return once it is ready: a Quick
    Tunnel, or with `name` the named tunnel whose public `hostname` routes to `origin`.
    Raises CfmcpError, with nothing left running, when it is not ready in `timeout` s."""
    from cfmcp.wrangler import wrangler_binary, wrangler_env

    binary = wrangler_binary(project)
    if name is None:
        args = [str(binary), "tunnel", "quick-start", origin]
    else:
        args = [str(binary), "tunnel", "run", name]
    from cfmcp import console

    console.trace(f"$ {shlex.join(['wrangler', *args[1:]])}  (runs until cfmcp dev stops)")
    process = subprocess.Popen(
        args,
        cwd=project.root,
        env=wrangler_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=die_with_parent if sys.platform == "linux" else None,
        text=True,
        bufsize=1,
    )
    url = f"https://{hostname}" if hostname else ""
    tunnel = Tunnel(url, "named" if name else "quick", process)
    ready = threading.Event()

    def pump() -> None:
        assert process.stdout is not None
        for raw in process.stdout:
            line = raw.rstrip("\n")
            tunnel.log_tail.append(line)
            if not ready.is_set():
                found = QUICK_URL.search(line) if name is None else NAMED_READY.search(line)
                if found:
                    if name is None:
                        tunnel.url = found[0]
                    ready.set()
            elif tunnel.on_line is not None and line.strip():
                tunnel.on_line(line)
        ready.set()  # the process ended: stop waiting

    tunnel._reader = threading.Thread(target=pump, daemon=True)
    try:
        tunnel._reader.start()
        ready.wait(timeout)
        if not tunnel.running() or not ready.is_set() or not tunnel.url:
            raise _not_ready(tunnel, timeout, name)
    except BaseException:  # a Ctrl-C while waiting included: leave nothing behind
        tunnel.stop()
        raise
    if lifetime:
        tunnel.expires_at = time.time() + lifetime
    return tunnel


def _not_ready(tunnel: Tunnel, timeout: float, name: str | None) -> CfmcpError:
    from cfmcp.wrangler import strip_ansi

    lines = [strip_ansi(line) for line in tunnel.log_tail]
    # cloudflared's own lines say what happened; wrangler's after them only guess.
    own = [line for line in lines if CLOUDFLARED_LINE.match(line)]
    words = own[-8:] if own else [line for line in lines if "Logs were written" not in line][-12:]
    output = "\n".join(words).strip()
    shown = f"\n{output}" if output else " (it printed nothing)"
    kind = f"The tunnel {name!r}" if name else "The Quick Tunnel"
    if any(RATE_LIMITED in line for line in lines):
        return CfmcpError(
            f"Cloudflare refused to make a Quick Tunnel right now (rate limited):{shown}",
            hint="Try again in a few minutes, or use a named tunnel of your account: "
            "cfmcp dev --tunnel-name NAME.",
        )
    if tunnel.process.poll() is not None:
        return CfmcpError(
            f"{kind} did not open: wrangler and cloudflared stopped (exit "
            f"{tunnel.process.returncode}):{shown}",
            hint="See the words above. cloudflared comes from CLOUDFLARED_PATH, then "
            "PATH, else wrangler downloads it: https://developers.cloudflare.com/"
            "cloudflare-one/networks/connectors/cloudflare-tunnel/downloads/",
        )
    return CfmcpError(
        f"{kind} was not ready within {timeout:.0f} s:{shown}",
        hint="Check your connection to Cloudflare (cloudflared needs outbound port 7844, or "
        "443), then run cfmcp dev --tunnel again.",
    )


# --- named tunnels ----------------------------------------------------------------------------

TUNNEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
TUNNEL_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def check_tunnel_name(name: str) -> str:
    from cfmcp.errors import UsageError

    if not TUNNEL_NAME.fullmatch(name):
        raise UsageError(
            f"--tunnel-name {name!r} is not a tunnel name.",
            hint="Give the name (or id) of a tunnel of your account, as `npx wrangler tunnel "
            "list` shows it.",
        )
    return name


def named_tunnel_hostname(project: Project, name: str, origin: str) -> str:
    """The public hostname of the named tunnel `name` that routes to `origin`, from the
    tunnel's configuration in the account (as `wrangler dev --tunnel-name` finds it)."""
    from cfmcp.cloudflare_api import CloudflareAPI, account_path, id_segment
    from cfmcp.oauth_client import resolve_account

    account_id = resolve_account(project)
    with CloudflareAPI.from_env() as api:
        if TUNNEL_ID.fullmatch(name):
            tunnel_id = name
        else:
            found = api.request(
                "GET",
                account_path(account_id, "cfd_tunnel") + f"?name={_query(name)}&is_deleted=false",
                what=f"find the tunnel {name!r}",
                permission=TUNNEL_READ_PERMISSION,
            )
            tunnels = [t for t in found or [] if isinstance(t, dict) and t.get("name") == name]
            if not tunnels:
                raise CfmcpError(
                    f"Your account has no tunnel named {name!r}.",
                    hint="Create it in the dashboard (Zero Trust → Networks → Tunnels), or list "
                    "yours with `npx wrangler tunnel list`.",
                )
            tunnel_id = id_segment(str(tunnels[0].get("id", "")), "tunnel id")
        configuration = api.request(
            "GET",
            account_path(account_id, "cfd_tunnel", tunnel_id, "configurations"),
            what=f"read the routes of tunnel {name!r}",
            permission=TUNNEL_READ_PERMISSION,
        )
    ingress = ((configuration or {}).get("config") or {}).get("ingress") or []
    hostnames = [
        str(rule["hostname"])
        for rule in ingress
        if isinstance(rule, dict)
        and rule.get("hostname")
        and _same_origin(rule.get("service"), origin)
    ]
    if not hostnames:
        local = origin.replace("127.0.0.1", "localhost")
        raise CfmcpError(
            f"The tunnel {name!r} has no public hostname that routes to {local}.",
            hint="Add one in the dashboard (the tunnel → Public Hostnames → service "
            f"{local}), or run cfmcp dev with the --port its route names.",
        )
    return hostnames[0]


def _query(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


def _same_origin(service: object, origin: str) -> bool:
    """Whether an ingress rule's service is `origin`, loopback names and default ports
    aside (as wrangler compares them)."""

    def key(url: str) -> tuple[str, str, int] | None:
        try:
            parts = urlsplit(url)
            port = parts.port or {"http": 80, "https": 443}.get(parts.scheme, 0)
        except ValueError:
            return None
        host = parts.hostname or ""
        if host in ("127.0.0.1", "::1", "0.0.0.0", "::"):
            host = "localhost"
        return parts.scheme, host, port

    return isinstance(service, str) and key(service) is not None and key(service) == key(origin)


def parse_lifetime(text: str) -> float | None:
    """`--tunnel-expires`: "1h", "90m", "2h30m" or "never"; seconds, None for never."""
    from cfmcp.errors import UsageError

    value = text.strip().lower()
    if value in ("never", "0"):
        return None
    match = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?", value)
    if not value or match is None:
        raise UsageError(
            f"--tunnel-expires {text!r} is not a duration.",
            hint='Write it like 30m, 2h or 1h30m; "never" keeps the tunnel open until you stop.',
        )
    seconds = int(match[1] or 0) * 3600 + int(match[2] or 0) * 60
    if not 60 <= seconds <= 24 * 3600:
        raise UsageError("--tunnel-expires must be between 1m and 24h (or never).")
    return float(seconds)


def describe_lifetime(seconds: float | None) -> str:
    if seconds is None:
        return "until cfmcp dev stops"
    hours, minutes = divmod(round(seconds / 60), 60)
    parts = [f"{hours} h" if hours else "", f"{minutes} min" if minutes else ""]
    return " ".join(part for part in parts if part)
