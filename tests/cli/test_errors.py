"""How ``rocketlead`` fails: one line on stderr (one JSON object under ``--json``) and a
documented exit code, for API errors, unknown outcomes, exhausted recovery, bad tokens, bad
arguments and usage mistakes; nothing is sent when the input is bad."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rocketlead_async import cli
from rocketlead_async.testing import DemoOrg, FakeRocketLead, Fault
from tests.helpers.bodies import envelope
from tests.helpers.cli import (
    POPULAR_ARG,
    POPULAR_END_ARG,
    TOKEN_ENV,
    CliRunner,
    slot_args,
    trainer,
)
from tests.helpers.clients import TOKEN
from tests.helpers.demo import ANNA, BOOKINGS
from tests.helpers.scripted import ScriptedServer

README = Path(__file__).resolve().parents[2] / "README.md"


async def json_error(run_cli: CliRunner, *argv: str, code: int) -> dict[str, Any]:
    """Run a failing command under --json: stderr is exactly one JSON object."""
    result = await run_cli(*argv)
    assert (result.code, result.out) == (code, "")
    (line,) = result.err.splitlines()
    error: dict[str, Any] = json.loads(line)["error"]
    assert error["exit_code"] == code
    return error


async def test_a_taken_slot_is_one_line(run_cli: CliRunner, demo: DemoOrg) -> None:
    line = await run_cli.fails("book", *slot_args(demo), "--resource", trainer(demo, ANNA), code=1)
    assert line.startswith("rocketlead: error: ")
    assert "no longer available" in line


async def test_api_errors_are_one_line_naming_the_status(
    run_cli: CliRunner, fake: FakeRocketLead, demo: DemoOrg, monkeypatch: pytest.MonkeyPatch
) -> None:
    line = await run_cli.fails("delete", "no-such-booking", code=1)
    assert line.startswith("rocketlead: error: DELETE /connect/calendar_bookings/no-such-booking")
    assert "404" in line

    monkeypatch.setenv(TOKEN_ENV, fake.tokens.write)  # may book, may not delete
    booking_id = demo.booking_ids[0]
    assert "403" in await run_cli.fails("delete", booking_id, code=1)
    assert booking_id in fake.state.bookings

    # (That no token shows in such output is tests/reliability/test_secrets.py's.)
    fake.revoke(fake.tokens.write)
    assert "401" in await run_cli.fails("calendars", code=1)


async def test_an_unknown_outcome_says_the_booking_may_exist(
    run_cli: CliRunner, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    fake.faults.add(BOOKINGS, Fault.drop_after_commit())
    line = await run_cli.fails("book", *slot_args(demo), "--resource", trainer(demo), code=3)
    assert "outcome unknown" in line
    assert "may have been created; check before trying again" in line
    assert fake.request_count(BOOKINGS) == 1  # never repeated


async def test_recovery_gives_up_with_alternatives(
    run_cli: CliRunner, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    # Every POST is answered "taken" (another caller wins each race), so recovery runs out.
    fake.race_next_bookings(3)
    args = ["book", *slot_args(demo), "--resource", trainer(demo, ANNA), "--recover"]
    line = await run_cli.fails(*args, code=4)
    assert "no booking made" in line
    assert "alternatives: 2027-03-24" in line


async def test_json_errors_are_one_object_with_the_exit_code(run_cli: CliRunner) -> None:
    not_found = await json_error(run_cli, "delete", "--json", "no-such-booking", code=1)
    assert not_found["type"] == "NotFoundError"
    assert (not_found["status"], not_found["method"]) == (404, "DELETE")
    usage = await json_error(run_cli, "book", "--json", "--calendar", "c", code=2)
    assert usage["type"] == "UsageError"
    assert "required" in usage["message"]
    timeout = await json_error(run_cli, "calendars", "--json", "--timeout", "0", code=2)
    assert timeout["type"] == "UsageError"


async def test_json_errors_of_unknown_outcomes_and_exhausted_recovery(
    run_cli: CliRunner, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    fake.faults.add(BOOKINGS, Fault.drop_after_commit())
    args = ["book", "--json", *slot_args(demo), "--resource", trainer(demo)]
    unknown = await json_error(run_cli, *args, code=3)
    assert unknown["type"] == "BookingOutcomeUnknown"
    assert unknown["request"]["resourceId"] == trainer(demo)
    fake.race_next_bookings(3)
    args = ["book", "--json", *slot_args(demo), "--resource", trainer(demo, ANNA), "--recover"]
    exhausted = await json_error(run_cli, *args, code=4)
    assert exhausted["reason"] == "max_attempts"
    assert exhausted["alternatives"][0]["startDateTime"].startswith("2027-03-24")


async def test_a_missing_token_names_the_variable(
    run_cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(TOKEN_ENV)
    line = await run_cli.fails("calendars", code=2)
    assert line == f"rocketlead: set {TOKEN_ENV} to your API token (rocketlead_...)"
    assert TOKEN_ENV in (await json_error(run_cli, "calendars", "--json", code=2))["message"]


async def test_a_malformed_token_is_not_echoed(
    run_cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TOKEN_ENV, "sk_live_do-not-print-me")
    line = await run_cli.fails("calendars", code=2)
    assert "does not start with 'rocketlead_'" in line
    assert "do-not-print-me" not in line


async def test_the_explicit_base_url_wins_over_the_environment(
    run_cli: CliRunner, fake: FakeRocketLead, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROCKETLEAD_BASE_URL", "http://127.0.0.1:9")  # nothing listens there
    assert (await run_cli("calendars", "--base-url", fake.url)).code == 0


async def test_plain_http_beyond_loopback_needs_the_opt_in_flag(
    run_cli: CliRunner, fake: FakeRocketLead
) -> None:
    remote = "http://api.example.com"
    assert "must use https" in await run_cli.fails("calendars", "--base-url", remote, code=2)
    # 0.0.0.0 is not loopback (Linux still connects it to this host): plain http to it needs
    # the loud opt-in, as a docker-compose service name would.
    url = fake.url.replace("127.0.0.1", "0.0.0.0")
    assert "must use https" in await run_cli.fails("calendars", "--base-url", url, code=2)
    assert (await run_cli("calendars", "--base-url", url, "--allow-insecure-http")).code == 0


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--start", "2027-03-24T15:00:00", "has no UTC offset"),
        ("--start", "tomorrow", "not an ISO-8601 timestamp"),
        ("--timeout", "0", "must be a number of seconds > 0"),
    ],
)
async def test_bad_arguments_are_one_line_and_send_nothing(
    run_cli: CliRunner, fake: FakeRocketLead, demo: DemoOrg, flag: str, value: str, message: str
) -> None:
    args = slot_args(demo)
    if flag in args:
        args[args.index(flag) + 1] = value
    else:
        args += [flag, value]
    line = await run_cli.fails("availability", *args, code=2)
    assert line.startswith("rocketlead availability: error: argument")
    assert message in line
    assert fake.request_count() == 0


async def test_an_end_before_the_start_is_one_line(
    run_cli: CliRunner, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    args = slot_args(demo, POPULAR_END_ARG, POPULAR_ARG)
    line = await run_cli.fails("book", *args, "--resource", "r", code=2)
    assert "must be after start" in line
    assert fake.request_count() == 0


async def test_usage_errors(run_cli: CliRunner, demo: DemoOrg) -> None:
    assert "required: COMMAND" in await run_cli.fails(code=2)
    assert "invalid choice: 'calendar'" in await run_cli.fails("calendar", code=2)
    assert "required: --calendar" in await run_cli.fails("book", "--start", POPULAR_ARG, code=2)
    assert "required: --resource" in await run_cli.fails("book", *slot_args(demo), code=2)
    near = ["--near", POPULAR_ARG]
    assert "--near: not allowed with argument --start" in await run_cli.fails(
        "book", *slot_args(demo), *near, code=2
    )
    assert "one of the arguments --start --near" in await run_cli.fails(
        "book", "--calendar", "c", "--appointment-type", "t", code=2
    )
    field = ["leads", "create", "--table", "t", "--field", "x"]
    assert "NAME=VALUE" in await run_cli.fails(*field, code=2)


async def test_help_lists_every_command_and_version_names_the_package(
    run_cli: CliRunner,
) -> None:
    helped = await run_cli("--help")
    assert helped.code == 0
    for name in (
        "calendars",
        "appointment-types",
        "availability",
        "book",
        "delete",
        "fake-server",
        "demo",
        "resources",
        "tables",
        "leads",
    ):
        assert name in helped.out
    version = await run_cli("--version")
    assert (version.code, version.out.split()[0]) == (0, "rocketlead-async")


def test_exit_codes_are_documented_in_the_module_and_readme() -> None:
    readme = README.read_text()
    doc = cli.__doc__ or ""
    for code in (cli.EXIT_API, cli.EXIT_USAGE, cli.EXIT_UNKNOWN, cli.EXIT_NOT_BOOKED):
        assert f"- {code}: " in doc
        assert f"| {code} |" in readme


async def test_a_multi_line_server_message_is_still_one_line(
    server: ScriptedServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    server.post("/connect/table_entries/", status=400, payload=envelope(400, "first\nsecond  line"))
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    argv = ["leads", "create", "--table", "t", "--lead-state", "s", "--field", "a=b"]
    line = await CliRunner(capsys, [TOKEN]).fails(*argv, "--base-url", server.url, code=1)
    assert line.endswith("400: first second line")
