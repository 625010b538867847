"""Issue: bad input gets a 4xx with a short message, never a 500 or a stack trace, in each
variant, and the server goes on answering. Against the real Worker under `cfmcp dev`."""

import base64
import re

import httpx2
import pytest

from tests.signin import register, tokens_for

pytestmark = pytest.mark.integration

LONG = "a" * 600  # KV keys stop at 512 bytes: this used to reach KV and fail with a 500


def still_answers(dev) -> None:
    metadata = httpx2.get(f"{dev.url}/.well-known/oauth-authorization-server")
    assert metadata.status_code == 200
    assert httpx2.get(f"{dev.url}/mcp").status_code == 401


def no_stack_trace(response: httpx2.Response) -> None:
    assert response.status_code < 500, response.text[:300]
    assert not re.search(r"\n\s+at \S", response.text)  # no JavaScript stack
    assert "<!DOCTYPE html>" not in response.text  # not wrangler's error page


@pytest.mark.parametrize(
    "path", ["/mcp", "/sse", "/.well-known/oauth-protected-resource", "/authorize", "/"]
)
def test_a_host_this_server_does_not_answer_for_is_421(variant_dev, path):
    response = httpx2.get(f"{variant_dev.url}{path}", headers={"Host": "evil.example.com"})
    assert response.status_code == 421
    assert response.text == "This server does not answer for that host.\n"
    no_stack_trace(response)
    for loopback in (f"localhost:{variant_dev.port}", f"127.0.0.1:{variant_dev.port}"):
        assert httpx2.get(f"{variant_dev.url}/", headers={"Host": loopback}).status_code == 200
    still_answers(variant_dev)


@pytest.mark.parametrize(
    "content_type, body",
    [
        ("application/json", b'{"handle": "x", "decision": "approve"}'),
        ("text/plain", b"handle=x"),
        ("multipart/form-data; boundary=zz", b"--zz\r\nbroken"),
        (None, b"handle=x&decision=approve"),
    ],
)
def test_post_authorize_with_anything_but_a_form_is_400(variant_dev, content_type, body):
    headers = {"Content-Type": content_type} if content_type else {}
    response = httpx2.post(f"{variant_dev.url}/authorize", content=body, headers=headers)
    assert response.status_code == 400
    assert "Send the approval form" in response.text or "Authorization failed" in response.text
    assert response.headers["x-frame-options"] == "DENY"
    no_stack_trace(response)
    still_answers(variant_dev)


def test_ids_and_tokens_too_long_to_be_real(variant_dev):
    base = variant_dev.url
    client_id = register(base)
    checks = [
        httpx2.get(f"{base}/authorize", params={"client_id": LONG, "response_type": "code"}),
        httpx2.post(
            f"{base}/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": f"{LONG}:g:s",
                "client_id": client_id,
            },
        ),
        httpx2.post(
            f"{base}/token",
            data={"grant_type": "authorization_code", "code": LONG, "client_id": client_id},
        ),
        httpx2.post(
            f"{base}/token",
            data={"grant_type": "refresh_token", "refresh_token": "x"},
            auth=(LONG, "s"),
        ),
        httpx2.post(f"{base}/token", data={"grant_type": "refresh_token", "client_id": LONG}),
    ]
    expected = [
        (400, None),
        (400, "invalid_grant"),
        (400, "invalid_grant"),
        (401, "invalid_client"),
        (400, "invalid_client"),
    ]
    for response, (status, error) in zip(checks, expected, strict=True):
        assert response.status_code == status, response.text
        if error:
            assert response.json()["error"] == error
        no_stack_trace(response)
    for path in ("/mcp", "/sse"):
        response = httpx2.post(
            f"{base}{path}", headers={"Authorization": f"Bearer {LONG}:g:s"}, json={}
        )
        assert response.status_code == 401
        assert 'error="invalid_token"' in response.headers["www-authenticate"]
        assert "resource_metadata=" in response.headers["www-authenticate"]
    still_answers(variant_dev)


def test_a_normal_token_still_works_after_all_that(variant_dev):
    tokens = tokens_for(variant_dev.url)
    basic = base64.b64encode(f"{tokens['client_id']}:".encode()).decode()
    assert len(basic) < 400
    response = httpx2.post(
        f"{variant_dev.url}/mcp",
        headers={
            "Authorization": f"Bearer {tokens['access_token']}",
            "Accept": "application/json, text/event-stream",
        },
        json={"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {},
            "clientInfo": {"name": "t", "version": "0"}}},
    )  # fmt: skip
    assert response.status_code == 200
