"""``rocketlead demo --scene barge-in``: desks against barge-ins and repeated tool calls."""

from __future__ import annotations

import json

import pytest

from rocketlead_async import _demo_barge_in, cli


def test_barge_in_json_shows_every_barge_in_and_holds_the_invariants(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = cli.main(["demo", "--scene", "barge-in", "--callers", "25", "--seed", "2", "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    report = json.loads(captured.out)
    assert report["scene"] == "barge-in"
    assert (report["double_bookings"], report["orphans"], report["capacity_violations"]) == (
        0,
        0,
        0,
    )
    detail = report["callers_detail"]
    assert [c["caller"] for c in detail] == list(range(1, 26))
    assert {c["barge_in"] for c in detail} == set(_demo_barge_in.BARGE_INS)
    assert report["cancelled_calls"] > 0
    assert report["repeated_calls"] > 0
    # What the agents heard adds up: every cancelled call was heard as CANCELLED, and each
    # caller's server bookings are at most one.
    assert sum(c["heard"].count("CANCELLED") for c in detail) == report["cancelled_calls"]
    assert all(len(c["server"]) <= 1 for c in detail)
    assert report["server_bookings"] == sum(len(c["server"]) for c in detail)


def test_barge_in_text_report_ends_with_the_invariants(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli.main(["demo", "--scene", "barge-in", "--callers", "6"]) == 0
    out = capsys.readouterr().out
    assert "agent heard" in out
    assert "server holds" in out
    assert out.rstrip().endswith(
        "invariants ok: 0 caller(s) with two bookings, 0 booking(s) nobody was told about, "
        "0 capacity violation(s)"
    )
    monkeypatch.setattr(_demo_barge_in, "capacity_violations", lambda fake: 1)
    assert cli.main(["demo", "--scene", "barge-in", "--callers", "2"]) == 1
    assert "invariants BROKEN" in capsys.readouterr().out


def test_an_unknown_scene_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["demo", "--scene", "nope"]) == 2
    assert "invalid choice: 'nope'" in capsys.readouterr().err
