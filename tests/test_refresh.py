"""Refreshing through the Worker refreshes Cloudflare's token first; only Cloudflare's own
invalid_grant ends the grant. The Worker runs under wrangler dev against the local stand-in,
which the test can break on purpose."""

import pytest

from cfmcp.dev.local_cloudflare import LocalCloudflare
from cfmcp.dev.server import BackgroundServer
from tests.conftest import TEST_SECRETS, write_env_file
from tests.test_dev import mcp_initialize, token_request, tokens_for
from tests.workerd import wrangler_dev

pytestmark = pytest.mark.integration


def test_refresh_errors_end_the_grant_only_when_cloudflare_says_so(worker_project, tmp_path):
    events: list[str] = []
    local = LocalCloudflare(
        client_id=TEST_SECRETS["CLOUDFLARE_CLIENT_ID"],
        client_secret=TEST_SECRETS["CLOUDFLARE_CLIENT_SECRET"],
        redirect_uris=[],
        log=events.append,
    )
    with BackgroundServer(local.app()) as signin:
        env_file = write_env_file(
            tmp_path / "local.env",
            {
                **TEST_SECRETS,
                "CLOUDFLARE_OAUTH_URL": f"{signin.url}/oauth2",
                "CLOUDFLARE_API_URL": f"{signin.url}/client/v4",
            },
        )
        with wrangler_dev(worker_project, [env_file]) as server:
            base = server.base_url
            local.redirect_uris.append(f"{base}/callback")
            tokens = tokens_for(base)

            def refresh(refresh_token: str):
                return token_request(
                    base, tokens["client_id"], grant_type="refresh_token",
                    refresh_token=refresh_token,
                )  # fmt: skip

            # A wrong client secret upstream (a misconfiguration): temporary, grant kept.
            local.client_secret = "not-what-the-worker-has"
            failed = refresh(tokens["refresh_token"])
            assert failed.status_code == 503, failed.text
            assert failed.json()["error"] == "temporarily_unavailable"
            local.client_secret = TEST_SECRETS["CLOUDFLARE_CLIENT_SECRET"]
            assert mcp_initialize(base, tokens["access_token"]).status_code == 200
            fixed = refresh(tokens["refresh_token"])
            assert fixed.status_code == 200, fixed.text
            assert "refreshed upstream tokens" in events

            # Cloudflare itself says the refresh token is gone: the grant ends, tokens die.
            local._refresh.clear()
            ended = refresh(fixed.json()["refresh_token"])
            assert ended.status_code == 400 and ended.json()["error"] == "invalid_grant"
            assert mcp_initialize(base, fixed.json()["access_token"]).status_code == 401
