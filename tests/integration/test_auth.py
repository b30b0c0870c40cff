"""Tokens and scopes: read < write < admin, revoked and unknown tokens; none of it retried."""

from __future__ import annotations

import pytest

import rocketlead_async as rl
from rocketlead_async.testing import DemoOrg, FakeRocketLead

from ._support import BOOKING_ITEM, BOOKINGS, LEADS, MakeClient, berlin, trainer_request


async def test_read_token_can_get_but_not_post(
    make_client: MakeClient, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    reader = make_client("read")
    assert len(await reader.calendars.list()) == 2
    av = await reader.availability.get(
        calendar_id=demo.mitte_calendar_id,
        appointment_type_id=demo.personal_training_type_id,
        start=berlin(25, 9),
        end=berlin(25, 10),
    )
    assert av.bookable()
    before = dict(fake.state.bookings)

    with pytest.raises(rl.PermissionDeniedError) as caught:
        await reader.bookings.create(trainer_request(demo, berlin(25, 9), "Read Only"))
    error = caught.value
    assert error.status == 403
    assert "'write' scope" in error.message
    assert (error.method, error.path) == ("POST", "/connect/calendar_bookings/")
    assert fake.request_count(BOOKINGS) == 1  # not retried
    assert fake.state.bookings == before

    with pytest.raises(rl.PermissionDeniedError):
        await reader.leads.create(
            rl.LeadRequest(table_id=demo.table_id, data={}, lead_state_id=demo.table_id)
        )
    with pytest.raises(rl.PermissionDeniedError):
        await reader.leads.update(demo.lead_entry_ids[0], {"archived": True})
    assert fake.request_count(LEADS) == 1
    assert fake.request_count("PATCH /connect/table_entries/{id}") == 1


async def test_write_token_cannot_delete_admin_can(
    make_client: MakeClient, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    writer = make_client("write")
    booking = await writer.bookings.create(trainer_request(demo, berlin(25, 9), "Writer"))

    with pytest.raises(rl.PermissionDeniedError, match="'admin' scope") as caught:
        await writer.bookings.delete(booking.id)
    assert caught.value.status == 403
    assert fake.request_count(BOOKING_ITEM) == 1  # not retried
    assert booking.id in fake.state.bookings

    await make_client("admin").bookings.delete(booking.id)
    assert booking.id not in fake.state.bookings


async def test_revoked_token_is_an_authentication_error_at_once(
    make_client: MakeClient, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    token = fake.issue_token("write")
    client = make_client(token)
    await client.calendars.list()
    fake.revoke(token)
    seen = fake.request_count()

    with pytest.raises(rl.AuthenticationError) as caught:
        await client.calendars.list()
    assert caught.value.status == 401
    assert caught.value.message == "Unauthorized"
    with pytest.raises(rl.AuthenticationError):
        await client.bookings.create(trainer_request(demo, berlin(25, 9), "Revoked"))
    assert fake.request_count() == seen + 2  # one request each, no retries
    assert not fake.state.bookings.keys() - set(demo.booking_ids)


async def test_unknown_token_is_an_authentication_error_not_retried(
    make_client: MakeClient,
    fake: FakeRocketLead,
    demo: DemoOrg,
    unknowns: list[rl.OutcomeUnknownError],
) -> None:
    token = "rocketlead_live_" + "ab" * 32
    client = make_client(token)
    with pytest.raises(rl.AuthenticationError) as caught:
        await client.resources.get(demo.group_class_resource_id)
    with pytest.raises(rl.AuthenticationError):
        await client.bookings.delete(demo.booking_ids[0])
    with pytest.raises(rl.AuthenticationError):
        await client.bookings.create(trainer_request(demo, berlin(25, 9), "Stranger"))
    assert fake.request_count() == 3
    assert unknowns == []  # a 401 is a clear answer: nothing was booked
    assert token not in str(caught.value)
    assert token not in repr(caught.value)
    assert token[len("rocketlead_live_") :] not in repr(client)


async def test_token_of_another_organization_sees_only_its_own(
    make_client: MakeClient, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    other = make_client(fake.issue_token("admin", organization_id=demo.foreign_organization_id))
    (calendar,) = await other.calendars.list()
    assert (calendar.id, calendar.tzdata) == (demo.foreign_calendar_id, "Europe/Vienna")
    with pytest.raises(rl.NotFoundError):
        await other.calendars.get(demo.mitte_calendar_id)
    with pytest.raises(rl.NotFoundError):
        await other.bookings.delete(demo.booking_ids[0])
    assert demo.booking_ids[0] in fake.state.bookings
