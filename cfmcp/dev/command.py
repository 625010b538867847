"""`cfmcp dev`: start, show where everything is, stream both logs, stop cleanly."""

from __future__ import annotations

import signal
import sys
import threading
from typing import TYPE_CHECKING, Any

from cfmcp import console
from cfmcp.errors import CfmcpError, UsageError
from cfmcp.project import Project, find_project

if TYPE_CHECKING:
    from cfmcp.providers import ProviderSpec

UPSTREAMS = ("local", "real", "cloudflare")  # cloudflare: the old name of real, for its projects


class _Stop(Exception):
    """Raised in the main thread by a stop signal (SIGINT, SIGTERM, SIGHUP)."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def run_dev(
    *, port: int, upstream: str, user: str, token_ttl: int, signin_port: int | None = None
) -> int:
    """Run until stopped; the exit code is the shell's for the stopping signal (130 for Ctrl-C,
    143 for SIGTERM), as a process killed by it would report, so scripts can tell a stop
    from a success."""
    from cfmcp.dev.supervisor import DevConfig, start

    if upstream not in UPSTREAMS:
        raise UsageError(f"--upstream must be local or real, not {upstream!r}.")
    for flag, number in (("--port", port), ("--signin-port", signin_port)):
        if number is not None and not 1 <= number <= 65535:
            raise UsageError(f"{flag} {number} is not a port number.")
    if signin_port is not None and signin_port == port:
        raise UsageError("--signin-port must differ from --port.")
    from cfmcp.dev.local_oauth import email_problem

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
    upstream_values = _real_upstream_values(project, provider, port) if upstream == "real" else None
    _ensure_packages(project)

    started = threading.Event()
    lock = threading.Lock()

    colour = console.err_console().is_terminal

    def worker_line(line: str) -> None:
        if not colour:
            from cfmcp.wrangler import strip_ansi

            line = strip_ansi(line)
        if started.is_set() and line.strip():
            with lock:
                console.err_console().print(
                    f"[cyan]worker[/cyan] │ {console.escape(line)}", soft_wrap=True
                )

    def signin_event(message: str) -> None:
        with lock:
            console.err_console().print(
                f"[magenta]signin[/magenta] │ {console.escape(message)}", soft_wrap=True
            )

    config = DevConfig(
        port=port,
        upstream=upstream,
        user=user,
        signin_port=signin_port,
        access_token_ttl=token_ttl,
    )
    # Handle SIGINT ourselves too: a parent may start us with SIGINT ignored.
    stop_signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {sig: signal.signal(sig, _raise_stop) for sig in stop_signals}
    server = None
    try:
        with console.spinner(f"Starting the Worker on port {port}…") as timer:
            server = start(
                project,
                config,
                on_worker_line=worker_line,
                on_signin_event=signin_event,
                upstream_values=upstream_values,
            )
        _show_panel(project, server, timer.stop())
        started.set()
        code = server.wait()
        while code is None:
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
            stopped = " and the local sign-in" if server.signin is not None else ""
            console.success(f"Stopped the Worker{stopped}.")
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _raise_stop(signum: int, frame: Any) -> None:
    raise _Stop(signum)


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
