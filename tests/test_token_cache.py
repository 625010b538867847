"""The Worker remembers access-token records for TOKEN_CACHE_SECONDS (src/token-cache.ts):
revocation must still hold. A token revoked, or a grant ended, through this Worker is refused
at once; a record deleted behind its back (another instance, the KV API) within the bound
the README states."""

import hashlib
import re
import subprocess
import time
from pathlib import Path

import pytest

from tests.signin import mcp_initialize, token_request, tokens_for

pytestmark = pytest.mark.integration

SOURCE = Path(__file__).parent.parent / "templates" / "cloudflare" / "signin" / "token-cache.ts"
TOKEN_CACHE_SECONDS = int(re.search(r"TOKEN_CACHE_SECONDS = (\d+);", SOURCE.read_text())[1])


def works(base: str, access_token: str) -> bool:
    return mcp_initialize(base, access_token).status_code == 200


def used_twice(base: str) -> dict:
    """Tokens whose access token was just checked twice (so its record is remembered)."""
    tokens = tokens_for(base)
    assert works(base, tokens["access_token"]) and works(base, tokens["access_token"])
    return tokens


def revoke(base: str, client_id: str, token: str, hint: str):  # type: ignore[no-untyped-def]
    """RFC 7009, as a public client sends it (the provider answers at its token endpoint)."""
    return token_request(base, client_id, token=token, token_type_hint=hint)


def test_a_revoked_access_token_is_refused_at_once(variant_dev):
    base = variant_dev.url
    tokens = used_twice(base)
    intruder = tokens_for(base)["client_id"]  # another client may not revoke it (RFC 7009 2.1)
    assert revoke(base, intruder, tokens["access_token"], "access_token").status_code == 200
    assert works(base, tokens["access_token"])
    assert (
        revoke(base, tokens["client_id"], tokens["access_token"], "access_token").status_code == 200
    )
    assert not works(base, tokens["access_token"])
    # Only that token went: the grant lives on.
    refreshed = token_request(
        base, tokens["client_id"], grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )
    assert refreshed.status_code == 200 and works(base, refreshed.json()["access_token"])


def test_an_ended_grant_takes_its_remembered_tokens_with_it(variant_dev):
    base = variant_dev.url
    tokens = used_twice(base)
    other = used_twice(base)  # another sign-in stays
    assert (
        revoke(base, tokens["client_id"], tokens["refresh_token"], "refresh_token").status_code
        == 200
    )
    assert not works(base, tokens["access_token"])
    assert works(base, other["access_token"])


def test_a_record_deleted_elsewhere_is_refused_within_the_bound(variant_dev):
    """What another instance of the Worker, or the KV API, does: the record goes from KV, and
    this instance's memory of it does not outlive TOKEN_CACHE_SECONDS."""
    if variant_dev.variant != "stateless":
        pytest.skip("the same src/token-cache.ts: checked on the stateless project")
    base, project = variant_dev.url, variant_dev.project
    tokens = used_twice(base)
    remembered_at = time.monotonic()
    token = tokens["access_token"]
    user_id, grant_id, _ = token.split(":")
    key = f"token:{user_id}:{grant_id}:{hashlib.sha256(token.encode()).hexdigest()}"
    wrangler = project / "node_modules" / ".bin" / "wrangler"
    deleted = subprocess.run(
        [str(wrangler), "kv", "key", "delete", "--local", "--binding", "OAUTH_KV", key],
        cwd=project, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert deleted.returncode == 0, deleted.stderr
    if time.monotonic() - remembered_at < TOKEN_CACHE_SECONDS - 3:
        # Still remembered: the Worker did not read KV for it (else this test proves nothing).
        assert works(base, token)
    while works(base, token):
        assert time.monotonic() - remembered_at < TOKEN_CACHE_SECONDS + 2, "remembered too long"
        time.sleep(0.25)
    assert not works(base, token)  # and it stays refused
