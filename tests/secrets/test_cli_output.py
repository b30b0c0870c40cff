"""The ``rocketlead`` command shows no token: not on stdout, stderr (plain or ``--json``), nor in
the log records it leaves at DEBUG, for answers, errors and a revoked token alike."""

from __future__ import annotations

import asyncio

import pytest

from rocketlead_async import cli
from rocketlead_async.testing import FakeRocketLead
from tests.helpers.secrets import assert_no_secret, log_text


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
