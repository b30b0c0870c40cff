"""The SDK's log says what happened, at the right level, without bodies: a DEBUG line per
request, INFO per retry, WARNING for an unknown outcome, and never a lead's data."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import pytest

import rocketlead_async as rl
from tests.helpers.bodies import (
    PHONE,
    booking_json,
    booking_request,
    envelope,
    lead_json,
    lead_request,
)
from tests.helpers.intercept import refused
from tests.helpers.recorders import Unknowns
from tests.helpers.scripted import ScriptedServer

if TYPE_CHECKING:
    from aioresponses import aioresponses

LOGGER = "rocketlead_async"
CAL = "/connect/calendar/"


def sdk_records(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == LOGGER and record.levelno == level
    ]


async def test_debug_line_per_request_and_info_per_retry(
    server: ScriptedServer,
    client: rl.RocketLeadClient,
    intercept: aioresponses,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    intercept.get(server.url + CAL, exception=refused())  # the first attempt only
    server.get(CAL, status=503, body="")
    server.get(CAL, payload=[])

    await client.calendars.list()

    debug = sdk_records(caplog, logging.DEBUG)
    assert len(debug) == 3
    assert debug[0].startswith("GET /connect/calendar/ -> ClientConnectorError attempt=1 elapsed=")
    assert debug[1].startswith("GET /connect/calendar/ -> 503 attempt=2 elapsed=")
    assert debug[2].startswith("GET /connect/calendar/ -> 200 attempt=3 elapsed=")
    assert all(line.endswith("ms") for line in debug)
    info = sdk_records(caplog, logging.INFO)
    assert len(info) == 2
    assert info[0].startswith(
        "retrying GET /connect/calendar/ after APIConnectionError (attempt 1 of 3)"
    )
    assert info[1].startswith("retrying GET /connect/calendar/ after status 503 (attempt 2 of 3)")


async def test_nothing_above_debug_for_a_successful_call(
    server: ScriptedServer, client: rl.RocketLeadClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    server.get(CAL, payload=[])
    await client.calendars.list()
    assert [r.levelno for r in caplog.records if r.name == LOGGER] == [logging.DEBUG]


async def test_unknown_outcome_is_a_warning(
    server: ScriptedServer, client: rl.RocketLeadClient, caplog: pytest.LogCaptureFixture
) -> None:
    server.post("/connect/calendar_bookings/", status=502, body="")
    with pytest.raises(rl.BookingOutcomeUnknown):
        await client.bookings.create(booking_request())
    (warning,) = sdk_records(caplog, logging.WARNING)
    assert warning.startswith("POST /connect/calendar_bookings/: outcome unknown (status 502")


async def test_no_request_or_response_body_content_in_logs(
    server: ScriptedServer,
    client: rl.RocketLeadClient,
    unknowns: Unknowns,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A lead's phone number travels in request and response bodies, error messages and
    unreadable answers; none of it may reach the log."""
    caplog.set_level(logging.DEBUG)
    leads = "/connect/table_entries/"
    # Created fine (the answer echoes the phone).
    server.post(leads, status=201, payload=lead_json())
    # Refused with the phone in the validation message.
    server.post(leads, status=400, payload=envelope(400, f"phone {PHONE} is not valid"))
    # A proxy page quoting the request.
    server.post(leads, status=502, body=f"<html>upstream failed for {PHONE}</html>")
    # A truncated 201: the booking may exist; the fragment holds the lead's data.
    truncated = str(booking_json()).replace("'", '"')[:600]
    assert PHONE in truncated
    server.post("/connect/calendar_bookings/", status=201, body=truncated)
    # Retried PATCH whose 503 body and final answer carry the phone.
    server.patch(leads + "entry_77", status=503, payload=envelope(503, f"busy with {PHONE}"))
    server.patch(leads + "entry_77", payload=lead_json())

    await client.leads.create(lead_request())
    with pytest.raises(rl.BadRequestError) as bad:
        await client.leads.create(lead_request())
    with pytest.raises(rl.OutcomeUnknownError) as proxy:
        await client.leads.create(lead_request())
    with pytest.raises(rl.BookingOutcomeUnknown) as cut:
        await client.bookings.create(booking_request(name=f"Erika {PHONE}"))
    await client.leads.update("entry_77", {"data": {"fld_phone": {"value": PHONE}}})

    # The errors keep what users debug with ...
    assert PHONE in bad.value.message
    assert PHONE in str(proxy.value)
    assert PHONE in str(cut.value)
    assert len(unknowns) == 2
    # ... the log does not.
    assert caplog.records
    assert PHONE not in caplog.text
    assert "Erika" not in caplog.text
    for record in caplog.records:
        assert PHONE not in record.getMessage()
