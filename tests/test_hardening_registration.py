"""Issue: registration is bounded (sizes and counts refused, a rate limit per address that
`wrangler dev` enforces too), registrations expire on purpose, and expired data is purged on
a schedule."""

import socket
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from tests.conftest import TEST_SECRETS, copy_project, write_env_file
from tests.signin import authorization_url, pkce
from tests.workerd import wrangler_dev

pytestmark = pytest.mark.integration

CALLBACK = "http://127.0.0.1:9/callback"


def register(base: str, **metadata) -> httpx2.Response:
    body = {
        "redirect_uris": [CALLBACK],
        "client_name": "test",
        "token_endpoint_auth_method": "none",
        **metadata,
    }
    return httpx2.post(f"{base}/register", json=body)


@pytest.mark.parametrize(
    "metadata, complaint",
    [
        ({"client_name": "x" * 201}, "client_name"),
        ({"redirect_uris": [f"http://127.0.0.1:9/{n}" for n in range(11)]}, "redirect_uris"),
        ({"redirect_uris": ["http://127.0.0.1:9/" + "a" * 2001]}, "redirect_uris"),
        ({"logo_uri": "https://example.com/" + "a" * 2001}, "logo_uri"),
        ({"contacts": [f"{n}@example.com" for n in range(11)]}, "contacts"),
    ],
)
def test_oversized_metadata_is_refused(variant_dev, metadata, complaint):
    response = register(variant_dev.url, **metadata)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_client_metadata"
    assert complaint in response.json()["error_description"]


@pytest.mark.parametrize(
    "uri, complaint",
    [
        ("about:blank", "about: URI"),
        ("ws://127.0.0.1:9/callback", "ws: URI"),
        ("WSS://example.com/callback", "wss: URI"),
        ("javascript:alert(1)//", "edirect URI"),  # the library refuses it first
        ("http://127.0.0.1:9/call back", "whitespace"),
        (" http://127.0.0.1:9/callback", "whitespace"),
        ("http://127.0.0.1:9/callback\n", "whitespace"),
        ("http://127.0.0.1:9/callback\t", "whitespace"),
    ],
)
def test_redirect_uris_that_cannot_take_a_code_are_refused(variant_dev, uri, complaint):
    """RFC 3986 has no whitespace in a URI, and the server does not tidy one into another."""
    response = register(variant_dev.url, redirect_uris=[CALLBACK, uri])
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_client_metadata"
    assert complaint in response.json()["error_description"]


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A loopback port that notes whether anything connected to it."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        server.settimeout(0.5)
        yield server


def connected(server: socket.socket) -> bool:
    try:
        server.accept()[0].close()
        return True
    except TimeoutError:
        return False


@pytest.mark.parametrize(
    "document",
    [
        "https://127.0.0.1:{port}/client",
        "https://localhost:{port}/client",
        "https://mcp.localhost:{port}/client",
        "https://2130706433:{port}/client",  # 127.0.0.1, as a number
        "https://[::ffff:127.0.0.1]:{port}/client",
        "https://[::1]:{port}/client",
        "https://10.1.2.3/client",
        "https://192.168.1.1/client",
        "https://169.254.169.254/latest/meta-data",
    ],
)
def test_a_metadata_document_on_this_machine_or_a_private_network_is_never_fetched(
    variant_dev, listener, document
):
    """As Cloudflare refuses to fetch those addresses (`global_fetch_strictly_public`), so
    does `cfmcp dev`: a client id can't make the developer's machine probe its own ports."""
    client_id = document.format(port=listener.getsockname()[1])
    url = authorization_url(variant_dev.url, client_id, pkce()[1])
    page = httpx2.get(url)
    assert page.status_code == 400, page.text
    assert "not on a public address" in page.text
    form = {"grant_type": "authorization_code", "code": "x", "redirect_uri": CALLBACK}
    token = httpx2.post(f"{variant_dev.url}/token", data={"client_id": client_id, **form})
    assert token.status_code == 401 and token.json()["error"] == "invalid_client", token.text
    assert not connected(listener)


def test_a_huge_body_is_refused_before_it_is_read(variant_dev):
    response = register(variant_dev.url, software_version="x" * 20_000)
    assert response.status_code == 413
    assert register(variant_dev.url).status_code == 201  # and the next one is fine


def test_registrations_expire_after_30_days(variant_dev):
    """Set on purpose: renewed while the client is used (the library renews past half-life),
    gone from KV when abandoned. Read from wrangler's local KV, where the expiry is kept."""
    client_id = register(variant_dev.url).json()["client_id"]
    issued = time.time()
    expiry = kv_expirations(variant_dev.project)[f"client:{client_id}"]
    assert abs(expiry - issued - 30 * 24 * 3600) < 60


def kv_expirations(project: Path) -> dict[str, float]:
    """Key -> expiry (seconds) of every entry in the project's local KV (wrangler dev)."""
    found: dict[str, float] = {}
    store = project / ".wrangler" / "state" / "v3" / "kv" / "miniflare-KVNamespaceObject"
    for database in store.glob("*.sqlite"):
        if database.name == "metadata.sqlite":
            continue
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
            rows = connection.execute("SELECT key, expiration FROM _mf_entries").fetchall()
        found.update({key: expiration / 1000 for key, expiration in rows if expiration})
    return found


@pytest.fixture(scope="module")
def deployed_like(worker_project, tmp_path_factory):
    """Requests as they arrive on Cloudflare (https, the client's address in CF-Connecting-IP):
    PUBLIC_URL makes the Worker see its public origin, where the limit applies."""
    env_file = write_env_file(
        tmp_path_factory.mktemp("limit") / "public.env",
        {**TEST_SECRETS, "PUBLIC_URL": "https://mcp.example.com"},
    )
    project = copy_project(worker_project, tmp_path_factory.mktemp("limited") / "limited-mcp")
    with wrangler_dev(project, [env_file], extra_args=["--test-scheduled"]) as server:
        yield server


def test_ten_registrations_a_minute_per_address(deployed_like):
    base = deployed_like.base_url

    def register() -> httpx2.Response:
        return httpx2.post(
            f"{base}/register",
            json={"redirect_uris": [CALLBACK], "token_endpoint_auth_method": "none"},
            headers={"CF-Connecting-IP": "203.0.113.7"},
        )

    # The limit counts per minute window: the run may start late in one, so up to 25 tries
    # (a window boundary reached mid-run starts the count again), and at least 10 get through
    # before the first refusal.
    statuses: list[int] = []
    while 429 not in statuses and len(statuses) < 25:
        statuses.append(register().status_code)
    assert 429 in statuses, statuses
    assert statuses.index(429) >= 10 and set(statuses[: statuses.index(429)]) == {201}, statuses
    limited = register()
    assert limited.status_code == 429 and limited.headers["retry-after"] == "60"
    assert limited.json()["error"] == "temporarily_unavailable"
    other = httpx2.post(
        f"{base}/register",
        json={"redirect_uris": [CALLBACK], "token_endpoint_auth_method": "none"},
        headers={"CF-Connecting-IP": "198.51.100.9"},
    )
    assert other.status_code == 201  # per address


def test_an_ipv6_subnet_counts_as_one_address(deployed_like):
    """One subscriber holds a /64: its 2^64 addresses share one count."""
    statuses = [
        httpx2.post(
            f"{deployed_like.base_url}/register",
            json={"redirect_uris": [CALLBACK], "token_endpoint_auth_method": "none"},
            headers={"CF-Connecting-IP": f"2001:db8:aa:bb::{n:x}"},
        ).status_code
        for n in range(1, 16)
    ]
    assert 429 in statuses and statuses.count(201) <= 10, statuses


def test_a_ceiling_for_everyone(deployed_like):
    """Addresses are cheap: 100 registrations a minute from all of them together. Sent 16 at a
    time, so the rate beats the limit however slow the machine is; the limit counts in
    windows of a minute, and a burst may see one turn over: two windows' worth at most."""
    from concurrent.futures import ThreadPoolExecutor

    def register(n: int) -> int:
        return httpx2.post(
            f"{deployed_like.base_url}/register",
            json={"redirect_uris": [CALLBACK], "token_endpoint_auth_method": "none"},
            headers={"CF-Connecting-IP": f"198.18.{n // 250}.{n % 250 + 1}"},
            timeout=60,
        ).status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(register, range(220)))
    assert 429 in statuses, statuses.count(201)
    assert statuses.count(201) <= 200
    assert set(statuses) <= {201, 429}  # limited, never broken


def test_the_daily_purge_runs(deployed_like):
    response = httpx2.get(f"{deployed_like.base_url}/__scheduled", params={"cron": "17 4 * * *"})
    assert response.status_code == 200
    assert "Ran scheduled event" in response.text
    assert "Error" not in deployed_like.log().split("__scheduled")[-1]
