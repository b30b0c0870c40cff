"""Bearer tokens: 401 for anything but a live token, 403 when the scope is too small."""

from __future__ import annotations

import re

import pytest

from rocketlead_async.testing import FakeRocketLead
from tests.helpers.wire import Wire

UNAUTHORIZED = {"statusCode": 401, "message": "Unauthorized"}


def test_seeded_tokens_have_the_live_format(manual_fake: FakeRocketLead) -> None:
    tokens = {manual_fake.tokens.read, manual_fake.tokens.write, manual_fake.tokens.admin}
    assert len(tokens) == 3
    for token in tokens:
        assert re.fullmatch(r"rocketlead_live_[0-9a-f]{64}", token)


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "bearer rocketlead_live_" + "0" * 64,
        "Bearer sk_live_" + "0" * 64,
        "Bearer rocketlead_live_" + "0" * 64,
    ],
)
async def test_bad_authorization_is_401(wire: Wire, authorization: str | None) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    reply = await wire.get("/connect/calendar/", token=None, headers=headers)
    assert reply.status == 401
    assert reply.json == UNAUTHORIZED


async def test_revoked_token_is_401_at_once(wire: Wire, manual_fake: FakeRocketLead) -> None:
    assert (await wire.get("/connect/calendar/", token="read")).status == 200
    manual_fake.revoke(manual_fake.tokens.read)
    reply = await wire.get("/connect/calendar/", token="read")
    assert (reply.status, reply.json) == (401, UNAUTHORIZED)


async def test_read_token_cannot_post(wire: Wire, manual_fake: FakeRocketLead) -> None:
    body = {"tableId": manual_fake.demo.table_id, "data": {}, "leadStateId": "x"}
    reply = await wire.post("/connect/table_entries/", body, token="read")
    assert reply.status == 403
    assert reply.json == {
        "statusCode": 403,
        "message": "Forbidden: this token lacks the 'write' scope",
    }
    assert manual_fake.state.entries.keys() == set(manual_fake.demo.lead_entry_ids)


async def test_write_token_cannot_delete(wire: Wire, manual_fake: FakeRocketLead) -> None:
    booking_id = manual_fake.demo.booking_ids[0]
    reply = await wire.call("DELETE", f"/connect/calendar_bookings/{booking_id}", token="write")
    assert reply.status == 403
    assert reply.json == {
        "statusCode": 403,
        "message": "Forbidden: this token lacks the 'admin' scope",
    }
    assert booking_id in manual_fake.state.bookings


@pytest.mark.parametrize("scope", ["read", "write", "admin"])
async def test_every_scope_can_read(wire: Wire, scope: str) -> None:
    assert (await wire.get("/connect/tables/", token=scope)).status == 200


async def test_auth_is_checked_before_validation(wire: Wire) -> None:
    reply = await wire.post("/connect/calendar_bookings/", {}, token=None)
    assert reply.status == 401
    reply = await wire.post("/connect/calendar_bookings/", {}, token="read")
    assert reply.status == 403
