"""JSON: orjson when installed, the standard library otherwise; the SDK works with either."""

from __future__ import annotations

import json
from types import ModuleType

import pytest

import rocketlead_async as rl
from rocketlead_async import _json
from tests.helpers.bodies import PHONE, booking_request, lead_json, lead_request
from tests.helpers.scripted import ScriptedServer

try:
    import orjson
except ImportError:  # pragma: no cover - the fallback tests still run
    orjson = None  # type: ignore[assignment]

SAMPLE = {"name": "Jürgen Groß", "phone": PHONE, "n": [1, 2.5, None, True], "nested": {"a": {}}}


def test_fallback_is_the_standard_library(stdlib_json: ModuleType) -> None:
    assert stdlib_json is _json  # reloaded in place: every SDK module now uses it
    assert stdlib_json.DecodeError is json.JSONDecodeError


def test_fallback_round_trips_and_writes_compact_utf8(stdlib_json: ModuleType) -> None:
    encoded = stdlib_json.dumps(SAMPLE)
    assert isinstance(encoded, bytes)
    assert stdlib_json.loads(encoded) == SAMPLE
    assert "Jürgen Groß".encode() in encoded  # UTF-8, not \\u escapes
    assert b", " not in encoded
    assert b": " not in encoded
    assert stdlib_json.loads(b'{"a": [1, {"b": null}]}') == {"a": [1, {"b": None}]}


def test_fallback_decode_errors_are_its_decode_error(stdlib_json: ModuleType) -> None:
    with pytest.raises(stdlib_json.DecodeError):
        stdlib_json.loads(b'{"truncated": ')
    with pytest.raises(ValueError):  # noqa: PT011 - DecodeError is a ValueError, the SDK relies on it
        stdlib_json.loads(b"<html>")


@pytest.mark.skipif(orjson is None, reason="orjson is not installed")
def test_both_backends_agree(stdlib_json: ModuleType) -> None:
    assert orjson is not None
    fallback = stdlib_json.dumps(SAMPLE)
    assert orjson.dumps(SAMPLE) == fallback
    assert orjson.loads(fallback) == SAMPLE


async def test_the_client_works_on_the_fallback(
    stdlib_json: ModuleType, server: ScriptedServer, client: rl.RocketLeadClient
) -> None:
    server.post("/connect/table_entries/", status=201, payload=lead_json())
    server.post("/connect/calendar_bookings/", status=201, body='{"id": "bk_1", ')
    server.get("/connect/calendar/", status=502, body="<html>Bad Gateway</html>", repeat=True)

    assert orjson is None or _json.loads is not orjson.loads
    entry = await client.leads.create(lead_request())
    assert entry.data["fld_phone"] == {"value": PHONE}
    assert server.requests[0].json() == {
        "tableId": "tbl_leads",
        "data": {"fld_name": {"value": "Erika Mustermann"}, "fld_phone": {"value": PHONE}},
        "leadStateId": "ls_new",
    }
    with pytest.raises(rl.BookingOutcomeUnknown):
        await client.bookings.create(booking_request())
    with pytest.raises(rl.InternalServerError, match="Bad Gateway"):
        await client.calendars.list()


@pytest.mark.skipif(orjson is None, reason="orjson is not installed")
def test_orjson_is_used_when_installed() -> None:
    assert orjson is not None
    assert _json.loads is orjson.loads
    assert _json.DecodeError is orjson.JSONDecodeError
