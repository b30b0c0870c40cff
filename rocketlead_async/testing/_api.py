"""The Connect API routes: thin handlers that parse, delegate, and serialize.

Collections carry a trailing slash, items do not. List endpoints answer a bare JSON array;
availability answers ``{"data": [Slot...], "meta": {...}}``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from zoneinfo import ZoneInfo

from aiohttp import web
from aiohttp.typedefs import Handler
from attrs import frozen

from ._auth import TokenRegistry
from ._availability import compute_slots
from ._bookings import Bookings
from ._errors import json_response, not_found, validation
from ._leads import Leads
from ._records import Record
from ._state import Store
from ._validate import (
    json_object,
    optional_str,
    query_bool,
    query_positive_int,
    required_str,
    required_timestamp,
)

_MAX_RANGE = timedelta(days=366)


@frozen
class Lookup:
    """A read-only collection; ``filters`` are query params matched against the same JSON key.

    ``item_kind`` names the object in 404s and, when set, adds the ``{path}{id}`` item route.
    """

    path: str
    records: Callable[[Store], Mapping[str, Record]]
    filters: tuple[str, ...] = ()
    item_kind: str | None = None
    #: ``calendarId`` keeps the records whose resource serves that calendar.
    by_calendar: bool = False


LOOKUPS = (
    Lookup("/connect/calendar/", lambda s: s.calendars, item_kind="Calendar"),
    Lookup("/connect/resources/", lambda s: s.resources, item_kind="Resource"),
    Lookup(
        "/connect/appointment_types/", lambda s: s.appointment_types, item_kind="Appointment type"
    ),
    Lookup("/connect/resource_slots/", lambda s: s.resource_slots, ("calendarId", "resourceId")),
    Lookup("/connect/resource_slot_blockers/", lambda s: s.blockers, ("calendarId", "resourceId")),
    Lookup(
        "/connect/resource_calendar_mappings/",
        lambda s: s.calendar_mappings,
        ("calendarId", "resourceId"),
    ),
    Lookup(
        "/connect/appointment_type_resource_mappings/",
        lambda s: s.type_mappings,
        ("appointmentTypeId", "resourceId"),
        by_calendar=True,
    ),
    Lookup("/connect/tables/", lambda s: s.tables, item_kind="Table"),
)


class Api:
    """Route handlers bound to one fake's store and services."""

    def __init__(
        self, store: Store, tokens: TokenRegistry, bookings: Bookings, leads: Leads
    ) -> None:
        self._store = store
        self._tokens = tokens
        self._bookings = bookings
        self._leads = leads

    def routes(self) -> list[web.RouteDef]:
        """Every route of the Connect API the fake serves."""
        table = [
            web.get("/connect/availability/", self.availability),
            web.post("/connect/calendar_bookings/", self.create_booking),
            web.delete("/connect/calendar_bookings/{id}", self.delete_booking),
            web.post("/connect/table_entries/", self.create_entry),
            web.patch("/connect/table_entries/{id}", self.patch_entry),
        ]
        for lookup in LOOKUPS:
            table.append(web.get(lookup.path, self._lister(lookup)))
            if lookup.item_kind is not None:
                getter = self._getter(lookup.records, lookup.item_kind)
                table.append(web.get(lookup.path + "{id}", getter))
        return table

    def _org(self, request: web.Request) -> str:
        return self._tokens.grant(request.headers).organization_id

    def _lister(self, lookup: Lookup) -> Handler:
        async def list_records(request: web.Request) -> web.Response:
            records = self._store.of_org(lookup.records(self._store).values(), self._org(request))
            wanted = {k: v for k, v in request.query.items() if k in lookup.filters}
            found = [r.to_json() for r in records]
            if lookup.by_calendar and "calendarId" in request.query:
                serving = self._store.resource_ids_in(request.query["calendarId"])
                found = [j for j in found if j["resourceId"] in serving]
            return json_response([j for j in found if all(j[k] == v for k, v in wanted.items())])

        return list_records

    def _getter(self, records: Callable[[Store], Mapping[str, Record]], kind: str) -> Handler:
        async def get_record(request: web.Request) -> web.Response:
            org, record_id = self._org(request), request.match_info["id"]
            found = self._store.owned(records(self._store), record_id, org)
            if found is None:
                raise not_found(kind)
            return json_response(found.to_json())

        return get_record

    async def availability(self, request: web.Request) -> web.Response:
        """``GET /connect/availability/``: bookable and full slots, blocked ones on request."""
        store, query, org = self._store, request.query, self._org(request)
        calendar_id = required_str(query, "calendarId")
        type_id = required_str(query, "appointmentTypeId")
        start = required_timestamp(query, "start")
        end = required_timestamp(query, "end")
        if end <= start:
            raise validation("end must be after start")
        if end - start > _MAX_RANGE:
            raise validation("the range from start to end must not exceed 366 days")
        resource_id = optional_str(query, "resourceId")
        include_blocked = query_bool(query, "includeUnavailable")
        step = query_positive_int(query, "stepLength")
        calendar = store.referenced(store.calendars, calendar_id, org, "calendarId")
        appointment_type = store.referenced(
            store.appointment_types, type_id, org, "appointmentTypeId"
        )
        if resource_id is not None:
            store.referenced(store.resources, resource_id, org, "resourceId")
        resources = [
            r
            for r in store.resources_for(calendar.id, appointment_type.id)
            if resource_id in (None, r.id)
        ]
        slots = compute_slots(
            zone=ZoneInfo(calendar.tzdata),
            appointment_type=appointment_type,
            resources=resources,
            windows=store.windows_for(calendar.id, appointment_type.id, [r.id for r in resources]),
            bookings=store.bookings.values(),
            blockers=store.blockers_in(calendar.id),
            start=start,
            end=end,
            step_minutes=step,
            include_blocked=include_blocked,
        )
        meta = {
            "appointmentTypeName": appointment_type.name,
            "defaultBookingLength": appointment_type.booking_length,
            "bufferAfter": appointment_type.buffer_after,
            "dynamicLength": False,
        }
        return json_response({"data": [slot.to_json() for slot in slots], "meta": meta})

    async def create_booking(self, request: web.Request) -> web.Response:
        """``POST /connect/calendar_bookings/``."""
        body = json_object(await request.read())
        # From here on nothing awaits: validation, capacity recheck and insert are one step.
        booking = self._bookings.create(self._org(request), body)
        return json_response(self._bookings.to_json(booking), 201)

    async def delete_booking(self, request: web.Request) -> web.Response:
        """``DELETE /connect/calendar_bookings/{id}``: 204, or 404 if unknown or gone."""
        self._bookings.delete(self._org(request), request.match_info["id"])
        return web.Response(status=204)

    async def create_entry(self, request: web.Request) -> web.Response:
        """``POST /connect/table_entries/``."""
        body = json_object(await request.read())
        return json_response(self._leads.create(self._org(request), body).to_json(), 201)

    async def patch_entry(self, request: web.Request) -> web.Response:
        """``PATCH /connect/table_entries/{id}`` with an RFC 7396 merge patch."""
        patch = json_object(await request.read())
        entry = self._leads.patch(self._org(request), request.match_info["id"], patch)
        return json_response(entry.to_json())
