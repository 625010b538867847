"""Issue: concurrent refreshes don't sign the user out, and a reused refresh token ends its
grant (RFC 9700 §4.14.2), while a forged or lost one is only refused."""

import threading

import httpx2
import pytest

from tests.signin import mcp_initialize, register_client, token_request, tokens_for

pytestmark = pytest.mark.integration

REPLAY_AFTER = 60  # REPLAY_AFTER_SECONDS in the template's src/token-reuse.ts
ROUNDS = 20  # bench/bench_refresh.py runs 50


def refresh(base: str, client_id: str, token: str) -> httpx2.Response:
    return token_request(base, client_id, grant_type="refresh_token", refresh_token=token)


def at_once(send, count: int) -> list[httpx2.Response]:  # type: ignore[no-untyped-def]
    """`send()` from `count` threads released together."""
    barrier = threading.Barrier(count)
    answers: list[httpx2.Response] = []

    def run() -> None:
        barrier.wait()
        answers.append(send())

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(answers) == count
    return answers


def refresh_as(base: str, client_id: str, token: str, **credentials: str) -> httpx2.Response:
    return token_request(
        base, client_id, grant_type="refresh_token", refresh_token=token, **credentials
    )


def works(base: str, access_token: str) -> bool:
    return mcp_initialize(base, access_token).status_code == 200


@pytest.mark.parametrize("parallel", [10, 20])
def test_parallel_refreshes_never_sign_the_user_out(variant_dev, parallel):
    """`parallel` refreshes of one refresh token at once, round after round: every one gets
    the same answer (one refresh happened), and it works, so no client kept a losing answer
    whose refresh token the next refresh refuses. The upstream (the local stand-in, like
    Cloudflare) rotates refresh tokens too."""
    base = variant_dev.url
    tokens = tokens_for(base)
    client_id, current = tokens["client_id"], tokens["refresh_token"]
    for round_ in range(ROUNDS):
        answers = at_once(lambda token=current: refresh(base, client_id, token), parallel)
        assert {a.status_code for a in answers} == {200}, (round_, [a.text for a in answers])
        issued = {(a.json()["access_token"], a.json()["refresh_token"]) for a in answers}
        assert len(issued) == 1, (round_, len(issued))
        access, current = issued.pop()
        assert works(base, access), round_
    assert "Ending grant" not in variant_dev.log()


def test_another_client_gets_no_shared_answer(variant_dev):
    """Within the minute a refresh's answer is kept for retries, the same refresh token
    presented by another client, or with no client at all, is refused like any other."""
    base = variant_dev.url
    owner = tokens_for(base)
    answer = refresh(base, owner["client_id"], owner["refresh_token"])
    assert answer.status_code == 200
    stranger = register_client(base)["client_id"]

    by_stranger = refresh(base, stranger, owner["refresh_token"])
    form = {"grant_type": "refresh_token", "refresh_token": owner["refresh_token"]}
    anonymous = httpx2.post(f"{base}/token", data=form)

    assert by_stranger.status_code == 400 and by_stranger.json()["error"] == "invalid_grant"
    assert "access_token" not in by_stranger.text
    assert anonymous.status_code == 401 and anonymous.json()["error"] == "invalid_client"
    assert answer.json()["access_token"] not in anonymous.text
    assert works(base, answer.json()["access_token"])  # refused, and the owner is still in
    retried = refresh(base, owner["client_id"], owner["refresh_token"])
    assert retried.json()["refresh_token"] == answer.json()["refresh_token"]


def test_a_confidential_clients_shared_answer_needs_its_secret(variant_dev):
    base = variant_dev.url
    client = register_client(base, auth_method="client_secret_post")
    tokens = tokens_for(base, client=client)
    client_id, secret, token = client["client_id"], client["client_secret"], tokens["refresh_token"]
    answer = refresh_as(base, client_id, token, client_secret=secret)
    assert answer.status_code == 200, answer.text

    no_secret = refresh(base, client_id, token)
    wrong_secret = refresh_as(base, client_id, token, client_secret=secret[:-2] + "xx")
    as_basic = httpx2.post(
        f"{base}/token",
        data={"grant_type": "refresh_token", "refresh_token": token},
        auth=(client_id, secret),
    )

    for refused in (no_secret, wrong_secret):
        assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
        assert answer.json()["access_token"] not in refused.text
    # The same client with the same secret, sent the other standard way, is the same client.
    assert as_basic.status_code == 200, as_basic.text
    assert as_basic.json()["refresh_token"] == answer.json()["refresh_token"]
    assert works(base, answer.json()["access_token"])


def test_a_superseded_refresh_token_presented_again_ends_the_grant(variant_dev):
    base = variant_dev.url
    first = tokens_for(base)
    client_id = first["client_id"]
    second = refresh(base, client_id, first["refresh_token"]).json()
    third = refresh(base, client_id, second["refresh_token"]).json()
    assert works(base, third["access_token"])

    reused = refresh(base, client_id, first["refresh_token"])  # stolen, replayed late

    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    assert "x-refresh-token-superseded" not in reused.headers  # an internal mark, removed
    assert not works(base, third["access_token"])  # the current tokens went with the grant
    assert refresh(base, client_id, third["refresh_token"]).status_code == 400
    assert "a superseded refresh token was presented again" in variant_dev.log()


def test_a_forged_refresh_token_is_only_refused(variant_dev):
    base = variant_dev.url
    tokens = tokens_for(base)
    user_id, grant_id, _ = tokens["refresh_token"].split(":")
    forged = refresh(base, tokens["client_id"], f"{user_id}:{grant_id}:not-a-real-secret")
    assert forged.status_code == 400
    assert works(base, tokens["access_token"])  # nobody can end someone's grant by guessing
    assert refresh(base, tokens["client_id"], tokens["refresh_token"]).status_code == 200


def test_a_retry_within_a_minute_gets_the_same_answer(variant_dev):
    """A client that lost the answer to its refresh retries with the same token: it gets that
    answer again, so the tokens it never saw are the ones that stay valid."""
    base = variant_dev.url
    tokens = tokens_for(base)
    first = refresh(base, tokens["client_id"], tokens["refresh_token"])
    retried = refresh(base, tokens["client_id"], tokens["refresh_token"])
    assert first.status_code == retried.status_code == 200
    assert retried.json()["access_token"] == first.json()["access_token"]
    assert retried.json()["refresh_token"] == first.json()["refresh_token"]
    assert works(base, retried.json()["access_token"])
    assert refresh(base, tokens["client_id"], first.json()["refresh_token"]).status_code == 200
