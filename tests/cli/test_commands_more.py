"""The CLI's newer commands (resources, tables, leads create), its JSON errors and exit codes."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from rocketlead_async import cli
from rocketlead_async.testing import Fault

from ._support import TOKEN_ENV, Runner, ThreadedFake, clean_env, python_cli
from .test_commands import slot_args
from .test_fake_server import fake_server, first_lines


def json_error(run: Runner, *argv: str, code: int) -> dict[str, Any]:
    """Run a failing command under --json: stderr is exactly one JSON object."""
    result = run(*argv)
    assert result.code == code
    assert result.out == ""
    (line,) = result.err.splitlines()
    error: dict[str, Any] = json.loads(line)["error"]
    assert error["exit_code"] == code
    return error


def test_resources_lists_ids_names_and_capacity(run: Runner, served: ThreadedFake) -> None:
    result = run("resources")
    assert result.code == 0
    assert result.out.splitlines()[0].split() == ["id", "name", "capacity"]
    demo = served.fake.demo
    assert all(resource_id in result.out for resource_id in demo.resource_ids)
    listed = json.loads(run("resources", "--json").out)
    assert {r["id"] for r in listed} >= set(demo.resource_ids)
    assert all("maxParallelBookings" in r for r in listed)  # the wire form


def test_tables_show_the_new_lead_state(run: Runner, served: ThreadedFake) -> None:
    result = run("tables")
    assert result.code == 0
    assert served.fake.demo.table_id in result.out
    assert "New (" in result.out
    (table,) = json.loads(run("tables", "--json").out)
    assert table["id"] == served.fake.demo.table_id


def test_leads_create_uses_the_tables_new_state(run: Runner, served: ThreadedFake) -> None:
    demo = served.fake.demo
    result = run(
        "leads", "create", "--table", demo.table_id, "--field", "firstName=Jane", "--field",
        "phone=+49 30 1234567",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert result.out.startswith("created lead ")
    assert "+49" not in result.out  # no personal data echoed
    lead_id = result.out.split()[2]
    created = json.loads(
        run("leads", "create", "--json", "--table", demo.table_id, "--field", "a=b").out
    )
    assert created["tableId"] == demo.table_id
    assert created["data"] == {"a": {"value": "b"}}
    assert lead_id != created["id"]
    assert "NAME=VALUE" in run.fails("leads", "create", "--table", "t", "--field", "x", code=2)


def test_json_errors_are_one_object_with_the_exit_code(run: Runner, served: ThreadedFake) -> None:
    not_found = json_error(run, "delete", "--json", "no-such-booking", code=1)
    assert not_found["type"] == "NotFoundError"
    assert (not_found["status"], not_found["method"]) == (404, "DELETE")
    usage = json_error(run, "book", "--json", "--calendar", "c", code=2)
    assert usage["type"] == "UsageError"
    assert "required" in usage["message"]
    assert json_error(run, "calendars", "--json", "--timeout", "0", code=2)["type"] == "UsageError"


def test_json_errors_of_unknown_outcomes_and_exhausted_recovery(
    run: Runner, served: ThreadedFake
) -> None:
    demo = served.fake.demo
    ben, anna = demo.mitte_trainer_ids[1], demo.mitte_trainer_ids[0]
    served.fake.faults.add("POST /connect/calendar_bookings/", Fault.drop_after_commit())
    unknown = json_error(run, "book", "--json", *slot_args(served), "--resource", ben, code=3)
    assert unknown["type"] == "BookingOutcomeUnknown"
    assert unknown["request"]["resourceId"] == ben
    served.fake.race_next_bookings(3)
    args = [*slot_args(served), "--resource", anna, "--recover"]
    exhausted = json_error(run, "book", "--json", *args, code=4)
    assert exhausted["reason"] == "max_attempts"
    assert exhausted["alternatives"][0]["startDateTime"].startswith("2027-03-24")


def test_missing_token_under_json(run: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TOKEN_ENV)
    assert TOKEN_ENV in json_error(run, "calendars", "--json", code=2)["message"]


@pytest.mark.parametrize("port", ["99999", "-1", "http"])
def test_an_impossible_port_is_one_usage_line(run: Runner, port: str) -> None:
    line = run.fails("fake-server", "--port", port, code=2)
    assert line.startswith("rocketlead fake-server: error: argument --port")


def test_exit_codes_are_documented_in_the_module_and_readme() -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    doc = cli.__doc__ or ""
    for code in (cli.EXIT_API, cli.EXIT_USAGE, cli.EXIT_UNKNOWN, cli.EXIT_NOT_BOOKED):
        assert f"- {code}: " in doc
        assert f"| {code} |" in readme


def test_fake_server_on_every_interface_prints_a_url_that_works() -> None:
    with fake_server("--host", "0.0.0.0", "--json") as proc:
        (line,) = first_lines(proc, 1)
        started = json.loads(line)
        run = subprocess.run(
            python_cli("calendars", "--json", "--base-url", started["url"]),
            capture_output=True,
            text=True,
            timeout=30,
            env=clean_env(ROCKETLEAD_API_TOKEN=started["tokens"]["read"]),
        )
    assert run.returncode == 0, run.stderr
    assert len(json.loads(run.stdout)) == 2


def test_insecure_http_opt_in_flag(run: Runner, served: ThreadedFake) -> None:
    # 0.0.0.0 is not loopback (Linux still connects it to this host): plain http to it needs
    # the loud opt-in, as a docker-compose service name would.
    url = served.url.replace("127.0.0.1", "0.0.0.0")
    assert "must use https" in run.fails("calendars", "--base-url", url, code=2)
    assert run("calendars", "--base-url", url, "--allow-insecure-http").code == 0
