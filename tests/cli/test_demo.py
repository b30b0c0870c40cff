"""``rocketlead demo``: the voice-agent booking rush against the built-in fake, its report
(text and ``--json``) and the invariants it checks. (How fast it runs is benchmarks' business.)"""

from __future__ import annotations

import io
import json
from typing import Any

import attrs
import pytest

from rocketlead_async import _demo, cli
from rocketlead_async._demo import (
    MAX_CALLERS,
    capacity_violations,
    check_callers,
    double_bookings,
    run_demo,
)
from rocketlead_async.testing import FakeRocketLead

STABLE_KEYS = {
    "callers",
    "booked_first_try",
    "recovered",
    "gave_up",
    "posts",
    "p50_ms",
    "p95_ms",
    "events",
    "capacity_violations",
    "callers_detail",
}
CALLER_HEADER = ["#", "caller", "outcome", "booked", "(local)", "trainer", "POSTs", "ms"]


def demo_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    code = cli.main(["demo", *argv, "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert captured.err == ""
    report: dict[str, Any] = json.loads(captured.out)
    return report


def test_demo_json_shows_the_race_and_the_recovery(capsys: pytest.CaptureFixture[str]) -> None:
    report = demo_json(capsys, "--callers", "20", "--seed", "1")
    assert report.keys() >= STABLE_KEYS
    assert report["callers"] == 20
    # One seat at the popular hour: exactly one caller gets it on the first POST, the race is
    # real (others lose it) and recovery books some of them elsewhere.
    assert report["booked_first_try"] == 1
    assert report["recovered"] > 0
    assert report["booked_first_try"] + report["recovered"] + report["gave_up"] == 20
    assert report["errors"] == 0
    assert report["capacity_violations"] == 0
    assert report["double_bookings"] == 0
    assert report["p50_ms"] <= report["p95_ms"]

    detail = report["callers_detail"]
    assert [c["caller"] for c in detail] == list(range(1, 21))
    assert {c["outcome"] for c in detail} <= {"first_try", "recovered", "gave_up"}
    assert report["posts"] == sum(c["posts"] for c in detail)
    assert report["posts"] == report["requests"]["POST /connect/calendar_bookings/"]
    assert all(1 <= c["posts"] <= _demo.ATTEMPTS for c in detail)
    booked = [c for c in detail if c["outcome"] != "gave_up"]
    assert all(c["start"] and c["resource"] and c["ms"] for c in booked)
    (first,) = [c for c in detail if c["outcome"] == "first_try"]
    assert (first["start"], first["posts"]) == ("2027-03-24T15:00:00+01:00", 1)
    assert all(
        c["start"] != first["start"] or c["resource"] != first["resource"]
        for c in booked
        if c is not first
    )
    assert all(c["start"] is None and c["gave_up_reason"] for c in detail if c not in booked)

    events = report["events"]
    assert events["calendar.appointment.booked"] == {"fired": len(booked)}
    assert events["calendar.appointment.hasStarted"] == {"pending": len(booked)}
    assert events["table.entry.added"] == {"fired": 20}


async def test_run_demo_prints_a_readable_report(capsys: pytest.CaptureFixture[str]) -> None:
    assert await run_demo(callers=6, seed=0) == 0
    out = capsys.readouterr().out
    assert out.startswith("6 voice-agent caller(s) want a Trial Session at Studio Mitte, ")
    assert "Wed 2027-03-24 15:00 (Europe/Berlin)" in out
    for heading in ("outcome", "measure", "flow event"):
        assert f"\n{heading}" in out
    assert CALLER_HEADER in [line.split() for line in out.splitlines()]
    assert "booked on the first try                   1" in out
    assert "calendar.appointment.booked" in out
    assert out.rstrip().endswith(
        "invariants ok: 0 capacity violation(s), 0 caller(s) holding two bookings"
    )


async def test_big_rushes_leave_the_per_caller_table_to_json(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_demo, "DETAIL_ROWS", 3)
    assert await run_demo(callers=4, seed=0) == 0
    out = capsys.readouterr().out
    assert "(per-caller detail for 4 callers: add --json)" in out
    assert CALLER_HEADER not in [line.split() for line in out.splitlines()]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


async def test_progress_line_only_on_a_terminal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert await run_demo(callers=3, seed=0) == 0
    assert capsys.readouterr().err == ""

    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    assert await run_demo(callers=3, seed=0) == 0
    shown = terminal.getvalue()
    assert shown.startswith("\rdemo: booked")
    last = shown.split("\r")[-1]
    assert last.endswith("\n")
    assert "recovering    0" in last
    assert "on the line    0" in last


@pytest.mark.parametrize("bad", [0, -1, MAX_CALLERS + 1, True, 2.0, "5"])
async def test_callers_is_validated(bad: Any) -> None:
    with pytest.raises(ValueError, match="callers must be"):
        await run_demo(callers=bad)


def test_callers_argument_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["demo", "--callers", str(MAX_CALLERS + 1)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"rocketlead demo: error: argument --callers: callers must be between 1 and "
        f"{MAX_CALLERS}, not {MAX_CALLERS + 1} (see 'rocketlead demo --help')\n"
    )
    assert check_callers(MAX_CALLERS) == MAX_CALLERS


def test_caller_names_are_distinct_and_seeded() -> None:
    names = _demo._caller_names(200, seed=4)
    assert len(set(names)) == 200
    assert names == _demo._caller_names(200, seed=4)
    assert names[:20] != _demo._caller_names(20, seed=5)


def test_invariant_checks_see_a_violation() -> None:
    fake = FakeRocketLead(seed=0)
    assert (capacity_violations(fake), double_bookings(fake)) == (0, 0)
    seeded = fake.state.bookings[fake.demo.booking_ids[0]]  # Anna, popular hour, lead Mia
    fake.state.bookings["twin"] = attrs.evolve(seeded, id="twin")
    # Two bookings of a capacity-1 trainer at once (one seat over), both linked to one lead.
    assert (capacity_violations(fake), double_bookings(fake)) == (1, 1)
    # The group studio takes 8: its two seeded 18:00 bookings are fine.
    del fake.state.bookings["twin"]
    assert capacity_violations(fake) == 0


async def test_a_broken_invariant_fails_the_demo(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_demo, "capacity_violations", lambda fake: 1)
    assert await run_demo(callers=2, seed=0) == 1
    assert "invariants BROKEN: 1 capacity violation(s)" in capsys.readouterr().out
