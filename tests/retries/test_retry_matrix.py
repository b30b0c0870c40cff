"""What is retried, per HTTP method and failure: idempotent calls are repeated after any
transient failure; a POST only when it certainly did not commit, else it is an unknown
outcome, sent once and reported once."""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp import web
from aioresponses import aioresponses

import rocketlead_async as rl
from tests.helpers.clients import MakeClient
from tests.helpers.clock import FakeClock
from tests.helpers.fixtures.core import StartServer
from tests.helpers.handlers import drop_after_send, hang
from tests.helpers.intercept import intercepted
from tests.helpers.recorders import Unknowns
from tests.helpers.retries import LEAD, POST_TARGETS, REQUEST, TARGETS, TRANSPORT, fail
from tests.helpers.scripted import ScriptedServer

FAILURES = [*TRANSPORT, "429", "500", "502", "503", "504", "400", "404"]

RETRIED = "retried"
ONCE = "once"
UNKNOWN = "unknown"
IDEMPOTENT_RESULT: dict[str, tuple[str, type[Exception]]] = {
    "refused": (RETRIED, rl.APIConnectionError),
    "connect-timeout": (RETRIED, rl.APITimeoutError),
    "read-timeout": (RETRIED, rl.APITimeoutError),
    "disconnect": (RETRIED, rl.APIConnectionError),
    "429": (RETRIED, rl.RateLimitError),
    "500": (RETRIED, rl.InternalServerError),
    "502": (RETRIED, rl.InternalServerError),
    "503": (RETRIED, rl.InternalServerError),
    "504": (RETRIED, rl.InternalServerError),
    "400": (ONCE, rl.BadRequestError),
    "404": (ONCE, rl.NotFoundError),
}
POST_RESULT: dict[str, tuple[str, type[Exception]]] = {
    "refused": (RETRIED, rl.APIConnectionError),
    "connect-timeout": (RETRIED, rl.APITimeoutError),
    "read-timeout": (UNKNOWN, rl.APITimeoutError),
    "disconnect": (UNKNOWN, rl.APIConnectionError),
    "429": (RETRIED, rl.RateLimitError),
    "500": (ONCE, rl.InternalServerError),
    "502": (UNKNOWN, rl.InternalServerError),
    "503": (RETRIED, rl.InternalServerError),  # with the API's envelope: the API refused it
    "504": (UNKNOWN, rl.InternalServerError),
    "400": (ONCE, rl.BadRequestError),
    "404": (ONCE, rl.NotFoundError),
}
# Injected transport failures happen before a POST's body went out: nothing can have
# committed, and the POST is repeated. The same failures after the body was written leave the
# outcome unknown (POST_RESULT); those rows run on a real socket:
# test_retry_matrix_post_failing_after_send.
AFTER_SEND = ["read-timeout", "disconnect"]
POST_BEFORE_BODY_RESULT: dict[str, tuple[str, type[Exception]]] = {
    **POST_RESULT,
    "read-timeout": (RETRIED, rl.APITimeoutError),
    "disconnect": (RETRIED, rl.APIConnectionError),
}


@pytest.mark.parametrize("kind", FAILURES)
@pytest.mark.parametrize("target", list(TARGETS))
async def test_retry_matrix(
    server: ScriptedServer,
    intercept: aioresponses,
    make_client: MakeClient,
    clock: FakeClock,
    unknowns: Unknowns,
    target: str,
    kind: str,
) -> None:
    # attempt_timeout lets a read timeout leave budget for another attempt.
    client = make_client(
        base_url=server.url, retry=rl.RetryPolicy(max_attempts=3, attempt_timeout=1.0)
    )
    method, path, call, _ = TARGETS[target]
    fail(server, intercept, clock, method, path, kind, repeat=True)
    expected, cause = (POST_BEFORE_BODY_RESULT if method == "POST" else IDEMPOTENT_RESULT)[kind]

    with pytest.raises(rl.RocketLeadError) as info:
        await call(client)

    sent = len(intercepted(intercept))  # every request, intercepted or passed through
    assert len(clock.sleeps) == sent - 1
    if expected == RETRIED:
        assert sent == 3
        assert type(info.value) is cause
    elif expected == ONCE:
        assert sent == 1
        assert type(info.value) is cause
    else:
        assert sent == 1, "a POST that may have committed is never sent again"
        unknown_cls = (
            rl.BookingOutcomeUnknown if target == "POST booking" else rl.OutcomeUnknownError
        )
        assert type(info.value) is unknown_cls
        assert info.value.request is (REQUEST if target == "POST booking" else LEAD)
        assert (info.value.method, info.value.path) == ("POST", path)
        assert type(info.value.__cause__) is cause
        assert unknowns == [info.value]
        return
    assert unknowns == []
    if isinstance(info.value, rl.APIConnectionError) and method == "POST":
        assert info.value.request_sent is False  # only never-connected POSTs are repeated


@pytest.mark.parametrize(
    ("target", "first"),
    [
        ("GET", "503"),
        ("GET", "disconnect"),
        ("DELETE", "504"),
        ("PATCH", "502"),
        ("PATCH", "read-timeout"),
        ("POST booking", "refused"),
        ("POST booking", "429"),
        ("POST booking", "503"),
        ("POST lead", "connect-timeout"),
    ],
)
async def test_retried_call_then_succeeds(
    server: ScriptedServer,
    intercept: aioresponses,
    make_client: MakeClient,
    clock: FakeClock,
    unknowns: Unknowns,
    target: str,
    first: str,
) -> None:
    client = make_client(base_url=server.url, retry=rl.RetryPolicy(attempt_timeout=1.0))
    method, path, call, payload = TARGETS[target]
    fail(server, intercept, clock, method, path, first)
    server.add(method, path, status=204 if payload is None else 200, payload=payload)

    result = await call(client)

    assert len(intercepted(intercept)) == 2
    assert len(server.requests) == (1 if first in TRANSPORT else 2)
    assert len(clock.sleeps) == 1
    assert unknowns == []
    if payload is None:
        assert result is None
    else:
        assert result.id == payload["id"]


# -- on a real socket: what aiohttp really does ---------------------------------------------


async def test_dropped_connection_after_send_get_is_retried(
    loopback: StartServer, make_client: MakeClient
) -> None:
    server = await loopback(drop_after_send)
    client = make_client(base_url=server.url)

    with pytest.raises(rl.APIConnectionError) as info:
        await client.calendars.list()

    assert len(server.requests) == 3
    # A GET has no body whose write could be observed: the SDK does not claim to know.
    assert info.value.request_sent is None


async def answer_gets_hang_the_rest(request: web.Request) -> web.StreamResponse:
    if request.method == "GET":
        return web.json_response([])
    return await hang(request)


@pytest.mark.parametrize("kind", AFTER_SEND)
@pytest.mark.parametrize("target", POST_TARGETS)
async def test_retry_matrix_post_failing_after_send(
    loopback: StartServer,
    make_client: MakeClient,
    clock: FakeClock,
    unknowns: Unknowns,
    sdk_or_user_session: aiohttp.ClientSession | None,
    target: str,
    kind: str,
) -> None:
    """The retry matrix's POST rows for a read timeout and a dropped connection, on a real
    socket: the server read the whole request, then hung or hung up. The POST may have
    committed, so it is an unknown outcome, sent once and reported once."""
    server = await loopback(
        answer_gets_hang_the_rest if kind == "read-timeout" else drop_after_send
    )
    client = make_client(
        base_url=server.url,
        session=sdk_or_user_session,
        retry=rl.RetryPolicy(max_attempts=3, attempt_timeout=0.05 if kind == "read-timeout" else 5),
    )
    _, path, call, _ = TARGETS[target]
    expected, cause = POST_RESULT[kind]
    assert expected == UNKNOWN
    if kind == "read-timeout":
        # A first call opens the connection, so the short attempt timeout is all spent
        # waiting for the answer, not on connecting (which a loaded machine can make slow).
        assert await client.with_options(retry=rl.NO_RETRY).calendars.list() == []
        del server.requests[:]

    with pytest.raises(rl.OutcomeUnknownError) as info:
        await call(client)

    seen = server.only  # a POST that may have committed is never sent again
    assert (seen.method, seen.raw_path) == ("POST", path)
    assert seen.body, "the body reached the server"
    assert clock.sleeps == []
    unknown_cls = rl.BookingOutcomeUnknown if target == "POST booking" else rl.OutcomeUnknownError
    assert type(info.value) is unknown_cls
    assert info.value.request is (REQUEST if target == "POST booking" else LEAD)
    assert (info.value.method, info.value.path) == ("POST", path)
    assert type(info.value.__cause__) is cause
    assert isinstance(info.value.__cause__, rl.APIConnectionError)
    assert info.value.__cause__.request_sent is True  # its body was written
    assert unknowns == [info.value]


async def test_refused_connection_post_is_retried_as_never_sent(
    make_client: MakeClient,
    clock: FakeClock,
    unknowns: Unknowns,
    closed_port: int,
    sdk_or_user_session: aiohttp.ClientSession | None,
) -> None:
    client = make_client(base_url=f"http://127.0.0.1:{closed_port}", session=sdk_or_user_session)

    with pytest.raises(rl.APIConnectionError) as info:
        await client.bookings.create(REQUEST)

    assert type(info.value) is rl.APIConnectionError
    assert info.value.request_sent is False
    assert len(clock.sleeps) == 2  # three attempts
    assert unknowns == []
