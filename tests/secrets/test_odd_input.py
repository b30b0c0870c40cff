"""Odd input is refused before any I/O, naming the field: non-finite numbers, naive
datetimes, ids that would change a path, numbers too large for a timeout, a token that is not
ASCII or a base URL that holds it (neither quoted back)."""

from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

import rocketlead_async as rl
from rocketlead_async.claims import RedisSeatClaims
from rocketlead_async.integrations._common import check_seconds
from tests.helpers.bodies import booking_request, lead_json, lead_request
from tests.helpers.clients import SECRET, TOKEN
from tests.helpers.retries import LEADS, REQUEST
from tests.helpers.scripted import ScriptedServer


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_numbers_in_lead_data_are_refused_naming_the_place(value: float) -> None:
    with pytest.raises(ValueError, match=r"data\['fld_age'\]\['value'\]"):
        lead_request(data={"fld_age": {"value": value}})
    with pytest.raises(ValueError, match=r"custom_field_data\['cf'\]\[1\]"):
        lead_request(custom_field_data={"cf": [1, value]})


async def test_a_non_finite_number_in_a_merge_patch_is_refused_before_sending(
    server: ScriptedServer, client: rl.RocketLeadClient
) -> None:
    """orjson would send NaN as null, which RFC 7396 reads as "delete this key"."""
    with pytest.raises(ValueError, match=r"patch\['score'\]"):
        await client.leads.update("entry_77", {"score": float("nan")})
    with pytest.raises(ValueError, match=r"patch\['data'\]\['x'\]"):
        await client.leads.update("entry_77", {"data": {"x": float("inf")}})
    assert server.requests == []


def test_a_naive_datetime_inside_lead_data_is_refused() -> None:
    with pytest.raises(ValueError, match=r"data\['visit'\] must be a timezone-aware"):
        lead_request(data={"visit": datetime(2026, 3, 2, 9, 0)})


@pytest.mark.usefixtures("stdlib_json")
async def test_an_aware_datetime_inside_lead_data_is_sent_as_iso_without_orjson(
    server: ScriptedServer, client: rl.RocketLeadClient
) -> None:
    when = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    server.post(LEADS, status=201, payload=lead_json())

    await client.leads.create(lead_request(data={"visit": {"value": when}}))

    assert server.only.json()["data"] == {"visit": {"value": "2026-03-02T09:00:00+00:00"}}


@pytest.mark.parametrize("bad", [".", "..", "...", "a\x00b", "res\n", "tab\tid", "a/b", "a..b"])
def test_one_id_rule_when_a_booking_request_is_built(bad: str) -> None:
    for field in ("calendar_id", "resource_id", "appointment_type_id", "resource_slot_id"):
        with pytest.raises(ValueError, match=field):
            booking_request(**{field: bad})


@pytest.mark.parametrize("bad", [".", "...", "a\x7fb"])
async def test_the_same_id_rule_guards_paths(
    server: ScriptedServer, client: rl.RocketLeadClient, bad: str
) -> None:
    with pytest.raises(ValueError, match="id"):
        await client.calendars.get(bad)
    with pytest.raises(ValueError, match="booking_id"):
        await client.bookings.delete(bad)
    assert server.requests == []


@pytest.mark.parametrize("huge", [10**400, -(10**400)])
async def test_an_enormous_timeout_is_a_value_error_not_an_overflow(
    server: ScriptedServer, client: rl.RocketLeadClient, huge: int
) -> None:
    with pytest.raises(ValueError, match="timeout"):
        rl.RocketLeadClient(TOKEN, timeout=huge)
    with pytest.raises(ValueError, match="timeout"):
        await client.bookings.create(REQUEST, timeout=huge)
    with pytest.raises(ValueError, match="attempt_timeout"):
        rl.RetryPolicy(attempt_timeout=huge)
    assert server.requests == []


def test_settings_are_checked_by_one_rule_everywhere(client: rl.RocketLeadClient) -> None:
    with pytest.raises(ValueError, match="initial_backoff"):
        rl.RetryPolicy(initial_backoff=True)  # a bool is no number of seconds
    with pytest.raises(ValueError, match="min_attempt_time"):
        rl.SlotRecovery(min_attempt_time=True)
    with pytest.raises(ValueError, match="timeout"):
        client.timeout = -1
    with pytest.raises(TypeError, match="retry"):
        client.retry = 3  # type: ignore[assignment]
    assert client.timeout == 10.0


def test_a_non_ascii_token_is_refused_without_showing_it() -> None:
    token = "rocketlead_live_" + "é" * 64
    with pytest.raises(ValueError, match="non-ASCII") as caught:
        rl.RocketLeadClient(token)
    assert "é" not in str(caught.value)


@pytest.mark.parametrize(
    "base_url", [TOKEN, f"https://api.rocketlead.io/?token={TOKEN}", f"http://example.com/{TOKEN}"]
)
def test_a_base_url_holding_the_token_is_not_quoted(base_url: str) -> None:
    with pytest.raises(ValueError, match="base_url") as caught:
        rl.RocketLeadClient(TOKEN, base_url=base_url)
    assert SECRET not in str(caught.value)


def test_the_desk_the_redis_claims_and_the_voice_tools_check_by_the_same_rules(
    client: rl.RocketLeadClient,
) -> None:
    """The same id and number rules as everywhere else, not copies that drifted: an id made of
    dots, and a number too large for a float or infinite, are refused by name."""
    calendar = rl.Calendar(id=rl.Id("cal_1"), tzdata="Europe/Berlin")
    for bad_id in (".", "a/b", "tab\tid"):
        with pytest.raises(ValueError, match="appointment_type_id"):
            rl.BookingDesk(client, calendar=calendar, appointment_type_id=bad_id)
        with pytest.raises(ValueError, match="resource_id"):
            rl.BookingDesk(client, calendar=calendar, appointment_type_id="t", resource_id=bad_id)
    redis = SimpleNamespace(eval=lambda *_args: None)
    for huge in (10**400, float("inf")):
        with pytest.raises(ValueError, match="ttl"):
            RedisSeatClaims(redis, ttl=huge)
        with pytest.raises(ValueError, match="budget"):
            check_seconds("budget", huge, allow_zero=False)
