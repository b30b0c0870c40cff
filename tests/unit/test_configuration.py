"""Configuration as users of other SDKs expect it: environment, with_options(), http, logs."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Awaitable, Callable

import pytest
from aiohttp import web

import rocketlead_async as rl
from rocketlead_async import _logs

from ._support import SECRET, TOKEN, Loopback

OTHER_TOKEN = "rocketlead_live_" + "f" * 64
LoopbackFactory = Callable[..., Awaitable[Loopback]]


async def _ok(_request: web.Request) -> web.StreamResponse:
    return web.json_response([{"id": "cal_berlin"}])


# -- ROCKETLEAD_BASE_URL -------------------------------------------------------------------------


async def test_base_url_comes_from_the_environment_like_the_token(
    monkeypatch: pytest.MonkeyPatch, loopback: LoopbackFactory
) -> None:
    server = await loopback(_ok)
    monkeypatch.setenv("ROCKETLEAD_BASE_URL", server.url + "/")
    monkeypatch.setenv("ROCKETLEAD_API_TOKEN", TOKEN)
    async with rl.RocketLeadClient() as client:
        assert client.base_url == server.url
        assert [c.id for c in await client.calendars.list()] == ["cal_berlin"]
    assert len(server.seen) == 1
    # An explicit base_url wins over the environment.
    assert rl.RocketLeadClient(base_url="https://staging.example").base_url == (
        "https://staging.example"
    )


def test_a_bad_base_url_in_the_environment_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ROCKETLEAD_BASE_URL", "http://staging.example")
    with pytest.raises(ValueError, match="base_url"):
        rl.RocketLeadClient(TOKEN)


# -- plain http: loopback, and the explicit opt-in ------------------------------------------------


@pytest.mark.parametrize(
    "base_url",
    ["http://anything.localhost", "http://api.localhost:8080", "http://localhost.evil.example"],
)
def test_localhost_subdomains_are_not_loopback(base_url: str) -> None:
    with pytest.raises(ValueError, match="must use https"):
        rl.RocketLeadClient(TOKEN, base_url=base_url)


@pytest.mark.parametrize(
    "base_url", ["http://127.0.0.1:1", "http://127.9.8.7:1", "http://LOCALHOST:1", "http://[::1]"]
)
def test_loopback_is_127_slash_8_ipv6_one_and_localhost(base_url: str) -> None:
    assert rl.RocketLeadClient(TOKEN, base_url=base_url).base_url.startswith("http://")


def test_plain_http_to_a_test_host_needs_the_loud_opt_in(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with pytest.raises(ValueError, match="allow_insecure_http"):
        rl.RocketLeadClient(TOKEN, base_url="http://fake:8787")
    with caplog.at_level(logging.WARNING, logger="rocketlead_async"):
        client = rl.RocketLeadClient(TOKEN, base_url="http://fake:8787", allow_insecure_http=True)
    assert client.base_url == "http://fake:8787"
    assert "travels unencrypted" in caplog.text
    assert SECRET not in caplog.text
    with pytest.raises(ValueError, match="base_url"):  # other schemes stay refused
        rl.RocketLeadClient(TOKEN, base_url="ftp://fake:21", allow_insecure_http=True)


def test_the_opt_in_can_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROCKETLEAD_ALLOW_INSECURE_HTTP", "1")
    monkeypatch.setenv("ROCKETLEAD_BASE_URL", "http://0.0.0.0:8787")
    assert rl.RocketLeadClient(TOKEN).base_url == "http://0.0.0.0:8787"
    with pytest.raises(ValueError, match="must use https"):  # the argument wins
        rl.RocketLeadClient(TOKEN, allow_insecure_http=False)


# -- with_options ---------------------------------------------------------------------------------


async def test_with_options_builds_the_copy_through_the_constructor(
    loopback: LoopbackFactory,
) -> None:
    async with rl.RocketLeadClient(TOKEN, base_url="https://api.rocketlead.io") as client:
        with pytest.raises(ValueError, match="base_url"):
            client.with_options(base_url="http://staging.example")
        with pytest.raises(ValueError, match="rocketlead_"):
            client.with_options(token="sk-not-ours")
        with pytest.raises(ValueError, match="Authorization"):
            client.with_options(default_headers={"Authorization": "Bearer x"})
        with pytest.raises(ValueError, match="timeout"):
            client.with_options(timeout=0)
        copy = client.with_options(timeout=3)
        assert isinstance(copy, rl.RocketLeadClient)
        assert copy.timeout == 3
        assert copy.base_url == client.base_url


async def test_with_options_to_another_endpoint_and_token_shares_the_pool(
    loopback: LoopbackFactory,
) -> None:
    first, second = await loopback(_ok), await loopback(_ok)
    async with rl.RocketLeadClient(TOKEN, base_url=first.url) as client:
        await client.calendars.list()
        async with client.with_options(
            base_url=second.url, token=OTHER_TOKEN, default_headers={"X-Agent": "7"}
        ) as other:
            assert other.base_url == second.url
            await other.calendars.list()
            assert other._transport is not client._transport
            assert other._transport.session() is client._transport.session()
            assert other.seat_claims is not client.seat_claims  # another identity
        # Closing the copy left the original and its pool working.
        assert not client._transport.session().closed
        await client.calendars.list()
        same = client.with_options(timeout=1.0)
        assert same._transport is client._transport  # only defaults changed: shared
    assert [s.headers["Authorization"] for s in first.seen] == [f"Bearer {TOKEN}"] * 2
    (seen,) = second.seen
    assert seen.headers["Authorization"] == f"Bearer {OTHER_TOKEN}"
    assert seen.headers["X-Agent"] == "7"
    assert "X-Agent" not in first.seen[0].headers


async def test_default_headers_go_with_every_request_and_cannot_replace_the_token(
    loopback: LoopbackFactory,
) -> None:
    server = await loopback(_ok)
    async with rl.RocketLeadClient(
        TOKEN, base_url=server.url, default_headers={"X-Call-Id": "c-1", "User-Agent": "agent/2"}
    ) as client:
        await client.calendars.list()
    (seen,) = server.seen
    assert seen.headers["X-Call-Id"] == "c-1"
    assert seen.headers["User-Agent"] == "agent/2"
    assert seen.headers["Authorization"] == f"Bearer {TOKEN}"
    for bad, error in (
        ({"content-type": "text/plain"}, ValueError),
        ({"X-A": "a\r\nInjected: 1"}, ValueError),
        ({"X-A": 1}, TypeError),
        (["X-A"], TypeError),
    ):
        with pytest.raises(error, match="default_headers"):
            rl.RocketLeadClient(TOKEN, default_headers=bad)  # type: ignore[arg-type]


# -- ROCKETLEAD_LOG -------------------------------------------------------------------------------


@pytest.fixture
def sdk_logger() -> logging.Logger:
    logger = logging.getLogger("rocketlead_async")
    handlers, level = list(logger.handlers), logger.level
    logger.handlers.clear()
    yield logger  # type: ignore[misc]
    logger.handlers[:] = handlers
    logger.setLevel(level)


@pytest.mark.parametrize(("value", "level"), [("debug", logging.DEBUG), ("INFO", logging.INFO)])
def test_rocketlead_log_turns_on_the_sdk_logger(
    sdk_logger: logging.Logger, value: str, level: int
) -> None:
    handler = _logs.setup_from_env({"ROCKETLEAD_LOG": value})
    assert handler is not None
    assert sdk_logger.handlers == [handler]
    assert sdk_logger.getEffectiveLevel() == level
    # An application that configured the logger itself keeps its configuration.
    assert _logs.setup_from_env({"ROCKETLEAD_LOG": value}) is None
    assert sdk_logger.handlers == [handler]


def test_rocketlead_log_unset_or_unknown_changes_nothing(sdk_logger: logging.Logger) -> None:
    assert _logs.setup_from_env({}) is None
    assert _logs.setup_from_env({"ROCKETLEAD_LOG": "verbose"}) is None
    assert sdk_logger.handlers == []


def test_rocketlead_log_is_read_when_the_package_is_imported() -> None:
    code = (
        "import logging, rocketlead_async;"
        "l = logging.getLogger('rocketlead_async');"
        "print(l.getEffectiveLevel(), len(l.handlers))"
    )
    run = subprocess.run(
        [sys.executable, "-c", code],
        env={"ROCKETLEAD_LOG": "debug", "PATH": ""},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert run.stdout.split() == [str(logging.DEBUG), "1"]


def test_timeout_and_retry_are_validated_when_set() -> None:
    client = rl.RocketLeadClient(TOKEN)
    client.timeout = 2.5
    client.retry = rl.NO_RETRY
    assert (client.timeout, client.retry) == (2.5, rl.NO_RETRY)
    for bad in (0, -1, float("nan"), "10"):
        with pytest.raises((TypeError, ValueError), match="timeout"):
            client.timeout = bad  # type: ignore[assignment]
    with pytest.raises(TypeError, match="RetryPolicy"):
        client.retry = 3  # type: ignore[assignment]
    assert (client.timeout, client.retry) == (2.5, rl.NO_RETRY)
