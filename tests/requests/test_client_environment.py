"""Configuration from the environment, as users of other SDKs expect it: the token, the base
URL, the plain-http opt-in and the SDK's log level; an explicit argument always wins."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Iterator

import pytest

import rocketlead_async as rl
from rocketlead_async import _logs
from tests.helpers.clients import SECRET, TOKEN
from tests.helpers.scripted import ScriptedServer

ENV_TOKEN = "rocketlead_live_" + "e" * 64


async def test_token_and_base_url_come_from_the_environment(
    server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.get("/connect/calendar/", payload=[{"id": "cal_berlin"}], repeat=True)
    monkeypatch.setenv("ROCKETLEAD_API_TOKEN", ENV_TOKEN)
    monkeypatch.setenv("ROCKETLEAD_BASE_URL", server.url + "/")

    async with rl.RocketLeadClient() as client:
        assert client.base_url == server.url
        assert [c.id for c in await client.calendars.list()] == ["cal_berlin"]
    assert server.only.headers["Authorization"] == f"Bearer {ENV_TOKEN}"

    server.requests.clear()
    async with rl.RocketLeadClient(TOKEN) as explicit:  # an explicit token wins
        await explicit.calendars.list()
    assert server.only.headers["Authorization"] == f"Bearer {TOKEN}"
    # An explicit base_url wins too.
    staging = rl.RocketLeadClient(base_url="https://staging.example")
    assert staging.base_url == "https://staging.example"


def test_missing_token_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ROCKETLEAD_API_TOKEN", raising=False)
    with pytest.raises(ValueError, match="ROCKETLEAD_API_TOKEN"):
        rl.RocketLeadClient()


@pytest.mark.parametrize("value", ["sk_live_" + SECRET, SECRET])
def test_env_token_with_bad_prefix_is_refused_without_echoing_it(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("ROCKETLEAD_API_TOKEN", value)
    with pytest.raises(ValueError, match="rocketlead_") as info:
        rl.RocketLeadClient()
    assert SECRET not in str(info.value)
    assert SECRET[:12] not in repr(info.value)


def test_a_bad_base_url_in_the_environment_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ROCKETLEAD_BASE_URL", "http://staging.example")
    with pytest.raises(ValueError, match="base_url"):
        rl.RocketLeadClient(TOKEN)


def test_the_plain_http_opt_in_can_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ROCKETLEAD_ALLOW_INSECURE_HTTP", "1")
    monkeypatch.setenv("ROCKETLEAD_BASE_URL", "http://0.0.0.0:8787")
    assert rl.RocketLeadClient(TOKEN).base_url == "http://0.0.0.0:8787"
    with pytest.raises(ValueError, match="must use https"):  # the argument wins
        rl.RocketLeadClient(TOKEN, allow_insecure_http=False)


# -- ROCKETLEAD_LOG ---------------------------------------------------------------------------
# The variable is read once, when the package is imported; the tests in this process call the
# SDK's private reader with an environment of their own, the last one imports it afresh.


@pytest.fixture
def sdk_logger() -> Iterator[logging.Logger]:
    logger = logging.getLogger("rocketlead_async")
    handlers, level = list(logger.handlers), logger.level
    logger.handlers.clear()
    yield logger
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
