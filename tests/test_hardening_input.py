"""Issue: bad input gets a 4xx with a short message, never a 500 or a stack trace, in each
variant, and the server goes on answering. Against the real Worker under `cfmcp dev`."""

import base64
import json
import re
from functools import partial

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
    assert response.text.startswith("This server does not answer for that host.")
    assert "PUBLIC_URL" in response.text  # the way out for a proxy or a tunnel
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


def jwt(claims: dict) -> str:
    def part(value: dict) -> str:
        raw = json.dumps(value).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{part({'alg': 'none'})}.{part(claims)}.sig"


def test_multibyte_and_oddly_written_ids_count_their_bytes(variant_dev):
    """KV counts UTF-8 bytes: 200 times 中 is 600 of them. Tabs, double spaces and Basic ids in
    other encodings are read as the provider reads them."""
    base = variant_dev.url
    client_id = register(base)
    wide = "中" * 200
    token = partial(httpx2.post, f"{base}/token")
    cases = [
        (httpx2.get(f"{base}/authorize", params={"client_id": wide}), 400, None),
        (token(data={"grant_type": "refresh_token", "client_id": wide}), 400, "invalid_client"),
        (token(data={"grant_type": "refresh_token", "client_id": client_id,
                     "refresh_token": f"{'中' * 190}:g:s"}), 400, "invalid_grant"),
        (token(data={"grant_type": "authorization_code", "client_id": client_id,
                     "code": f"{'中' * 190}:g:s"}), 400, "invalid_grant"),
        (httpx2.post(f"{base}/token", data={"token": f"{'u' * 600}:g:s",
                     "client_id": client_id}), 400, "invalid_grant"),
        (token(data={"grant_type": "authorization_code", "code": "c",
                     "client_assertion_type":
                         "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                     "client_assertion": jwt({"iss": "z" * 700, "sub": "z" * 700})}),
         400, "invalid_client"),
        (token(data={"grant_type": "refresh_token", "refresh_token": "x"},
               headers={"Authorization": "Basic "
                        + base64.b64encode(("中" * 130 + ":s").encode()).decode()}),
         401, "invalid_client"),
    ]  # fmt: skip
    for response, status, error in cases:
        assert response.status_code == status, response.text
        if error:
            assert response.json()["error"] == error
        no_stack_trace(response)
    odd = (f"Bearer\t{'u' * 900}:g:s", f"Bearer  {'u' * 500}:g:s", ("Bearer " + "é" * 390).encode())
    for authorization in odd:
        response = httpx2.post(f"{base}/mcp", headers={"Authorization": authorization}, json={})
        assert response.status_code == 401, authorization[:12]  # é: 2 bytes
        no_stack_trace(response)
    still_answers(variant_dev)


@pytest.mark.parametrize("path", ["/token", "/authorize", "/register"])
def test_a_body_too_large_to_be_a_form_is_413_even_chunked(variant_dev, path):
    def chunks():
        for _ in range(200):
            yield b"a" * 1024  # 200 KiB, without a Content-Length

    response = httpx2.post(
        f"{variant_dev.url}{path}",
        content=chunks(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413, response.text
    assert response.json()["error"] == "invalid_request"
    still_answers(variant_dev)


MCP_LIMIT = 4 * 1024 * 1024  # src/guards.ts


def mcp_post(base: str, token: str | None, **request) -> httpx2.Response:
    headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx2.post(f"{base}/mcp", headers=headers, timeout=60, **request)


def assert_too_large(response: httpx2.Response) -> None:
    assert response.status_code == 413, response.text[:300]
    assert "must not exceed 4194304 bytes" in response.json()["error"]["message"]


def test_an_mcp_message_over_4_mib_is_413_even_chunked(variant_dev):
    """The MCP SDK's bound (4 MiB) holds, chunked bodies too, so a body never fills the
    Worker's memory."""
    token = tokens_for(variant_dev.url)["access_token"]
    assert_too_large(mcp_post(variant_dev.url, token, content=b" " * (MCP_LIMIT + 1)))

    def chunks():
        for _ in range(5 * 1024):
            yield b" " * 1024  # 5 MiB, without a Content-Length

    assert_too_large(mcp_post(variant_dev.url, token, content=chunks()))
    # A message just under the limit is read and answered as any other.
    ping = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "ping"}).encode()
    padded = ping + b" " * (MCP_LIMIT - len(ping) - 1024)
    answer = mcp_post(variant_dev.url, token, content=padded)
    assert answer.status_code != 413 and answer.status_code < 500, answer.text[:300]
    still_answers(variant_dev)


# --- bodies declared and never sent --------------------------------------------------------------

STALL_SECONDS = 10  # BODY_STALL_MS in src/guards.ts


Case = tuple[str, int, str | None]  # path, declared length, bearer token


def partial_posts(base: str, cases: list[Case]) -> list[tuple[int, bytes, float]]:
    """POSTs that each declare a Content-Length and send 10 bytes of it, all at once: for
    each, the status, the body of the answer and the seconds it took (status 0: no answer in
    twice the stall time)."""
    import http.client
    import time
    from concurrent.futures import ThreadPoolExecutor
    from urllib.parse import urlsplit

    def one(case: Case) -> tuple[int, bytes, float]:
        path, declared, token = case
        start = time.monotonic()
        # The host the tokens were made for (their audience is this origin).
        connection = http.client.HTTPConnection(urlsplit(base).netloc, timeout=2 * STALL_SECONDS)
        try:
            connection.putrequest("POST", path)
            connection.putheader("Content-Type", "application/json")
            connection.putheader("Accept", "application/json, text/event-stream")
            if token:
                connection.putheader("Authorization", f"Bearer {token}")
            connection.putheader("Content-Length", str(declared))
            connection.endheaders(b'{"jsonrpc"')
            response = connection.getresponse()
            return response.status, response.read(), time.monotonic() - start
        except TimeoutError:
            return 0, b"", time.monotonic() - start
        finally:
            connection.close()

    with ThreadPoolExecutor(len(cases)) as pool:
        return list(pool.map(one, cases))


def assert_declared_bodies_are_handled(dev, *, signed_in: bool = True) -> None:
    """A declared length far over the bound is refused at once, before the body comes; a body
    that stops arriving is given up after the stall time (408), one over the bound too; a call
    to /mcp without a token is refused at once, its body never read. Nothing waits for ever,
    nothing is a 5xx, and the server goes on answering."""
    token = tokens_for(dev.url)["access_token"] if signed_in else None
    drained = 2 * 1024 * 1024  # MAX_DRAINED: read past the bound, so the sender hears the 413
    too_large: list[Case] = [
        ("/mcp", 100 * 1024**3, None),
        ("/mcp", MCP_LIMIT + drained + 1, token),
    ]
    stalled: list[Case] = [("/mcp", 200, token), ("/mcp", MCP_LIMIT + 1, token)]
    unread: list[Case] = []
    if signed_in:
        too_large += [("/register", 16 * 1024 + drained + 1, None), ("/token", 1024**3, None)]
        stalled += [("/register", 200, None)]
        unread += [("/mcp", 200, None), ("/mcp", MCP_LIMIT + 1, None)]
    results = iter(partial_posts(dev.url, too_large + stalled + unread))
    for (path, declared, _), (status, body, seconds) in zip(too_large, results, strict=False):
        assert status == 413, (path, declared, status, body[:200])
        assert seconds < STALL_SECONDS / 2, (path, seconds)  # answered before any body came
        answer = json.loads(body)
        if path == "/mcp":
            assert "must not exceed 4194304 bytes" in answer["error"]["message"]
        else:
            assert answer["error"] == "invalid_request"
    for (path, declared, _), (status, body, seconds) in zip(stalled, results, strict=False):
        assert status == 408, (path, declared, status, body[:200])
        assert STALL_SECONDS - 1 <= seconds < 2 * STALL_SECONDS, (path, seconds)
        assert b"stopped arriving" in body
    for (path, declared, _), (status, body, seconds) in zip(unread, results, strict=False):
        assert status == 401, (path, declared, status, body[:200])
        assert seconds < STALL_SECONDS / 2, (path, seconds)
    if signed_in:
        still_answers(dev)
    else:
        assert httpx2.get(f"{dev.url}/").status_code == 200


def test_a_declared_body_is_refused_or_given_up_never_waited_for(variant_dev):
    assert_declared_bodies_are_handled(variant_dev)
