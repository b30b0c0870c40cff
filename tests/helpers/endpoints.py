"""Every SDK method against FakeRocketLead's demo organization, as one table (``ENDPOINTS``):
the fault matrix runs every fault on each, the hostile-server tests feed each every body."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, Literal

import attrs

import rocketlead_async as rl
from rocketlead_async.testing import FakeRocketLead

from .demo import berlin, bookings_named, lead_request, leads_tagged, trainer_request

Kind = Literal["read", "delete", "patch", "post"]

Call = Callable[[rl.RocketLeadClient, FakeRocketLead, str], Awaitable[Any]]

# Thu 25 March 2027, 10:00-11:00 Berlin: free on Ben (capacity 1) for Personal Training.
FREE_SLOT = berlin(25, 10)


@attrs.frozen
class Endpoint:
    """One SDK method and the fake's route it reaches. ``call(client, fake, tag)`` runs it;
    ``effect(fake, tag)`` is the number of times its write shows in the fake's state (POST:
    records carrying ``tag``; DELETE: 1 if the booking is gone; PATCH: 1 if applied)."""

    name: str
    route: str
    kind: Kind
    call: Call
    effect: Callable[[FakeRocketLead, str], int] | None = None
    unknown_error: type[rl.OutcomeUnknownError] = rl.OutcomeUnknownError

    @property
    def path(self) -> str:
        """The route without its method."""
        return self.route.split(" ", 1)[1]


def booking_of(fake: FakeRocketLead, tag: str) -> rl.BookingRequest:
    """The booking ``bookings.create`` sends: ``FREE_SLOT`` on Ben, named ``tag``."""
    return trainer_request(fake.demo, FREE_SLOT, tag)


def _availability(client: rl.RocketLeadClient, fake: FakeRocketLead, _tag: str) -> Awaitable[Any]:
    start = berlin(24, 9)
    return client.availability.get(
        calendar_id=fake.demo.mitte_calendar_id,
        appointment_type_id=fake.demo.personal_training_type_id,
        start=start,
        end=start + timedelta(hours=3),
    )


def _booked(fake: FakeRocketLead, tag: str) -> int:
    return len(bookings_named(fake, tag))


def _leads(fake: FakeRocketLead, tag: str) -> int:
    return len(leads_tagged(fake, tag))


def _deleted(fake: FakeRocketLead, _tag: str) -> int:
    return int(fake.demo.booking_ids[3] not in fake.state.bookings)


def _patched(fake: FakeRocketLead, _tag: str) -> int:
    entry = fake.state.entries[fake.demo.lead_entry_ids[1]]
    return int(entry.lead_state_id == fake.demo.contacted_lead_state_id)


def _list_of(attr: str) -> Call:
    def call(client: rl.RocketLeadClient, _fake: FakeRocketLead, _tag: str) -> Awaitable[Any]:
        listed: Awaitable[Any] = getattr(client, attr).list()
        return listed

    return call


def _get_of(attr: str, some_id: Callable[[FakeRocketLead], str]) -> Call:
    def call(client: rl.RocketLeadClient, fake: FakeRocketLead, _tag: str) -> Awaitable[Any]:
        got: Awaitable[Any] = getattr(client, attr).get(some_id(fake))
        return got

    return call


def _lookup_endpoints() -> list[Endpoint]:
    out: list[Endpoint] = []
    items: list[tuple[str, str, Callable[[FakeRocketLead], str]]] = [
        ("calendars", "/connect/calendar/", lambda f: f.demo.mitte_calendar_id),
        ("resources", "/connect/resources/", lambda f: f.demo.mitte_trainer_ids[0]),
        (
            "appointment_types",
            "/connect/appointment_types/",
            lambda f: f.demo.personal_training_type_id,
        ),
        ("tables", "/connect/tables/", lambda f: f.demo.table_id),
    ]
    for attr, path, some_id in items:
        out.append(Endpoint(f"{attr}.list", f"GET {path}", "read", _list_of(attr)))
        out.append(Endpoint(f"{attr}.get", f"GET {path}{{id}}", "read", _get_of(attr, some_id)))
    out += [
        Endpoint(
            "resource_slots.list",
            "GET /connect/resource_slots/",
            "read",
            lambda c, f, _t: c.resource_slots.list(calendar_id=f.demo.mitte_calendar_id),
        ),
        Endpoint(
            "resource_slot_blockers.list",
            "GET /connect/resource_slot_blockers/",
            "read",
            lambda c, f, _t: c.resource_slot_blockers.list(calendar_id=f.demo.mitte_calendar_id),
        ),
        Endpoint(
            "resource_calendar_mappings.list",
            "GET /connect/resource_calendar_mappings/",
            "read",
            lambda c, _f, _t: c.resource_calendar_mappings.list(),
        ),
        Endpoint(
            "appointment_type_resource_mappings.list",
            "GET /connect/appointment_type_resource_mappings/",
            "read",
            lambda c, _f, _t: c.appointment_type_resource_mappings.list(),
        ),
    ]
    return out


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("availability.get", "GET /connect/availability/", "read", _availability),
    Endpoint(
        "bookings.create",
        "POST /connect/calendar_bookings/",
        "post",
        lambda c, f, tag: c.bookings.create(booking_of(f, tag)),
        _booked,
        rl.BookingOutcomeUnknown,
    ),
    Endpoint(
        "bookings.delete",
        "DELETE /connect/calendar_bookings/{id}",
        "delete",
        lambda c, f, _t: c.bookings.delete(f.demo.booking_ids[3]),
        _deleted,
    ),
    Endpoint(
        "leads.create",
        "POST /connect/table_entries/",
        "post",
        lambda c, f, tag: c.leads.create(lead_request(f.demo, tag)),
        _leads,
    ),
    Endpoint(
        "leads.update",
        "PATCH /connect/table_entries/{id}",
        "patch",
        lambda c, f, _t: c.leads.update(
            f.demo.lead_entry_ids[1], {"leadStateId": f.demo.contacted_lead_state_id}
        ),
        _patched,
    ),
    *_lookup_endpoints(),
)
ENDPOINT = {endpoint.name: endpoint for endpoint in ENDPOINTS}
