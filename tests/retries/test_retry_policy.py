"""The retry policy itself: its settings, its backoff curve, how ``Retry-After`` is read, which
failures are safe to repeat, and that a call needing no retry never enters the retry loop."""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Any

import pytest

import rocketlead_async as rl
from rocketlead_async._retry import is_retryable, may_have_committed, parse_retry_after
from tests.helpers.bodies import envelope
from tests.helpers.clients import MakeClient
from tests.helpers.retries import CALENDARS
from tests.helpers.scripted import ScriptedServer


def test_retry_policy_defaults_and_validation() -> None:
    policy = rl.RetryPolicy()
    assert (policy.max_attempts, policy.initial_backoff, policy.max_backoff) == (3, 0.25, 4.0)
    assert rl.NO_RETRY.max_attempts == 1
    for bad in (
        {"max_attempts": 0},
        {"max_attempts": True},
        {"initial_backoff": -1},
        {"max_backoff": math.inf},
        {"jitter": 1.5},
        {"retry_after_cap": math.nan},
        {"attempt_timeout": 0},
    ):
        with pytest.raises(ValueError, match="RetryPolicy"):
            rl.RetryPolicy(**bad)


@pytest.mark.parametrize("retry", [3, "fast", {"max_attempts": 1}])
async def test_a_retry_that_is_not_a_policy_is_refused_before_sending(
    server: ScriptedServer, client: rl.RocketLeadClient, retry: Any
) -> None:
    with pytest.raises(TypeError, match="retry must be a RetryPolicy"):
        await client.calendars.list(retry=retry)
    with pytest.raises(TypeError, match="retry must be a RetryPolicy"):
        client.with_options(retry=retry)
    assert server.requests == []


def test_backoff_grows_caps_and_jitters_down() -> None:
    policy = rl.RetryPolicy(initial_backoff=0.25, max_backoff=4.0, jitter=0.5)
    assert [policy.backoff(n, rng=lambda: 0.0) for n in range(1, 8)] == [
        0.25,
        0.5,
        1.0,
        2.0,
        4.0,
        4.0,
        4.0,
    ]
    assert policy.backoff(3, rng=lambda: 1.0) == 0.5  # half of 1.0 drawn at random
    full = rl.RetryPolicy(jitter=1.0)
    assert full.backoff(1, rng=lambda: 1.0) == 0.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3", 3.0),
        (" 2.5 ", 2.5),
        ("0", 0.0),
        ("-5", 0.0),
        ("Wed, 21 Oct 2015 07:28:30 GMT", 30.0),
        ("Wed, 21 Oct 2015 07:27:00 GMT", 0.0),  # in the past
        ("soon", None),
        ("", None),
        (None, None),
        ("inf", None),
        ("nan", None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    now = datetime(2015, 10, 21, 7, 28, tzinfo=timezone.utc).timestamp()
    assert parse_retry_after(value, now=lambda: now) == expected


def test_safety_predicates() -> None:
    def conn(sent: bool | None) -> rl.APIConnectionError:
        return rl.APIConnectionError("x", method="POST", path="/p", request_sent=sent)

    def status(code: int) -> rl.APIStatusError:
        return rl.APIStatusError("x", status=code, method="POST", path="/p")

    assert is_retryable("POST", conn(False))
    assert not is_retryable("POST", conn(None))
    assert not is_retryable("POST", conn(True))
    assert is_retryable("GET", conn(True))
    assert [
        c for c in (400, 404, 409, 429, 500, 502, 503, 504) if is_retryable("POST", status(c))
    ] == [429]  # a bare 503 may come from a proxy that forwarded the POST
    assert [c for c in (400, 404, 429, 500, 502, 503, 504) if is_retryable("PATCH", status(c))] == [
        429,
        500,
        502,
        503,
        504,
    ]
    assert not is_retryable("GET", ValueError())
    assert may_have_committed(conn(None))
    assert not may_have_committed(conn(False))
    assert [
        c for c in (200, 201, 400, 429, 500, 502, 503, 504) if may_have_committed(status(c))
    ] == [
        200,
        201,
        502,
        503,  # without the API's envelope or a Retry-After: a proxy may have forwarded it
        504,
    ]


@pytest.mark.parametrize(
    ("status", "payload", "policy"),
    [
        (200, [], rl.RetryPolicy()),
        (400, envelope(400, "bad"), rl.RetryPolicy()),
        (503, envelope(503, "busy"), rl.NO_RETRY),
    ],
)
async def test_calls_that_need_no_retry_never_enter_tenacity(
    server: ScriptedServer,
    make_client: MakeClient,
    monkeypatch: pytest.MonkeyPatch,
    status: int,
    payload: Any,
    policy: rl.RetryPolicy,
) -> None:
    async def forbidden(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("entered the retry loop")

    # The SDK's retry loop, replaced so entering it fails the test: the fast path (one attempt,
    # no tenacity) is what keeps a healthy call cheap.
    monkeypatch.setattr("rocketlead_async._transport.retry_after_failure", forbidden)
    client = make_client(base_url=server.url, retry=policy)
    server.get(CALENDARS, status=status, payload=payload)

    if status == 200:
        assert await client.calendars.list() == []
    else:
        with pytest.raises(rl.APIStatusError):
            await client.calendars.list()
    assert len(server.requests) == 1
