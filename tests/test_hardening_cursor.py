"""Issue: Cursor can sign in. It registers the private-use redirect URI
cursor://anysphere.cursor-mcp/oauth/callback; the server used to refuse it at registration and
at /authorize. PKCE S256 stays mandatory, so a code sent there is useless to another app."""

import httpx2
import pytest

from tests.signin import get_code, mcp_initialize, pkce, register
from tests.test_worker import Browser

pytestmark = pytest.mark.integration

CURSOR = "cursor://anysphere.cursor-mcp/oauth/callback"


def test_cursor_registers_signs_in_and_gets_working_tokens(variant_dev):
    client_id, code, verifier = get_code(variant_dev.url, redirect_uri=CURSOR)
    tokens = httpx2.post(
        f"{variant_dev.url}/token",
        data={"client_id": client_id, "grant_type": "authorization_code", "code": code,
              "redirect_uri": CURSOR, "code_verifier": verifier},
    )  # fmt: skip
    assert tokens.status_code == 200, tokens.text
    assert mcp_initialize(variant_dev.url, tokens.json()["access_token"]).status_code == 200


def test_the_dialog_names_the_app_that_gets_access(variant_dev):
    client_id = register(variant_dev.url, CURSOR)
    _, challenge = pkce()
    page = Browser(variant_dev.url).request(
        "GET",
        "/authorize",
        params={"response_type": "code", "client_id": client_id, "redirect_uri": CURSOR,
                "state": "s", "code_challenge": challenge, "code_challenge_method": "S256"},
    )  # fmt: skip
    assert page.status_code == 200
    assert "the app that opens cursor://anysphere.cursor-mcp links" in page.text
    assert "Access will be sent to an app on your computer" in page.text


def test_pkce_is_still_required_for_it(variant_dev):
    client_id = register(variant_dev.url, CURSOR)
    response = httpx2.get(
        f"{variant_dev.url}/authorize",
        params={"response_type": "code", "client_id": client_id, "redirect_uri": CURSOR,
                "state": "s"},
    )  # fmt: skip
    assert response.status_code in (302, 400)
    if response.status_code == 302:  # an error sent back to the app, never a code
        location = response.headers["location"]
        assert "error=" in location and "code=" not in location


def test_a_code_for_cursor_is_useless_without_its_verifier(variant_dev):
    client_id, code, _ = get_code(variant_dev.url, redirect_uri=CURSOR)
    stolen = httpx2.post(
        f"{variant_dev.url}/token",
        data={"client_id": client_id, "grant_type": "authorization_code", "code": code,
              "redirect_uri": CURSOR, "code_verifier": "x" * 43},
    )  # fmt: skip
    assert stolen.status_code == 400 and stolen.json()["error"] == "invalid_grant"
