"""`cfmcp dev`: start, show where everything is, stream both logs, stop cleanly."""

from __future__ import annotations

import contextlib
import functools
import signal
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

from cfmcp import console
from cfmcp.errors import CfmcpError, UsageError
from cfmcp.project import Project, find_project

if TYPE_CHECKING:
    from cfmcp.providers import ProviderSpec

UPSTREAMS = ("local", "real", "cloudflare")  # cloudflare: the old name of real, for its projects
TUNNEL_TEMPLATE_VERSION = 5  # the first template whose Worker answers on a tunnel's host


class _Stop(Exception):
    """Raised in the main thread by a stop signal (SIGINT, SIGTERM, SIGHUP)."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def run_dev(
    *,
    port: int,
    upstream: str,
    user: str,
    token_ttl: int,
    signin_port: int | None = None,
    tunnel: bool = False,
    tunnel_name: str | None = None,
    tunnel_expires: str | None = None,
    tunnel_timeout: float = 30.0,
) -> int:
    """Run until stopped; the exit code is the shell's for the stopping signal (130 for Ctrl-C,
    143 for SIGTERM), as a process killed by it would report, so scripts can tell a stop
    from a success."""
    from cfmcp.dev.supervisor import DevConfig, start

    tunnel = tunnel or tunnel_name is not None
    lifetime = _tunnel_lifetime(tunnel, tunnel_name, tunnel_expires)
    if upstream not in UPSTREAMS:
        raise UsageError(f"--upstream must be local or real, not {upstream!r}.")
    for flag, number in (("--port", port), ("--signin-port", signin_port)):
        if number is not None and not 1 <= number <= 65535:
            raise UsageError(f"{flag} {number} is not a port number.")
    if token_ttl < 60:
        raise UsageError(
            f"--token-ttl {token_ttl}: tokens live 60 seconds at least (KV's minimum)."
        )
    if not tunnel_timeout > 0:
        raise UsageError(f"--tunnel-timeout {tunnel_timeout:g} is not a number of seconds.")
    if signin_port is not None and signin_port == port:
        raise UsageError("--signin-port must differ from --port.")
    from cfmcp.dev.identity import email_problem

    problem = email_problem(user)
    if problem:
        raise UsageError(f"--user {user!r} is not an email address. {problem}")
    project = find_project()
    from cfmcp.providers import provider_of

    provider = provider_of(project)
    if provider.public and upstream != "local":
        raise UsageError(
            f"--upstream {upstream}: this server has no sign-in (cfmcp init --auth none).",
            hint="Leave out --upstream: /mcp answers anyone.",
        )
    if upstream == "cloudflare":
        if provider.name != "cloudflare":
            raise UsageError(
                f"This project signs in with {provider.title}, not Cloudflare.",
                hint="Use --upstream real for your own development app of it.",
            )
        upstream = "real"
    if tunnel:
        _require_tunnel_support(project)
    upstream_values = _real_upstream_values(project, provider, port) if upstream == "real" else None
    _ensure_packages(project)

    started = threading.Event()
    lock = threading.Lock()

    from cfmcp.wrangler import strip_ansi

    @functools.cache
    def colour() -> bool:
        return console.err_console().color_system is not None

    def worker_line(line: str) -> None:
        if started.is_set() and line.strip():
            with lock:
                console.labelled_line("worker", "cyan", line if colour() else strip_ansi(line))

    def signin_event(message: str) -> None:
        with lock:
            console.labelled_line("signin", "magenta", message)

    config = DevConfig(
        port=port,
        upstream=upstream,
        user=user,
        signin_port=signin_port,
        access_token_ttl=token_ttl,
        tunnel=tunnel,
        tunnel_name=tunnel_name,
        tunnel_timeout=tunnel_timeout,
        tunnel_lifetime=lifetime,
    )
    # Handle SIGINT ourselves too: a parent may start us with SIGINT ignored.
    stop_signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {sig: signal.signal(sig, _raise_stop) for sig in stop_signals}
    server = None

    def tunnel_line(line: str) -> None:
        with lock:
            console.labelled_line("tunnel", "green", strip_ansi(line))

    what = "a tunnel and the Worker" if tunnel else "the Worker"
    try:
        with contextlib.ExitStack() as spinning:
            # The terminal library loads once wrangler is on its way (a tunnel first takes
            # seconds: its spinner shows from the start).
            def spin() -> None:
                spinning.enter_context(console.spinner(f"Starting {what} on port {port}…"))

            begun = time.perf_counter()
            if tunnel:
                spin()
            server = start(
                project,
                config,
                on_worker_line=worker_line,
                on_signin_event=signin_event,
                upstream_values=upstream_values,
                on_spawned=None if tunnel else spin,
            )
        _show_panel(project, server, time.perf_counter() - begun)
        if server.tunnel is not None:
            _show_tunnel(project, server, provider)
            server.tunnel.on_line = tunnel_line
        started.set()
        watch = _TunnelWatch(server)
        code = server.wait(0.5)
        while code is None:
            watch.check()
            code = server.wait(0.5)
        raise CfmcpError(
            f"wrangler dev stopped by itself (exit {code}).",
            hint="See its output above; fix the cause and run cfmcp dev again.",
        )
    except (KeyboardInterrupt, _Stop) as stop:
        console.info("\nStopping…")
        return 128 + (stop.signum if isinstance(stop, _Stop) else signal.SIGINT)
    finally:
        for sig in stop_signals:  # a second Ctrl-C must not cut the clean-up short
            signal.signal(sig, signal.SIG_IGN)
        if server is not None:
            server.stop()
            parts = ["the Worker"]
            if server.tunnel is not None:
                parts.append("the tunnel")
            if server.signin is not None:
                parts.append("the local sign-in")
            stopped = ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]
            console.success(f"Stopped {stopped}.")
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _raise_stop(signum: int, frame: Any) -> None:
    raise _Stop(signum)


def _tunnel_lifetime(tunnel: bool, tunnel_name: str | None, expires: str | None) -> float | None:
    from cfmcp.dev.tunnel import DEFAULT_LIFETIME, check_tunnel_name, parse_lifetime

    if expires is not None and not tunnel:
        raise UsageError("--tunnel-expires needs --tunnel.", hint="cfmcp dev --tunnel ...")
    if tunnel_name is not None:
        check_tunnel_name(tunnel_name)
    return DEFAULT_LIFETIME if expires is None else parse_lifetime(expires)


def _require_tunnel_support(project: Project) -> None:
    """A Worker generated before tunnels existed answers 421 to the tunnel's host. (Both
    toolchains' wrangler runs tunnels: 4.86 has `tunnel quick-start` and `tunnel run` too.)"""
    template = project.read_state().get("template")
    version = str(template.get("version", "")) if isinstance(template, dict) else ""
    if version.isdigit() and int(version) < TUNNEL_TEMPLATE_VERSION:
        raise CfmcpError(
            f"This project's Worker (template {version}) predates tunnel support: it would "
            "refuse the tunnel's host.",
            hint="Run `cfmcp upgrade` for the current template, or set PUBLIC_URL in "
            "wrangler.toml to your own tunnel's URL.",
        )


class _TunnelWatch:
    """While cfmcp dev runs: close the tunnel when its time is up (a warning first), and say so
    once if it stops by itself. The Worker keeps running on loopback either way."""

    WARN_BEFORE = 300.0

    def __init__(self, server: Any):
        self.server = server
        self.warned = False
        self.done = server.tunnel is None

    def check(self) -> None:
        import time

        tunnel = self.server.tunnel
        if self.done:
            return
        local = self.server.url
        if not tunnel.running():
            self.done = True
            self.server.close_tunnel()
            console.warn(
                f"The tunnel stopped (cloudflared exited {tunnel.process.returncode}): "
                f"{tunnel.url} no longer answers. The Worker still runs on {local}; run cfmcp "
                "dev --tunnel again for a new tunnel."
            )
            return
        if tunnel.expires_at is None:
            return
        left = tunnel.expires_at - time.time()
        if left <= 0:
            self.done = True
            self.server.close_tunnel()
            console.info(
                f"The tunnel's time is up: {tunnel.url} is closed. The Worker still runs on "
                f"{local}. For longer, start with --tunnel-expires 3h (or never)."
            )
        elif left <= self.WARN_BEFORE and not self.warned:
            self.warned = True
            console.warn(f"The tunnel closes in {max(1, round(left / 60))} min ({tunnel.url}).")


def _ensure_packages(project: Project) -> None:
    if project.has_node_modules:
        return
    from cfmcp.node import find_node, npm_ci, require_node_range

    require_node_range(project.node_range, needed_by="This project's toolchain")
    if not sys.stdin.isatty():
        raise CfmcpError(
            f"The Worker's packages are not installed in {project.root}.",
            hint=f"Run `npm ci` in {project.root}, then cfmcp dev again.",
        )
    from cfmcp import prompts

    question = "The Worker's packages are not installed. Run npm ci now?"
    if not prompts.confirm(question, default=True):
        raise CfmcpError("cfmcp dev needs the packages.", hint="Run `npm ci` in the project.")
    node = find_node()
    with console.spinner("Installing the Worker's packages (npm ci)…") as timer:
        npm_ci(project.root, node)
    console.success(f"Installed packages in {timer.stop():.1f} s")


def _real_upstream_values(project: Project, provider: ProviderSpec, port: int) -> dict[str, str]:
    """The developer's own dev OAuth client, for real sign-in with the project's provider."""
    from cfmcp.providers import unset_url_vars
    from cfmcp.secrets import dev_upstream_credentials

    unset = unset_url_vars(project, provider)
    if unset:
        raise CfmcpError(
            f"--upstream real needs {' and '.join(unset)} in wrangler.toml: it is empty.",
            hint="Set it to your issuer's URL (the README lists them), or leave out --upstream "
            "to sign in with the local stand-in.",
        )

    values = dev_upstream_credentials(project)
    missing = [name for name in provider.client_secrets if not values.get(name)]
    if missing:
        callback = f"http://localhost:{port}/callback"
        how = (
            "Create one with `cfmcp oauth-client create --dev` (it writes .dev.vars), or in the "
            f"dashboard with the redirect URI {callback} and then `cfmcp secrets set --local`."
            if provider.name == "cloudflare"
            else f"Register a development app with {provider.title} whose callback URL is "
            f"{callback}, then `cfmcp secrets set --local` (it writes .dev.vars)."
        )
        raise CfmcpError(
            f"--upstream real needs your dev OAuth client ({', '.join(missing)} not found "
            "in .dev.vars or the keyring).",
            hint=how,
        )
    return values


def _show_panel(project: Project, server: Any, seconds: float) -> None:
    url = server.url
    rows = []
    if project.variant == "stateful":
        rows.append(("MCP (streamable HTTP)", f"{url}/mcp"))
        rows.append(("~", "(sessions for 2025-era clients)"))
        rows.append(("MCP (HTTP+SSE)", f"{url}/sse"))
        rows.append(("~", "(for SSE-only clients)"))
    else:
        rows.append(("MCP (streamable HTTP)", f"{url}/mcp"))
    from cfmcp.providers import provider_of

    provider = provider_of(project)
    if provider.public:
        rows.append(("Sign-in", "none: anyone can call /mcp (cfmcp init --auth none)"))
    elif server.config.upstream == "local":
        who = f"local stand-in for {provider.title}, as {server.config.user}"
        rows.append(("Sign-in", who))
        rows.append(("", str(server.signin_url)))
    else:
        rows.append(("Sign-in", f"{provider.title}; your OAuth client must allow"))
        rows.append(("", server.redirect_uri))
        if server.config.port != 8788 and provider.name == "cloudflare":
            rows.append(("~", "(cfmcp oauth-client create --dev registers the :8788 one)"))
    if server.config.upstream == "local":
        rows.append(("Check it", "cfmcp check --headless"))
    else:
        rows.append(("Check it", "cfmcp check  (signs in through your browser)"))
    rows.append(("MCP Inspector", "npx @modelcontextprotocol/inspector"))
    rows.append(("", f"→ connect to {url}/mcp"))
    rows.append(("mcp-remote", f"npx -y mcp-remote {url}/mcp"))
    rows.append(("Your clients", "cfmcp client-config cursor --local  (or claude, vscode, …)"))
    rows.append(("Stop", "Ctrl-C"))
    title = f"cfmcp dev · {project.root.name} · ready in {seconds:.1f} s"
    console.panel(title, rows)


def _show_tunnel(project: Project, server: Any, provider: ProviderSpec) -> None:
    """The public URL, how long it lives, who can sign in through it, and how to add it to the
    hosted clients."""
    import time

    from cfmcp.clients.web import CHATGPT, CLAUDE_AI
    from cfmcp.dev.tunnel import describe_lifetime

    tunnel = server.tunnel
    public = tunnel.url
    rows = [("MCP (public)", f"{public}/mcp")]
    if project.variant == "stateful":
        rows.append(("MCP (HTTP+SSE)", f"{public}/sse"))
    if tunnel.expires_at is None:
        rows.append(("Open", "until cfmcp dev stops"))
    else:
        closes = time.strftime("%H:%M", time.localtime(tunnel.expires_at))
        lifetime = describe_lifetime(server.config.tunnel_lifetime)
        rows.append(("Open", f"{lifetime}, until {closes} (--tunnel-expires for longer)"))
    if provider.public:
        rows.append(("Sign-in", "none: anyone with this URL can call your tools while it is open"))
    elif server.config.upstream == "local":
        rows.append(("Sign-in", "the local sign-in page answers only on this computer: only"))
        rows.append(("", "your own browser can finish a sign-in through the tunnel"))
    else:
        rows.append(("Sign-in", f"{provider.title}; your OAuth client must also allow"))
        rows.append(("", f"{public}/callback"))
    rows.append(("Check it", f"cfmcp check --headless {public}"))
    name = f"{project.worker_name()}-dev"  # as `cfmcp client-config claude-ai` names it
    for spec in (CLAUDE_AI, CHATGPT):
        rows.append((spec.title.split(" (")[0], ""))
        for number, step in enumerate(spec.steps(f"{public}/mcp", name, provider.public), 1):
            rows.append(("~", f"{number}. {step}"))
    kind = "Quick Tunnel" if tunnel.kind == "quick" else f"tunnel {server.config.tunnel_name}"
    console.panel(f"Public URL · Cloudflare {kind}", rows)
    if provider.public:
        console.warn(
            "This server has no sign-in: while the tunnel is open, anyone who finds its URL can "
            "call your tools."
        )
    if tunnel.kind == "quick" and project.variant == "stateful":
        console.warn(
            "Quick Tunnels do not carry Server-Sent Events streams: /sse and the 2025 sessions' "
            "event streams may stall. /mcp for 2026-07-28 clients answers in plain JSON; for "
            "the rest use a named tunnel (--tunnel-name)."
        )
