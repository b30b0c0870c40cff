"""The client's configuration as given in code: base URLs, timeouts and policies, default
headers, with_options() built through the constructor. (Refusals of bad values, with the
field named and no token shown, are tests/secrets/test_bad_input.py.)"""

from __future__ import annotations

import inspect
import logging

import pytest

import rocketlead_async as rl
from tests.helpers.clients import SECRET, TOKEN
from tests.helpers.scripted import ScriptedServer


@pytest.mark.parametrize(
    ("base_url", "normalized"),
    [
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://127.9.8.7:1", "http://127.9.8.7:1"),  # all of 127/8 is loopback
        ("http://localhost:1234/", "http://localhost:1234"),
        ("http://LOCALHOST:1", "http://localhost:1"),
        ("http://[::1]:9000", "http://[::1]:9000"),
        ("http://[::1]", "http://[::1]"),
        ("https://api.rocketlead.io/", "https://api.rocketlead.io"),
        ("https://x.example", "https://x.example"),
        ("https://proxy.example.com/rocketlead", "https://proxy.example.com/rocketlead"),
    ],
)
def test_https_and_loopback_http_base_urls_are_accepted(base_url: str, normalized: str) -> None:
    """The counterpart of the base-URL refusals: they are not blanket ones."""
    assert rl.RocketLeadClient(TOKEN, base_url=base_url).base_url == normalized


def test_default_base_url() -> None:
    assert rl.RocketLeadClient(TOKEN).base_url == rl.DEFAULT_BASE_URL == "https://api.rocketlead.io"


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


async def test_with_options_builds_the_copy_through_the_constructor() -> None:
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


async def test_default_headers_go_with_every_request_and_cannot_replace_the_token(
    server: ScriptedServer,
) -> None:
    server.get("/connect/calendar/", payload=[])
    async with rl.RocketLeadClient(
        TOKEN, base_url=server.url, default_headers={"X-Call-Id": "c-1", "User-Agent": "agent/2"}
    ) as client:
        await client.calendars.list()
    seen = server.only
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


def test_with_options_carries_every_other_constructor_option() -> None:
    """A copy for another endpoint is built anew: every option not given to with_options()
    comes from the original (a new constructor option fails here until it is carried)."""
    hook = print
    client = rl.RocketLeadClient(TOKEN, on_outcome_unknown=hook, on_late_outcome=hook)
    constructor = set(inspect.signature(rl.RocketLeadClient).parameters) - {"_parent"}
    # timeout and retry are the copy's own (with_options defaults them to the original's).
    assert set(client._options) == constructor - {"timeout", "retry"}
    copy = client.with_options(base_url="https://staging.example")
    assert copy._options == {**client._options, "base_url": "https://staging.example"}
    assert copy._transport.reporter.on_late_outcome is hook
