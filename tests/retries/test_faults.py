"""Every endpoint times every fault: the typed error, the requests sent, what the server kept.

Over loopback against FakeRocketLead's fault plans, which count every request that reaches the
fake, so "retried" and "never repeated" are asserted on what arrived, not on what the SDK
believes it sent. ``FAULTS`` is the table: for each fault, the typed outcome, the number of
attempts and the effect on the fake's state expected for each kind of endpoint (GET, DELETE,
PATCH, POST). Every case also checks the ``on_outcome_unknown`` hook (called exactly once, with
the raised error, exactly when the outcome is unknown), that a POST that may have committed was
never repeated (the fake holds at most one record per call), that a held answer is never waited
for past the budget, and that the token appears nowhere: not in the error, its whole
cause/context chain rendered with locals, nor in DEBUG logs.

(The same rules, fault by fault on a scripted server with every transport failure injected on
cue, are the retry matrix in test_retry_matrix.py; this one proves them for every endpoint
against the fake's faults, real sockets and real time.)
"""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections.abc import Callable, Mapping
from typing import Any

import attrs
import pytest

import rocketlead_async as rl
from rocketlead_async.testing import FakeRocketLead, Fault
from tests.helpers.clients import MakeClient
from tests.helpers.clock import FakeClock
from tests.helpers.endpoints import ENDPOINTS, Endpoint, Kind
from tests.helpers.recorders import Unknowns, until
from tests.helpers.secrets import assert_no_secret, log_text, render_error

UNKNOWN = "outcome unknown"  # the endpoint's OutcomeUnknownError class (bookings: Booking…)
MAX_BYTES = 64 * 1024  # the matrix clients' max_response_bytes
LATE = 2.0  # seconds a latency fault holds the answer (the client never waits it out)
# The call budget and the attempt timeout: well below LATE, yet with room for connecting,
# sending and (after an attempt timeout) the retry's ordinary answer on a loaded 2-core CI
# machine (at 0.03 s the healthy retry itself timed out there).
BUDGET = 0.25
ATTEMPT_TIMEOUT = 0.25

ISE = rl.InternalServerError
DX = rl.DeadlineExceeded
RLE = rl.RateLimitError
URE = rl.UnexpectedResponseError


@attrs.frozen
class Expect:
    """``error``: the exact class raised (None: success; UNKNOWN: the endpoint's unknown-outcome
    class). ``attempts``: requests the SDK made. ``effect``: how often the write shows in the
    fake (None for reads). ``reached``: requests the fake saw, if not ``attempts``."""

    error: type[BaseException] | str | None
    attempts: int
    effect: int | None = None
    reached: int | None = None


@attrs.frozen
class FaultCase:
    name: str
    arm: Callable[[FakeRocketLead, str], object] | None
    expect: Mapping[Kind, Expect]
    client: Mapping[str, Any] = attrs.field(factory=dict)
    sleeps_ok: Callable[[list[float]], bool] | None = None
    holds: bool = False  # the fake holds an answer for LATE: the call must end long before


def _plan(fault: Fault, times: int | None = 1) -> Callable[[FakeRocketLead, str], object]:
    return lambda fake, route: fake.faults.add(route, fault, times=times)


def _retried(attempts: int, post: Expect, reached: int | None = None) -> dict[Kind, Expect]:
    """GET/DELETE/PATCH recover on attempt ``attempts``; the POST does as ``post`` says."""
    return {
        "read": Expect(None, attempts, reached=reached),
        "delete": Expect(None, attempts, 1, reached),
        "patch": Expect(None, attempts, 1, reached),
        "post": post,
    }


def _all(
    error: type[BaseException], attempts: int, post: Expect, effect: int = 0
) -> dict[Kind, Expect]:
    return {
        "read": Expect(error, attempts),
        "delete": Expect(error, attempts, effect),
        "patch": Expect(error, attempts, effect),
        "post": post,
    }


def _bad_2xx(delete: Expect, effect: int = 1) -> dict[Kind, Expect]:
    """A 2xx whose body is not the model: reads fail typed, at once (a 2xx is not retried);
    the POST's record may exist, so its outcome is unknown."""
    return {
        "read": Expect(URE, 1),
        "delete": delete,
        "patch": Expect(URE, 1, effect),
        "post": Expect(UNKNOWN, 1, effect),
    }


def _http_date(seconds_from_now: float) -> str:
    return email.utils.formatdate(time.time() + seconds_from_now, usegmt=True)


def _backoff(delays: list[float]) -> bool:
    return len(delays) == 1 and 0.125 <= delays[0] <= 0.25  # 0.25 s, half jitter


FAULTS: tuple[FaultCase, ...] = (
    # -- bursts of 5xx: two failures, then the real answer ------------------------------------
    FaultCase("500 x2", _plan(Fault.status(500), 2), _retried(3, Expect(ISE, 1, 0))),
    FaultCase("502 x2", _plan(Fault.status(502), 2), _retried(3, Expect(UNKNOWN, 1, 0))),
    FaultCase("503 x2", _plan(Fault.status(503), 2), _retried(3, Expect(None, 3, 1))),
    FaultCase("504 x2", _plan(Fault.status(504), 2), _retried(3, Expect(UNKNOWN, 1, 0))),
    # -- and 5xx that never end: attempts stop at max_attempts (3) -----------------------------
    FaultCase("500 always", _plan(Fault.status(500), None), _all(ISE, 3, Expect(ISE, 1, 0))),
    FaultCase("502 always", _plan(Fault.status(502), None), _all(ISE, 3, Expect(UNKNOWN, 1, 0))),
    FaultCase("503 always", _plan(Fault.status(503), None), _all(ISE, 3, Expect(ISE, 3, 0))),
    FaultCase("504 always", _plan(Fault.status(504), None), _all(ISE, 3, Expect(UNKNOWN, 1, 0))),
    # -- 429: safe to repeat for every method; Retry-After honoured, or refused over budget ----
    FaultCase(
        "429 no Retry-After",
        _plan(Fault.status(429)),
        _retried(2, Expect(None, 2, 1)),
        sleeps_ok=_backoff,
    ),
    FaultCase(
        "429 Retry-After 1s",
        _plan(Fault.status(429, retry_after=1)),
        _retried(2, Expect(None, 2, 1)),
        sleeps_ok=lambda delays: delays == [1.0],
    ),
    FaultCase(
        "429 Retry-After HTTP-date",
        lambda fake, route: fake.faults.add(route, Fault.status(429, retry_after=_http_date(2))),
        _retried(2, Expect(None, 2, 1)),
        sleeps_ok=lambda delays: len(delays) == 1 and 0.0 <= delays[0] <= 2.0,
    ),
    FaultCase(
        "429 Retry-After beyond budget",
        _plan(Fault.status(429, retry_after=60)),
        _all(RLE, 1, Expect(RLE, 1, 0)),
    ),
    FaultCase("429 always", _plan(Fault.status(429), None), _all(RLE, 3, Expect(RLE, 3, 0))),
    FaultCase(
        "503 Retry-After 2s",
        _plan(Fault.status(503, retry_after=2)),
        _retried(2, Expect(None, 2, 1)),
        sleeps_ok=lambda delays: delays == [2.0],
    ),
    # -- latency -----------------------------------------------------------------------------
    FaultCase(
        "latency beyond the call budget",
        _plan(Fault.latency(LATE, commit=True)),
        _all(DX, 1, Expect(UNKNOWN, 1, 1), effect=1),
        client={"timeout": BUDGET},
        holds=True,
    ),
    FaultCase(
        "latency beyond the attempt timeout",
        _plan(Fault.latency(LATE, commit=True)),
        # The DELETE's first attempt deleted; the retry's 404 then counts as deleted.
        _retried(2, Expect(UNKNOWN, 1, 1)),
        client={"retry": rl.RetryPolicy(attempt_timeout=ATTEMPT_TIMEOUT)},
        holds=True,
    ),
    # -- dropped connections -----------------------------------------------------------------
    FaultCase(
        # Nothing listens when the first attempt connects; the backoff sleep brings the fake
        # back on the same port. Nothing was sent, so even the POST is repeated.
        "refused before the request",
        None,
        _retried(2, Expect(None, 2, 1, reached=1), reached=1),
    ),
    FaultCase(
        "dropped after the request, before processing",
        _plan(Fault.drop_before()),
        _retried(2, Expect(UNKNOWN, 1, 0)),
    ),
    FaultCase(
        "dropped after the commit",
        _plan(Fault.drop_after_commit()),
        _retried(2, Expect(UNKNOWN, 1, 1)),
    ),
    # -- bodies that are not the documented JSON -----------------------------------------------
    FaultCase("HTML 502 page", _plan(Fault.html(502)), _retried(2, Expect(UNKNOWN, 1, 0))),
    FaultCase(
        "HTML 200 page after the commit",
        _plan(Fault.html(200, commit=True)),
        # A 2xx DELETE has deleted, whatever page came with it.
        _bad_2xx(delete=Expect(None, 1, 1)),
    ),
    FaultCase("empty 502", _plan(Fault.empty(502)), _retried(2, Expect(UNKNOWN, 1, 0))),
    FaultCase(
        "empty 200 after the commit",
        _plan(Fault.empty(200, commit=True)),
        _bad_2xx(delete=Expect(None, 1, 1)),
    ),
    FaultCase(
        "truncated JSON",
        _plan(Fault.truncated()),
        _bad_2xx(delete=Expect(None, 1, 1)),
    ),
    FaultCase(
        "truncated mid-stream",
        _plan(Fault.truncated(mid_stream=True)),
        # The connection closes halfway: a connection error, retried where that is safe.
        {
            "read": Expect(None, 2),
            # The DELETE's 204 announces a body that never comes: retried, then 404 = deleted.
            "delete": Expect(None, 2, 1),
            "patch": Expect(None, 2, 1),
            "post": Expect(UNKNOWN, 1, 1),
        },
    ),
    FaultCase(
        "200 with the wrong shape",
        _plan(Fault.wrong_shape()),
        _bad_2xx(delete=Expect(None, 1, 1)),
    ),
    FaultCase(
        "200 with a JSON null",
        _plan(Fault.wrong_shape(None)),
        _bad_2xx(delete=Expect(None, 1, 1)),
    ),
    FaultCase(
        "huge body (Content-Length)",
        _plan(Fault.huge(4 * MAX_BYTES)),
        _bad_2xx(delete=Expect(URE, 1, 0), effect=0),
    ),
    FaultCase(
        "huge body (chunked)",
        _plan(Fault.huge(4 * MAX_BYTES, content_length=False)),
        _bad_2xx(delete=Expect(URE, 1, 0), effect=0),
    ),
)

MATRIX = [
    pytest.param(endpoint, case, id=f"{endpoint.name}-{case.name}")
    for case in FAULTS
    for endpoint in ENDPOINTS
]


def test_the_matrix_is_complete() -> None:
    """The totals are countable: every fault has an expectation for every kind of endpoint."""
    kinds = {endpoint.kind for endpoint in ENDPOINTS}
    assert kinds == {"read", "delete", "patch", "post"}
    for case in FAULTS:
        assert set(case.expect) == kinds, case.name
    assert len({case.name for case in FAULTS}) == len(FAULTS) == 29
    assert len(ENDPOINTS) == 17
    assert len(MATRIX) == 29 * 17 == 493


async def _stop_until_first_backoff(fake: FakeRocketLead, clock: FakeClock) -> None:
    port = int(fake.url.rsplit(":", 1)[1])
    await fake.stop()

    async def restart(_delay: float) -> None:
        if len(clock.sleeps) == 1:
            await fake.start("127.0.0.1", port)

    clock.then = restart


async def _warm_up(client: rl.RocketLeadClient, fake: FakeRocketLead) -> None:
    """Two kept-alive connections (one for a held attempt, one for its retry), opened with
    time to spare: on a loaded machine connecting alone can take a good part of the budget."""
    roomy = client.with_options(timeout=10, retry=rl.NO_RETRY)  # shares the client's pool
    await asyncio.gather(roomy.calendars.list(), roomy.calendars.list())
    fake.requests.clear()


@pytest.mark.parametrize(("endpoint", "case"), MATRIX)
async def test_fault(
    endpoint: Endpoint,
    case: FaultCase,
    fake: FakeRocketLead,
    make_wall_client: MakeClient,
    clock: FakeClock,
    unknowns: Unknowns,
    debug_logs: pytest.LogCaptureFixture,
) -> None:
    expect = case.expect[endpoint.kind]
    tag = f"reliability {endpoint.name} / {case.name}"
    before = endpoint.effect(fake, tag) if endpoint.effect else 0
    assert before == 0
    client = make_wall_client(max_response_bytes=MAX_BYTES, **case.client)
    url = fake.url
    if case.holds:
        await _warm_up(client, fake)
    if case.arm is None:
        await _stop_until_first_backoff(fake, clock)
    else:
        case.arm(fake, endpoint.route)

    error: Exception | None = None
    result: Any = None
    started = time.monotonic()
    try:
        result = await endpoint.call(client, fake, tag)
    except Exception as exc:
        error = exc
    took = time.monotonic() - started
    rendered = render_error(error) if error is not None else repr(result)

    # The typed outcome.
    wanted = endpoint.unknown_error if expect.error == UNKNOWN else expect.error
    if wanted is None:
        assert error is None, rendered
    else:
        assert type(error) is wanted, rendered
        assert isinstance(error, rl.RocketLeadError)
    if case.holds:
        assert took < LATE, f"waited {took:.2f} s for an answer held past the budget"

    # The number of attempts: each retry waits once, and the fake counts what reached it.
    assert len(clock.sleeps) + 1 == expect.attempts, clock.sleeps
    reached = expect.attempts if expect.reached is None else expect.reached
    assert fake.request_count(endpoint.route) == reached
    assert fake.request_count() == reached  # nothing else was sent
    if case.sleeps_ok is not None:
        assert case.sleeps_ok(clock.sleeps), clock.sleeps
    if isinstance(error, rl.RateLimitError) and case.name.endswith("beyond budget"):
        assert error.retry_after == 60.0

    # An unknown outcome is reported exactly once, with the request and what went wrong;
    # nothing else is.
    if expect.error == UNKNOWN:
        assert isinstance(error, rl.OutcomeUnknownError)
        assert unknowns == [error]
        assert error.request is not None
        assert (error.method, error.path) == ("POST", endpoint.path)
        cause = error.__cause__
        assert isinstance(cause, rl.RocketLeadError), rendered
        if isinstance(cause, rl.APIStatusError):
            assert error.status == cause.status
        else:
            assert error.status is None
            assert type(cause).__name__ in error.reason
    else:
        assert unknowns == []

    # The fake's state: the write happened as often as expected, a POST at most once.
    effect = endpoint.effect
    if effect is not None:
        assert expect.effect is not None
        if expect.effect:
            await until(lambda: effect(fake, tag) >= 1, what="the committed write")
        assert effect(fake, tag) == expect.effect, "duplicate or missing write"

    # The token leaks nowhere.
    assert_no_secret(fake.tokens.admin, [rendered, log_text(debug_logs.records)], case.name)
    assert fake.url == url  # (a restarted fake is back on its port)
