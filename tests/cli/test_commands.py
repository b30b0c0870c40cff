"""Every API command of ``rocketlead`` against a live FakeRocketLead, in-process."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from importlib.metadata import entry_points

import pytest

from rocketlead_async import cli
from rocketlead_async.errors import RocketLeadError
from rocketlead_async.testing import Fault

from ._support import TOKEN_ENV, Runner, ThreadedFake

POPULAR = "2027-03-24T15:00:00+01:00"
POPULAR_END = "2027-03-24T16:00:00+01:00"


def slot_args(served: ThreadedFake, start: str = POPULAR, end: str = POPULAR_END) -> list[str]:
    demo = served.fake.demo
    return [
        "--calendar",
        demo.mitte_calendar_id,
        "--appointment-type",
        demo.personal_training_type_id,
        "--start",
        start,
        "--end",
        end,
    ]


def test_calendars_table_and_json(run: Runner, served: ThreadedFake) -> None:
    table = run("calendars")
    assert table.code == 0
    assert table.out.splitlines()[0].split() == ["id", "name", "time", "zone"]
    assert "Studio Mitte" in table.out
    assert served.fake.demo.mitte_calendar_id in table.out
    assert "Europe/Berlin" in table.out

    listed = run("calendars", "--json")
    assert listed.code == 0
    names = {c["name"] for c in json.loads(listed.out)}
    assert names == {"Studio Mitte", "Studio Kreuzberg"}


def test_explicit_base_url_wins_over_the_environment(
    run: Runner, served: ThreadedFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROCKETLEAD_BASE_URL", "http://127.0.0.1:9")  # nothing listens there
    assert run("calendars", "--base-url", served.url).code == 0


def test_appointment_types(run: Runner) -> None:
    table = run("appointment-types")
    assert table.code == 0
    row = next(line for line in table.out.splitlines() if "Personal Training" in line)
    assert row.split()[-2:] == ["60", "30"]

    listed = json.loads(run("appointment-types", "--json").out)
    assert {t["name"]: t["bookingLength"] for t in listed}["Trial Session"] == 30


def test_availability_shows_bookable_slots_in_local_time(run: Runner, served: ThreadedFake) -> None:
    result = run("availability", *slot_args(served, "2027-03-24T14:00:00+01:00", POPULAR_END))
    assert result.code == 0
    rows = result.out.splitlines()[2:-1]
    at_popular = [row for row in rows if row.startswith("Wed 2027-03-24 15:00  16:00")]
    # Anna's 15:00 is taken by the seeded booking; Ben's is free.
    assert len(at_popular) == 1
    assert "Ben Keller" in at_popular[0]
    assert result.out.splitlines()[-1] == f"{len(rows)} slot(s), times in Europe/Berlin"


def test_availability_all_includes_full_slots(run: Runner, served: ThreadedFake) -> None:
    result = run("availability", "--all", *slot_args(served))
    anna = next(line for line in result.out.splitlines() if "Anna Schmidt" in line)
    assert anna.split()[:6] == ["Wed", "2027-03-24", "15:00", "16:00", "Anna", "Schmidt"]
    demo = served.fake.demo
    assert anna.split()[6:9] == [demo.mitte_trainer_ids[0], "1/1", "no"]  # the id book needs

    slots = json.loads(run("availability", "--all", "--json", *slot_args(served)).out)
    assert {(s["resourceName"], s["available"]) for s in slots} == {
        ("Anna Schmidt", False),
        ("Ben Keller", True),
    }


def test_book_and_delete(run: Runner, served: ThreadedFake) -> None:
    ben = served.fake.demo.mitte_trainer_ids[1]
    booked = run("book", *slot_args(served), "--resource", ben, "--name", "CLI test")
    assert booked.code == 0
    assert booked.out.startswith("booked ")
    assert booked.out.rstrip().endswith(f": Wed 2027-03-24 15:00-16:00, resource {ben}")
    booking_id = booked.out.split()[1].rstrip(":")
    stored = served.fake.state.bookings[booking_id]
    assert (stored.resource_id, stored.name) == (ben, "CLI test")

    deleted = run("delete", booking_id)
    assert (deleted.code, deleted.out) == (0, f"deleted {booking_id}\n")
    assert booking_id not in served.fake.state.bookings


def test_book_and_delete_json(run: Runner, served: ThreadedFake) -> None:
    ben = served.fake.demo.mitte_trainer_ids[1]
    booking = json.loads(run("book", "--json", *slot_args(served), "--resource", ben).out)
    assert booking["resourceId"] == ben
    assert booking["startDateTime"].startswith("2027-03-24T14:00:00")  # 15:00 in Berlin, CET
    assert json.loads(run("delete", "--json", booking["id"]).out) == {"deleted": booking["id"]}


def test_book_a_taken_slot_is_one_line(run: Runner, served: ThreadedFake) -> None:
    anna = served.fake.demo.mitte_trainer_ids[0]
    line = run.fails("book", *slot_args(served), "--resource", anna, code=1)
    assert line.startswith("rocketlead: error: ")
    assert "no longer available" in line


def test_book_recover_books_the_nearest_free_slot(run: Runner, served: ThreadedFake) -> None:
    anna = served.fake.demo.mitte_trainer_ids[0]
    result = run("book", *slot_args(served), "--resource", anna, "--recover")
    assert result.code == 0
    # Nearest to Anna's taken 15:00 is the same hour on Ben: the output names him.
    ben = served.fake.demo.mitte_trainer_ids[1]
    assert (
        f": Wed 2027-03-24 15:00-16:00, resource {ben} (the requested slot was taken; 2 attempts)"
        in result.out
    )
    assert len(served.fake.events_named("calendar.appointment.booked")) == 1


def test_book_recover_gives_up_with_alternatives(run: Runner, served: ThreadedFake) -> None:
    demo = served.fake.demo
    taken = run("book", *slot_args(served), "--resource", demo.mitte_trainer_ids[0], "--recover")
    assert taken.code == 0
    # Every POST is answered "taken" (another caller wins each race), so recovery runs out.
    served.fake.race_next_bookings(3)
    line = run.fails(
        "book", *slot_args(served), "--resource", demo.mitte_trainer_ids[0], "--recover", code=4
    )
    assert "no booking made" in line
    assert "alternatives: 2027-03-24" in line


def test_unknown_outcome_says_the_booking_may_exist(run: Runner, served: ThreadedFake) -> None:
    served.fake.faults.add("POST /connect/calendar_bookings/", Fault.drop_after_commit())
    ben = served.fake.demo.mitte_trainer_ids[1]
    line = run.fails("book", *slot_args(served), "--resource", ben, code=3)
    assert "outcome unknown" in line
    assert "may have been created; check before trying again" in line
    assert served.fake.request_count("POST /connect/calendar_bookings/") == 1  # never repeated


def test_delete_unknown_booking_is_a_404_line(run: Runner) -> None:
    line = run.fails("delete", "no-such-booking", code=1)
    assert line.startswith("rocketlead: error: DELETE /connect/calendar_bookings/no-such-booking")
    assert "404" in line


def test_scope_error_is_one_line(
    run: Runner, served: ThreadedFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TOKEN_ENV, served.fake.tokens.write)
    booking_id = served.fake.demo.booking_ids[0]
    assert "403" in run.fails("delete", booking_id, code=1)
    assert booking_id in served.fake.state.bookings


def test_revoked_token_is_one_line(run: Runner, served: ThreadedFake) -> None:
    served.fake.revoke(served.fake.tokens.admin)
    assert "401" in run.fails("calendars", code=1)


def test_missing_token(run: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TOKEN_ENV)
    line = run.fails("calendars", code=2)
    assert line == f"rocketlead: set {TOKEN_ENV} to your API token (rocketlead_...)"


def test_malformed_token_is_not_echoed(run: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, "sk_live_do-not-print-me")
    line = run.fails("calendars", code=2)
    assert "does not start with 'rocketlead_'" in line
    assert "do-not-print-me" not in line


def test_plain_http_to_a_remote_host_is_refused(run: Runner) -> None:
    line = run.fails("calendars", "--base-url", "http://api.example.com", code=2)
    assert "must use https" in line


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--start", "2027-03-24T15:00:00"], "has no UTC offset"),
        (["--start", "tomorrow"], "not an ISO-8601 timestamp"),
        (["--timeout", "0"], "must be a number of seconds > 0"),
    ],
)
def test_bad_arguments_are_one_line(
    run: Runner, served: ThreadedFake, argv: list[str], message: str
) -> None:
    args = slot_args(served)
    for flag, value in zip(argv[::2], argv[1::2], strict=True):
        if flag in args:
            args[args.index(flag) + 1] = value
        else:
            args += [flag, value]
    line = run.fails("availability", *args, code=2)
    assert line.startswith("rocketlead availability: error: argument")
    assert message in line
    assert served.fake.request_count() == 0


def test_end_before_start_is_one_line(run: Runner, served: ThreadedFake) -> None:
    line = run.fails("book", *slot_args(served, POPULAR_END, POPULAR), "--resource", "r", code=2)
    assert "must be after start" in line
    assert served.fake.request_count() == 0


def test_usage_errors(run: Runner, served: ThreadedFake) -> None:
    assert "required: COMMAND" in run.fails(code=2)
    assert "invalid choice: 'calendar'" in run.fails("calendar", code=2)
    assert "required: --calendar" in run.fails("book", "--start", POPULAR, code=2)
    assert "required: --resource" in run.fails("book", *slot_args(served), code=2)


def test_help_and_version(run: Runner) -> None:
    helped = run("--help")
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
    version = run("--version")
    assert (version.code, version.out.split()[0]) == (0, "rocketlead-async")


def test_console_script_is_cli_main() -> None:
    (script,) = entry_points(group="console_scripts", name="rocketlead")
    assert script.load() is cli.main


def test_local_time_falls_back_to_the_given_offset() -> None:
    moment = datetime(2027, 3, 24, 14, tzinfo=timezone.utc)
    assert cli._day_time(moment, None) == "Wed 2027-03-24 14:00"
    assert cli._clock(moment + timedelta(hours=1), None) == "15:00"


def test_error_lines_never_break() -> None:
    error = RocketLeadError("POST /connect/table_entries/ -> 400: first line\nsecond  line")
    assert cli._describe(error) == "POST /connect/table_entries/ -> 400: first line second line"
