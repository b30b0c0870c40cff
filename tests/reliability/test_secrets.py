"""The token never shows: not in repr/str, exception messages, tracebacks rendered with every
frame's locals (the whole cause/context chain), logs at DEBUG (the SDK's, aiohttp's, asyncio's),
nor in the CLI's output. Every check greps for the token and for pieces of its secret part.

(The fault matrix in test_faults.py runs the same error and log checks for every fault.)
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

import rocketlead_async as rl
from rocketlead_async import cli
from rocketlead_async.testing import FakeRocketLead, Fault

from ._support import (
    Hook,
    assert_no_secret,
    booking_request,
    log_text,
    render_error,
)
from .conftest import MakeClient

# A token of the documented form that no fake knows (for errors before any request).
OTHER_TOKEN = "rocketlead_live_" + "9f8e7d6c5b4a3928" * 4
MALFORMED = OTHER_TOKEN.removeprefix("rocketlead_")  # the secret, without the prefix


async def _error_of(call: Callable[[], Awaitable[Any]]) -> BaseException:
    """The exception ``call()`` raises. Only ``call`` (a closure) is local here, so this frame
    of the traceback holds no token of its own."""
    try:
        await call()
    except BaseException as exc:
        return exc
    raise AssertionError("no error")


def _sync_error_of(call: Callable[[], Any]) -> BaseException:
    try:
        call()
    except BaseException as exc:
        return exc
    raise AssertionError("no error")


async def test_repr_and_str_of_everything_a_user_holds(
    fake: FakeRocketLead, make_client: MakeClient
) -> None:
    client = make_client()
    await client.calendars.list()  # the session exists now
    derived = client.with_options(timeout=3)
    transport = client._transport
    shown = [
        repr(client),
        str(client),
        repr(derived),
        repr(vars(client)),
        repr(vars(derived)),
        repr(transport),
        repr(vars(transport)),
        repr(transport._headers),
        repr(transport._json_headers),
        repr(client.bookings),
        repr(client.retry),
        repr(transport.session()),
        repr(transport.session().headers),
    ]
    assert_no_secret(fake.tokens.admin, shown, "a repr")


async def test_status_errors_rendered_with_locals(
    fake: FakeRocketLead, make_client: MakeClient, debug_logs: pytest.LogCaptureFixture
) -> None:
    """401 (revoked), 403 (scope), 404, 400, slot taken, 429, unknown outcome, refused
    connection, deadline, recovery exhausted."""
    admin, read = make_client(), make_client(token=fake.tokens.read)
    revoked = make_client(token=fake.issue_token("admin"))
    fake.revoke(revoked._transport._headers["Authorization"].split(" ")[1])
    errors = [
        await _error_of(lambda: revoked.calendars.list()),
        await _error_of(lambda: read.bookings.create(booking_request(fake, "x"))),
        await _error_of(lambda: admin.bookings.delete("no-such-booking")),
        await _error_of(lambda: admin.calendars.get("no-such-calendar")),
        await _error_of(
            lambda: admin.bookings.create(
                booking_request(
                    fake,
                    "x",
                    start=fake.demo.popular_start,
                    end=fake.demo.popular_end,
                    resource_id=fake.demo.mitte_trainer_ids[0],
                )
            )
        ),
    ]
    fake.race_next_bookings(1)
    errors.append(await _error_of(lambda: admin.bookings.create(booking_request(fake, "x"))))
    fake.faults.add("GET /connect/calendar/", Fault.status(429, retry_after=60))
    errors.append(await _error_of(lambda: admin.calendars.list()))
    fake.faults.add("POST /connect/calendar_bookings/", Fault.drop_after_commit())
    errors.append(await _error_of(lambda: admin.bookings.create(booking_request(fake, "y"))))
    fake.faults.add("GET /connect/tables/", Fault.latency(0.1))
    errors.append(await _error_of(lambda: admin.tables.list(timeout=0.02)))
    fake.race_next_bookings(10)
    errors.append(await _error_of(lambda: admin.bookings.book(booking_request(fake, "z"))))
    kinds = [type(error) for error in errors]
    assert kinds == [
        rl.AuthenticationError,
        rl.PermissionDeniedError,
        rl.NotFoundError,
        rl.NotFoundError,
        rl.SlotUnavailableError,
        rl.SlotUnavailableError,
        rl.RateLimitError,
        rl.BookingOutcomeUnknown,
        rl.DeadlineExceeded,
        rl.SlotRecoveryExhausted,
    ]
    for token in (fake.tokens.admin, fake.tokens.read):
        assert_no_secret(token, [render_error(e) for e in errors], "an error")
        assert_no_secret(token, [log_text(debug_logs.records)], "the logs")


async def test_refused_connection_rendered_with_locals(
    make_client: MakeClient, debug_logs: pytest.LogCaptureFixture
) -> None:
    fake = FakeRocketLead()  # never started: nothing listens on its port
    client = make_client(token=fake.tokens.admin, base_url="http://127.0.0.1:9")
    for call in (
        lambda: client.calendars.list(),
        lambda: client.bookings.create(booking_request(fake, "x")),
    ):
        error = await _error_of(call)
        assert isinstance(error, rl.APIConnectionError)
        assert_no_secret(fake.tokens.admin, [render_error(error)], "an error")
    assert_no_secret(fake.tokens.admin, [log_text(debug_logs.records)], "the logs")


@pytest.mark.parametrize(
    "build",
    [
        pytest.param({"base_url": "http://api.rocketlead.io"}, id="http base URL"),
        pytest.param({"timeout": 0}, id="timeout 0"),
        pytest.param({"max_connections": 0}, id="max_connections 0"),
        pytest.param({"retry": 3}, id="retry not a policy"),
        pytest.param({"session": "not a session"}, id="session not a session"),
    ],
)
def test_construction_errors_with_a_valid_token_rendered_with_locals(
    build: dict[str, Any],
) -> None:
    """A misconfigured client: the constructor raises with the token among its arguments.
    Rendered with locals (as ``pytest --showlocals`` would), the traceback must not show it."""
    error = _sync_error_of(lambda: rl.RocketLeadClient(OTHER_TOKEN, **build))
    assert isinstance(error, (ValueError, TypeError))
    assert_no_secret(OTHER_TOKEN, [render_error(error)], "a constructor traceback")


def test_a_malformed_token_is_not_shown_either() -> None:
    """A token without the prefix is refused, and its secret is not printed in the refusal,
    locals included."""
    error = _sync_error_of(lambda: rl.RocketLeadClient(MALFORMED))
    assert isinstance(error, ValueError)
    assert_no_secret(OTHER_TOKEN, [render_error(error)], "a constructor traceback")


async def test_unknown_outcome_reported_through_the_hook_shows_no_token(
    fake: FakeRocketLead, make_client: MakeClient, hook: Hook
) -> None:
    fake.faults.add("POST /connect/calendar_bookings/", Fault.html(502))
    error = await _error_of(lambda: make_client().bookings.create(booking_request(fake, "x")))
    assert hook.calls == [error]
    assert_no_secret(fake.tokens.admin, [render_error(error), repr(error.request)], "an error")


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        pytest.param(["delete", "no-such-booking"], 1, id="delete an unknown id"),
        pytest.param(["delete", "no-such-booking", "--json"], 1, id="delete --json"),
        pytest.param(["delete", "a/b"], 2, id="delete a bad id"),  # refused before any I/O
        pytest.param(["calendars"], 0, id="calendars"),
        pytest.param(["appointment-types", "--json"], 0, id="appointment-types --json"),
    ],
)
async def test_cli_output_shows_no_token(
    argv: list[str],
    code: int,
    fake: FakeRocketLead,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    debug_logs: pytest.LogCaptureFixture,
) -> None:
    """``rocketlead`` runs its own event loop, so it runs in a thread while this loop serves
    the fake."""
    monkeypatch.setenv("ROCKETLEAD_API_TOKEN", fake.tokens.admin)
    exit_code = await asyncio.to_thread(cli.main, [*argv, "--base-url", fake.url])
    out, err = capsys.readouterr()
    assert exit_code == code, (out, err)
    if code:
        assert err.startswith('{"error": ' if "--json" in argv else "rocketlead: error:")
        assert ("404" in err) == ("no-such-booking" in argv)
        assert fake.request_count() == ("no-such-booking" in argv)
    else:
        assert out
    assert_no_secret(fake.tokens.admin, [out, err, log_text(debug_logs.records)], "CLI output")


async def test_cli_with_a_revoked_token_shows_no_token(
    fake: FakeRocketLead,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    debug_logs: pytest.LogCaptureFixture,
) -> None:
    token = fake.issue_token("admin")
    fake.revoke(token)
    monkeypatch.setenv("ROCKETLEAD_API_TOKEN", token)
    code = await asyncio.to_thread(cli.main, ["calendars", "--base-url", fake.url])
    out, err = capsys.readouterr()
    assert code == 1
    assert "401" in err
    assert_no_secret(token, [out, err, log_text(debug_logs.records)], "CLI output")
    del token


def test_debug_logging_of_the_sdk_logger_is_exercised(caplog: pytest.LogCaptureFixture) -> None:
    """The log checks above are meaningful: the SDK does log at DEBUG/INFO/WARNING."""
    caplog.set_level(logging.DEBUG, logger="rocketlead_async")
    logging.getLogger("rocketlead_async").debug("probe")
    assert [r.getMessage() for r in caplog.records] == ["probe"]
