"""`cfmcp check` without a Worker: URL handling, terminal safety, the --headless boundary."""

import anyio
import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cfmcp.check import printable, run_check, server_base
from cfmcp.dev.server import BackgroundServer
from cfmcp.errors import UsageError
from cfmcp.headless import is_loopback_url


@pytest.mark.parametrize(
    ("given", "base"),
    [
        ("http://localhost:8788", "http://localhost:8788"),
        ("http://localhost:8788/", "http://localhost:8788"),
        ("http://localhost:8788/mcp", "http://localhost:8788"),
        ("https://x.example.workers.dev/sse", "https://x.example.workers.dev"),
        ("https://x.example.com/prefix/mcp/", "https://x.example.com/prefix"),
    ],
)
def test_server_base(given, base):
    assert server_base(given) == base


@pytest.mark.parametrize("bad", ["ftp://x", "not a url", "http://example.com/mcp"])
def test_server_base_refuses(bad):
    with pytest.raises(UsageError):
        server_base(bad)


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://localhost:8788", True),
        ("http://127.0.0.1:1/x", True),
        ("http://127.9.9.9/", True),
        ("http://[::1]:8788/", True),
        ("http://localhost.evil.example/", False),
        ("http://evil.localhost/", False),  # resolved by DNS here, not by name
        ("http://127.0.0.1.nip.io/", False),
        ("http://127.0.0.1@evil.example/", False),
        ("https://example.com/", False),
    ],
)
def test_loopback_is_decided_by_name_alone(url, loopback):
    assert is_loopback_url(url) is loopback


def test_printable_drops_escape_sequences():
    hostile = "ok\x1b]0;title\x1b\\ \x1b[2Jdone\x07\x9b"
    assert printable(hostile) == "ok]0;title\\ [2Jdone"
    assert printable("tabs\tstay") == "tabs\tstay"


def test_headless_never_follows_metadata_off_this_machine():
    """A loopback server whose metadata names a remote authorization server: --headless stops
    before any request leaves the machine."""
    seen: list[str] = []

    async def mcp(request):
        seen.append(request.url.path)
        metadata = f"{request.base_url}.well-known/oauth-protected-resource"
        return Response(status_code=401, headers={
            "WWW-Authenticate": f'Bearer resource_metadata="{metadata}"'
        })  # fmt: skip

    async def resource(request):
        seen.append(request.url.path)
        return JSONResponse({
            "resource": str(request.base_url).rstrip("/"),
            "authorization_servers": ["https://as.attacker.example"],
        })  # fmt: skip

    app = Starlette(
        routes=[
            Route("/mcp", mcp, methods=["GET", "POST", "DELETE"]),
            Route("/.well-known/oauth-protected-resource", resource),
            Route("/.well-known/oauth-protected-resource/mcp", resource),
        ]
    )
    with BackgroundServer(app) as server:
        result = anyio.run(
            lambda: run_check(f"http://127.0.0.1:{server.port}", headless=True, transports=("mcp",))
        )
    assert not result.ok
    assert "https://as.attacker.example" in (result.error or "")
    assert "not a loopback URL" in (result.error or "")


def test_a_refusal_is_explained_once():
    from cfmcp.check_signin import StepRecorder

    recorder = StepRecorder(lambda name, seconds, detail: None)
    assert recorder.explain("boom") == "boom"
    recorder.last_error, recorder.last_error_body = "POST /mcp answered 400", "Bad Request: x"
    assert recorder.explain("Bad Request: x") == "Bad Request: x (POST /mcp answered 400)"
    assert recorder.explain("other") == "other (POST /mcp answered 400: Bad Request: x)"


def test_a_server_without_the_2026_protocol_is_named():
    from cfmcp.check import _refuses_modern

    assert _refuses_modern("Bad Request: Unsupported protocol version: 2026-07-28")
    assert _refuses_modern("Method not found")
    assert not _refuses_modern("All connection attempts failed")


def test_doctor_reports_an_unknown_sign_in_provider_without_stopping(tmp_path):
    import json

    from cfmcp.doctor import FAIL, SKIP, check_provider, check_remote_secrets
    from cfmcp.project import Project

    (tmp_path / "wrangler.toml").write_text('name = "x"\nmain = "src/index.ts"\n')
    (tmp_path / "cfmcp.json").write_text(json.dumps({"options": {"auth": "gitlab"}}))
    project = Project(tmp_path)
    provider = check_provider(project)
    assert provider.status == FAIL and "'gitlab'" in provider.message
    assert "cloudflare, github" in (provider.fix or "")
    assert check_remote_secrets(project, None, timeout=5).status == SKIP  # wrangler not run


def test_a_prompts_arguments_must_be_text(cli):
    result = cli("check", "http://127.0.0.1:9", "--prompt", "summarize", "--args", '{"n": 1}')
    assert result.exit_code == 2
    assert "A prompt's arguments are text: give n as strings." in " ".join(result.output.split())


def test_check_help_names_resources_and_prompts(cli):
    result = cli("check", "--help")
    assert "--resource" in result.output and "--prompt" in result.output
