"""What each API command of ``rocketlead`` prints (tables and ``--json``) and does to the data,
against FakeRocketLead, in-process."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from rocketlead_async import cli
from rocketlead_async.testing import DemoOrg, FakeRocketLead
from tests.helpers.cli import POPULAR_END_ARG, CliRunner, slot_args, trainer
from tests.helpers.demo import ANNA, BOOKINGS


async def test_calendars_table_and_json(run_cli: CliRunner, demo: DemoOrg) -> None:
    table = await run_cli("calendars")
    assert table.code == 0
    assert table.out.splitlines()[0].split() == ["id", "name", "time", "zone"]
    assert "Studio Mitte" in table.out
    assert demo.mitte_calendar_id in table.out
    assert "Europe/Berlin" in table.out

    listed = await run_cli("calendars", "--json")
    assert listed.code == 0
    names = {c["name"] for c in json.loads(listed.out)}
    assert names == {"Studio Mitte", "Studio Kreuzberg"}


async def test_appointment_types(run_cli: CliRunner) -> None:
    table = await run_cli("appointment-types")
    assert table.code == 0
    row = next(line for line in table.out.splitlines() if "Personal Training" in line)
    assert row.split()[-2:] == ["60", "30"]

    listed = json.loads((await run_cli("appointment-types", "--json")).out)
    assert {t["name"]: t["bookingLength"] for t in listed}["Trial Session"] == 30


async def test_availability_shows_bookable_slots_in_local_time(
    run_cli: CliRunner, demo: DemoOrg
) -> None:
    result = await run_cli(
        "availability", *slot_args(demo, "2027-03-24T14:00:00+01:00", POPULAR_END_ARG)
    )
    assert result.code == 0
    rows = result.out.splitlines()[2:-1]
    at_popular = [row for row in rows if row.startswith("Wed 2027-03-24 15:00  16:00")]
    # Anna's 15:00 is taken by the seeded booking; Ben's is free.
    assert len(at_popular) == 1
    assert "Ben Keller" in at_popular[0]
    assert result.out.splitlines()[-1] == f"{len(rows)} slot(s), times in Europe/Berlin"


async def test_availability_all_includes_full_slots(run_cli: CliRunner, demo: DemoOrg) -> None:
    result = await run_cli("availability", "--all", *slot_args(demo))
    anna = next(line for line in result.out.splitlines() if "Anna Schmidt" in line)
    assert anna.split()[:6] == ["Wed", "2027-03-24", "15:00", "16:00", "Anna", "Schmidt"]
    assert anna.split()[6:9] == [trainer(demo, ANNA), "1/1", "no"]  # the id book needs

    listed = await run_cli("availability", "--all", "--json", *slot_args(demo))
    assert {(s["resourceName"], s["available"]) for s in json.loads(listed.out)} == {
        ("Anna Schmidt", False),
        ("Ben Keller", True),
    }


async def test_book_and_delete(run_cli: CliRunner, fake: FakeRocketLead, demo: DemoOrg) -> None:
    ben = trainer(demo)
    booked = await run_cli("book", *slot_args(demo), "--resource", ben, "--name", "CLI test")
    assert booked.code == 0
    assert booked.out.startswith("booked ")
    assert booked.out.rstrip().endswith(f": Wed 2027-03-24 15:00-16:00, resource {ben}")
    booking_id = booked.out.split()[1].rstrip(":")
    stored = fake.state.bookings[booking_id]
    assert (stored.resource_id, stored.name) == (ben, "CLI test")

    deleted = await run_cli("delete", booking_id)
    assert (deleted.code, deleted.out) == (0, f"deleted {booking_id}\n")
    assert booking_id not in fake.state.bookings


async def test_book_and_delete_json(run_cli: CliRunner, demo: DemoOrg) -> None:
    ben = trainer(demo)
    booking = json.loads((await run_cli("book", "--json", *slot_args(demo), "--resource", ben)).out)
    assert booking["resourceId"] == ben
    assert booking["startDateTime"].startswith("2027-03-24T14:00:00")  # 15:00 in Berlin, CET
    deleted = await run_cli("delete", "--json", booking["id"])
    assert json.loads(deleted.out) == {"deleted": booking["id"]}


async def test_book_recover_books_the_nearest_free_slot(
    run_cli: CliRunner, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    result = await run_cli("book", *slot_args(demo), "--resource", trainer(demo, ANNA), "--recover")
    assert result.code == 0
    # Nearest to Anna's taken 15:00 is the same hour on Ben: the output names him.
    assert (
        f": Wed 2027-03-24 15:00-16:00, resource {trainer(demo)} "
        "(the requested slot was taken; 2 attempts)" in result.out
    )
    assert len(fake.events_named("calendar.appointment.booked")) == 1
    assert fake.request_count(BOOKINGS) == 2


def near_args(demo: DemoOrg, near: str) -> list[str]:
    """``book --near`` for a Personal Training at Studio Mitte."""
    return [
        "--calendar",
        demo.mitte_calendar_id,
        "--appointment-type",
        demo.personal_training_type_id,
        "--near",
        near,
    ]


async def test_book_near_a_spoken_time_books_the_nearest_bookable_slot(
    run_cli: CliRunner, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    anna = trainer(demo, ANNA)
    # "Anna, around ten past three": her 15:00 hour is taken (so are 14:30 and 15:30, which
    # overlap it); of her free slots 16:00 is nearest (50 min; 14:00 is 70).
    result = await run_cli(
        "book", *near_args(demo, "2027-03-24T15:10:00+01:00"), "--resource", anna
    )
    assert result.code == 0
    assert result.out.rstrip().endswith(
        f": Wed 2027-03-24 16:00-17:00, resource {anna} (the bookable slot nearest 15:10)"
    )
    booking_id = result.out.split()[1].rstrip(":")
    assert fake.state.bookings[booking_id].resource_id == anna
    assert fake.request_count(BOOKINGS) == 1


async def test_book_near_with_nothing_bookable_around_books_nothing(
    run_cli: CliRunner, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    line = await run_cli.fails("book", *near_args(demo, "2027-03-24T03:00:00+01:00"), code=4)
    assert line == (
        "rocketlead: error: no booking made: no bookable slot within 3 h of "
        "2027-03-24T03:00:00+01:00 (alternatives: none)"
    )
    assert fake.request_count(BOOKINGS) == 0


async def test_resources_lists_ids_names_and_capacity(run_cli: CliRunner, demo: DemoOrg) -> None:
    result = await run_cli("resources")
    assert result.code == 0
    assert result.out.splitlines()[0].split() == ["id", "name", "capacity"]
    assert all(resource_id in result.out for resource_id in demo.resource_ids)
    listed = json.loads((await run_cli("resources", "--json")).out)
    assert {r["id"] for r in listed} >= set(demo.resource_ids)
    assert all("maxParallelBookings" in r for r in listed)  # the wire form


async def test_tables_show_the_new_lead_state(run_cli: CliRunner, demo: DemoOrg) -> None:
    result = await run_cli("tables")
    assert result.code == 0
    assert demo.table_id in result.out
    assert "New (" in result.out
    (table,) = json.loads((await run_cli("tables", "--json")).out)
    assert table["id"] == demo.table_id


async def test_leads_create_uses_the_tables_new_state(
    run_cli: CliRunner, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    result = await run_cli(
        "leads", "create", "--table", demo.table_id, "--field", "firstName=Jane", "--field",
        "phone=+49 30 1234567",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert result.out.startswith("created lead ")
    assert "+49" not in result.out  # no personal data echoed
    lead_id = result.out.split()[2]
    assert fake.state.entries[lead_id].lead_state_id == demo.default_lead_state_id
    created = json.loads(
        (await run_cli("leads", "create", "--json", "--table", demo.table_id, "--field", "a=b")).out
    )
    assert created["tableId"] == demo.table_id
    assert created["data"] == {"a": {"value": "b"}}
    assert lead_id != created["id"]


def test_local_time_falls_back_to_the_given_offset() -> None:
    # Private helpers: the fake's calendars all name their zone, so no command reaches the
    # fallback (a calendar without a known zone) on its own.
    moment = datetime(2027, 3, 24, 14, tzinfo=timezone.utc)
    assert cli._day_time(moment, None) == "Wed 2027-03-24 14:00"
    assert cli._clock(moment + timedelta(hours=1), None) == "15:00"
