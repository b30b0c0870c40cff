"""The client: configuration, session ownership, derived clients."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aioresponses import aioresponses

import rocketlead_async as rl

from ._support import SECRET, TOKEN, FakeClock, Loopback, booking_request, calls, only_call, url

MakeClient = Callable[..., rl.RocketLeadClient]


def sdk_session(client: rl.RocketLeadClient) -> aiohttp.ClientSession | None:
    return client._transport._session


def test_client_can_be_built_outside_a_running_loop(mocked: aioresponses) -> None:
    client = rl.RocketLeadClient(TOKEN)
    assert sdk_session(client) is None  # nothing made yet: no loop to make it in

    async def use() -> list[rl.Calendar]:
        async with client:
            return await client.calendars.list()

    mocked.get(url("/connect/calendar/"), payload=[{"id": "cal_berlin"}])
    assert [c.id for c in asyncio.run(use())] == ["cal_berlin"]
    session = sdk_session(client)
    assert session is not None
    assert session.closed


async def test_async_with_closes_the_sdk_session(mocked: aioresponses) -> None:
    mocked.get(url("/connect/calendar/"), payload=[], repeat=True)
    async with rl.RocketLeadClient(TOKEN) as client:
        await client.calendars.list()
        session = sdk_session(client)
        assert session is not None
        assert not session.closed

    assert session.closed
    with pytest.raises(RuntimeError, match="closed"):
        await client.calendars.list()
    await client.aclose()  # idempotent


async def test_closing_an_unused_client_is_fine() -> None:
    async with rl.RocketLeadClient(TOKEN) as client:
        pass
    assert sdk_session(client) is None


async def test_user_session_is_used_and_left_open(
    loopback: Callable[..., Awaitable[Loopback]],
) -> None:
    async def handler(_request: web.Request) -> web.StreamResponse:
        return web.json_response([{"id": "cal_berlin"}])

    server = await loopback(handler)
    started: list[str] = []

    async def on_start(_s: Any, _ctx: SimpleNamespace, params: Any) -> None:
        started.append(str(params.url))

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_start)
    async with aiohttp.ClientSession(trace_configs=[trace]) as session:
        async with rl.RocketLeadClient(TOKEN, base_url=server.url, session=session) as client:
            await client.calendars.list()
        assert not session.closed  # ours, not the client's
        assert started == [server.url + "/connect/calendar/"]
        # Still usable after the client is gone.
        async with session.get(server.url + "/connect/calendar/") as response:
            assert response.status == 200


async def test_with_options_shares_the_session_and_does_not_close_it(
    mocked: aioresponses, make_client: MakeClient, clock: FakeClock
) -> None:
    hooked: list[rl.OutcomeUnknownError] = []
    client = make_client(on_outcome_unknown=hooked.append)
    mocked.get(url("/connect/calendar/"), payload=[], repeat=True)
    await client.calendars.list()
    session = sdk_session(client)

    async with client.with_options(timeout=2.5, retry=rl.NO_RETRY) as derived:
        assert derived.timeout == 2.5
        assert derived.retry is rl.NO_RETRY
        await derived.calendars.list()
        assert sdk_session(derived) is session
    assert session is not None
    assert not session.closed
    await client.calendars.list()  # the original still works

    limits = [kwargs["timeout"].total for _, _, kwargs in calls(mocked)]
    assert limits == [10.0, 2.5, 10.0]
    assert client.timeout == 10.0
    assert client.retry == rl.RetryPolicy()

    # The derived policy applies to its calls only; the hook is shared.
    mocked.get(url("/connect/calendar/x"), status=503, body="", repeat=True)
    mocked.post(url("/connect/calendar_bookings/"), status=504, body="")
    derived = client.with_options(retry=rl.NO_RETRY)
    with pytest.raises(rl.InternalServerError):
        await derived.calendars.get("x")
    assert len(mocked.requests[("GET", url("/connect/calendar/x"))]) == 1
    with pytest.raises(rl.InternalServerError):
        await client.calendars.get("x")
    assert len(mocked.requests[("GET", url("/connect/calendar/x"))]) == 4
    with pytest.raises(rl.BookingOutcomeUnknown):
        await derived.bookings.create(booking_request())
    assert len(hooked) == 1


async def test_token_from_environment(
    mocked: aioresponses, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_token = "rocketlead_live_" + "e" * 64
    monkeypatch.setenv("ROCKETLEAD_API_TOKEN", env_token)
    mocked.get(url("/connect/calendar/"), payload=[], repeat=True)

    async with rl.RocketLeadClient() as client:
        await client.calendars.list()
    assert only_call(mocked)[2]["headers"]["Authorization"] == f"Bearer {env_token}"

    mocked.requests.clear()
    async with rl.RocketLeadClient(TOKEN) as explicit:  # an explicit token wins
        await explicit.calendars.list()
    assert only_call(mocked)[2]["headers"]["Authorization"] == f"Bearer {TOKEN}"


def test_missing_token_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ROCKETLEAD_API_TOKEN", raising=False)
    with pytest.raises(ValueError, match="ROCKETLEAD_API_TOKEN"):
        rl.RocketLeadClient()


@pytest.mark.parametrize(
    "token",
    [
        "live_" + SECRET,
        "Bearer rocketlead_live_" + SECRET,
        "ROCKETLEAD_live_" + SECRET,
        "rocketlead_live_" + SECRET + "\n" + SECRET,
    ],
)
def test_malformed_token_is_refused_without_echoing_it(token: str) -> None:
    with pytest.raises(ValueError) as info:  # noqa: PT011 - the reason varies
        rl.RocketLeadClient(token)
    rendered = str(info.value) + repr(info.value)
    assert SECRET not in rendered
    assert SECRET[:12] not in rendered


def test_env_token_with_bad_prefix_is_refused_without_echoing_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ROCKETLEAD_API_TOKEN", "sk_live_" + SECRET)
    with pytest.raises(ValueError, match="rocketlead_") as info:
        rl.RocketLeadClient()
    assert SECRET not in str(info.value)


def test_token_must_be_a_string() -> None:
    with pytest.raises(TypeError):
        rl.RocketLeadClient(b"rocketlead_live_x")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "base_url",
    [
        "http://api.rocketlead.io",
        "http://10.0.0.5:8080",
        "http://127.0.0.1.evil.example",
        "ftp://api.rocketlead.io",
        "api.rocketlead.io",
        "/connect",
        "https://user:pw@api.rocketlead.io",
        "https://api.rocketlead.io/?x=1",
    ],
)
def test_unsafe_base_urls_are_refused(base_url: str) -> None:
    with pytest.raises(ValueError, match="base_url"):
        rl.RocketLeadClient(TOKEN, base_url=base_url)


@pytest.mark.parametrize(
    ("base_url", "normalized"),
    [
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://localhost:1234/", "http://localhost:1234"),
        ("http://[::1]:9000", "http://[::1]:9000"),
        ("https://api.rocketlead.io/", "https://api.rocketlead.io"),
        ("https://proxy.example.com/rocketlead", "https://proxy.example.com/rocketlead"),
    ],
)
def test_https_and_loopback_http_base_urls_are_accepted(base_url: str, normalized: str) -> None:
    assert rl.RocketLeadClient(TOKEN, base_url=base_url).base_url == normalized


def test_default_base_url() -> None:
    assert rl.RocketLeadClient(TOKEN).base_url == rl.DEFAULT_BASE_URL == "https://api.rocketlead.io"


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"timeout": 0}, ValueError),
        ({"timeout": -1}, ValueError),
        ({"timeout": math.nan}, ValueError),
        ({"timeout": True}, ValueError),
        ({"max_connections": 0}, ValueError),
        ({"max_response_bytes": 1.5}, ValueError),
        ({"retry": 3}, TypeError),
        ({"session": object()}, TypeError),
    ],
)
def test_bad_configuration_is_refused(kwargs: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        rl.RocketLeadClient(TOKEN, **kwargs)


async def test_bad_per_call_timeout_is_refused_before_sending(
    mocked: aioresponses, client: rl.RocketLeadClient
) -> None:
    with pytest.raises(ValueError, match="timeout"):
        await client.calendars.list(timeout=0)
    with pytest.raises(ValueError, match="timeout"):
        client.with_options(timeout=-5)
    assert calls(mocked) == []


# -- aiohttp's silent retry ---------------------------------------------------------------------


async def test_aiohttp_still_has_the_retry_connection_switch() -> None:
    """The SDK turns off aiohttp's silent GET/DELETE resend through a private attribute; if
    aiohttp renames it, setting it does nothing and this must fail."""
    async with aiohttp.ClientSession() as session:
        assert hasattr(session, "_retry_connection")
        assert session._retry_connection is True


async def test_sdk_session_turns_off_aiohttp_retry(
    mocked: aioresponses, client: rl.RocketLeadClient
) -> None:
    mocked.get(url("/connect/calendar/"), payload=[])
    await client.calendars.list()
    session = sdk_session(client)
    assert session is not None
    assert session._retry_connection is False


async def test_sdk_counts_every_request_aiohttp_would_resend_silently(
    loopback: Callable[..., Awaitable[Loopback]],
) -> None:
    """A server that drops every GET: the SDK's own session sends exactly one request under
    NO_RETRY; a default aiohttp session (as a user might pass) sends a hidden second one."""

    async def drop(request: web.Request) -> web.StreamResponse:
        assert request.transport is not None
        request.transport.close()
        await asyncio.sleep(0)
        return web.Response()

    server = await loopback(drop)
    async with rl.RocketLeadClient(TOKEN, base_url=server.url, retry=rl.NO_RETRY) as client:
        with pytest.raises(rl.APIConnectionError):
            await client.calendars.list()
    assert len(server.seen) == 1

    server.seen.clear()
    async with aiohttp.ClientSession() as session:
        user = rl.RocketLeadClient(TOKEN, base_url=server.url, retry=rl.NO_RETRY, session=session)
        with pytest.raises(rl.APIConnectionError):
            await user.calendars.list()
    assert len(server.seen) == 2  # the caveat the README documents for user sessions


async def test_repr_shows_config_only(make_client: MakeClient) -> None:
    client = make_client(timeout=7.5)
    assert repr(client) == "RocketLeadClient(base_url='https://api.rocketlead.io', timeout=7.5)"
