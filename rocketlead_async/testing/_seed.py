"""The demo organization: two Berlin studios over a week that spans the 2027 DST change.

Same names and layout for every seed; ids (and tokens) differ per seed. Seeded history carries
no flow events: the event log starts empty.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from attrs import frozen

from ._records import (
    AppointmentType,
    Blocker,
    Booking,
    Calendar,
    CalendarMapping,
    CustomField,
    DataField,
    Entry,
    JsonObject,
    LeadState,
    Resource,
    ResourceSlot,
    Table,
    TypeMapping,
)
from ._state import Store

TIMEZONE = "Europe/Berlin"
_BERLIN = ZoneInfo(TIMEZONE)
_WEEK_START = datetime(2027, 3, 22, tzinfo=_BERLIN)  # Monday; clocks go forward Sun 28th
_SEEDED_AT = datetime(2027, 3, 1, 9, 0, tzinfo=timezone.utc)


def _local(day: int, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time in Berlin during March 2027."""
    return datetime(2027, 3, day, hour, minute, tzinfo=_BERLIN)


@frozen(kw_only=True)
class DemoOrg:
    """Ids and landmarks of the seeded demo organization.

    ``week_start``/``week_end`` bound Mon 2027-03-22 00:00 to Tue 2027-03-30 00:00 Berlin time
    (end exclusive, so Monday the 29th, the first CEST weekday, is inside). At the popular hour
    (Wed 2027-03-24 15:00-16:00) one of the two Mitte trainers is booked: one seat left for
    Personal Training, while the hours around it are mostly free.
    """

    organization_id: str
    timezone: str
    mitte_calendar_id: str
    kreuzberg_calendar_id: str
    mitte_trainer_ids: tuple[str, str]
    kreuzberg_trainer_ids: tuple[str, str]
    group_class_resource_id: str
    personal_training_type_id: str
    group_class_type_id: str
    trial_session_type_id: str
    table_id: str
    default_lead_state_id: str
    contacted_lead_state_id: str
    booked_lead_state_id: str
    goal_field_id: str
    visits_field_id: str
    lead_entry_ids: tuple[str, ...]
    booking_ids: tuple[str, ...]
    lunch_blocker_ids: tuple[str, ...]
    week_start: datetime
    week_end: datetime
    popular_start: datetime
    popular_end: datetime
    foreign_organization_id: str
    foreign_calendar_id: str
    foreign_resource_id: str
    foreign_table_id: str

    @property
    def calendar_ids(self) -> tuple[str, str]:
        """Mitte, Kreuzberg."""
        return (self.mitte_calendar_id, self.kreuzberg_calendar_id)

    @property
    def trainer_ids(self) -> tuple[str, ...]:
        """The four trainers (capacity 1), Mitte first."""
        return self.mitte_trainer_ids + self.kreuzberg_trainer_ids

    @property
    def resource_ids(self) -> tuple[str, ...]:
        """Every demo resource: the trainers, then the group studio."""
        return (*self.trainer_ids, self.group_class_resource_id)

    @property
    def appointment_type_ids(self) -> tuple[str, str, str]:
        """Personal Training, Group Class, Trial Session."""
        return (
            self.personal_training_type_id,
            self.group_class_type_id,
            self.trial_session_type_id,
        )


class _Seeder:
    """Adds records for one organization with ids drawn from the store."""

    def __init__(self, store: Store, organization_id: str) -> None:
        self.store = store
        self.org = organization_id

    def calendar(self, name: str, tzdata: str = TIMEZONE) -> str:
        record = Calendar(self.store.new_id(), self.org, name, tzdata)
        return self.store.add(self.store.calendars, record).id

    def resource(self, name: str, color: str, capacity: int, calendar_id: str) -> str:
        record = Resource(self.store.new_id(), self.org, name, color, capacity)
        self.store.add(self.store.resources, record)
        mapping = CalendarMapping(self.store.new_id(), self.org, record.id, calendar_id)
        self.store.add(self.store.calendar_mappings, mapping)
        return record.id

    def appointment_type(self, name: str, length: int, search: int, resources: list[str]) -> str:
        record = AppointmentType(self.store.new_id(), self.org, name, length, search)
        self.store.add(self.store.appointment_types, record)
        for resource_id in resources:
            mapping = TypeMapping(self.store.new_id(), self.org, record.id, resource_id)
            self.store.add(self.store.type_mappings, mapping)
        return record.id

    def weekly(
        self, calendar_id: str, resource_id: str, opens: time, closes: time, types: list[str]
    ) -> None:
        for weekday in range(1, 8):
            window = ResourceSlot(
                self.store.new_id(),
                self.org,
                calendar_id,
                resource_id,
                weekday,
                opens,
                closes,
                tuple(types),
            )
            self.store.add(self.store.resource_slots, window)

    def blocker(
        self, calendar_id: str, resource_id: str | None, name: str, start: datetime, end: datetime
    ) -> str:
        record = Blocker(self.store.new_id(), self.org, calendar_id, resource_id, name, start, end)
        return self.store.add(self.store.blockers, record).id

    def table(
        self,
        name: str,
        states: tuple[LeadState, ...],
        custom: tuple[CustomField, ...] = (),
        data: tuple[DataField, ...] = (),
    ) -> Table:
        record = Table(self.store.new_id(), self.org, name, states, custom, data)
        return self.store.add(self.store.tables, record)

    def entry(
        self, table: Table, state_id: str, data: JsonObject, custom: JsonObject | None = None
    ) -> str:
        record = Entry(
            id=self.store.new_id(),
            organization_id=self.org,
            table_id=table.id,
            created_at=_SEEDED_AT,
            updated_at=_SEEDED_AT,
            data=data,
            lead_state_id=state_id,
            custom_field_data=custom,
        )
        return self.store.add(self.store.entries, record).id

    def booking(
        self,
        calendar_id: str,
        resource_id: str,
        type_id: str,
        start: datetime,
        minutes: int,
        name: str,
        entry_id: str | None = None,
    ) -> str:
        window = next(
            w
            for w in self.store.resource_slots.values()
            if w.resource_id == resource_id and w.weekday == start.isoweekday()
        )
        record = Booking(
            id=self.store.new_id(),
            organization_id=self.org,
            calendar_id=calendar_id,
            resource_id=resource_id,
            appointment_type_id=type_id,
            resource_slot_id=window.id,
            name=name,
            created_at=_SEEDED_AT,
            start=start.astimezone(timezone.utc),
            end=(start + timedelta(minutes=minutes)).astimezone(timezone.utc),
            table_entry_id=entry_id,
        )
        return self.store.add(self.store.bookings, record).id


_LEAD_DATA_FIELDS = (
    DataField("firstName", "First name", "text", "firstName", required=True),
    DataField("lastName", "Last name", "text", "lastName"),
    DataField("phone", "Phone", "phone", "phone"),
    DataField("email", "Email", "email", "email"),
)


def _value(text: str) -> JsonObject:
    # The docs call entry data an "object of objects"; we store each field as {"value": ...}.
    return {"value": text}


def seed_demo(store: Store) -> DemoOrg:
    """Populate ``store`` with the demo organization and a small foreign one."""
    s = _Seeder(store, store.new_id())
    mitte = s.calendar("Studio Mitte")
    kreuzberg = s.calendar("Studio Kreuzberg")
    anna = s.resource("Anna Schmidt", "#e4572e", 1, mitte)
    ben = s.resource("Ben Keller", "#17bebb", 1, mitte)
    clara = s.resource("Clara Wolf", "#ffc914", 1, kreuzberg)
    deniz = s.resource("Deniz Aydin", "#76b041", 1, kreuzberg)
    studio = s.resource("Group Studio Mitte", "#6a4c93", 8, mitte)
    trainers = [anna, ben, clara, deniz]
    personal = s.appointment_type("Personal Training", 60, 30, trainers)
    group = s.appointment_type("Group Class", 60, 60, [studio])
    trial = s.appointment_type("Trial Session", 30, 30, trainers)
    for trainer, calendar in ((anna, mitte), (ben, mitte), (clara, kreuzberg), (deniz, kreuzberg)):
        s.weekly(calendar, trainer, time(9), time(18), [personal, trial])
    s.weekly(mitte, studio, time(17), time(20), [group])

    lunches = [
        s.blocker(mitte, anna, "Lunch break", _local(d, 12), _local(d, 13)) for d in range(22, 30)
    ]
    lunches.append(s.blocker(kreuzberg, None, "Team lunch", _local(24, 12), _local(24, 13)))

    new = LeadState(store.new_id(), "New", "#3b82f6", default=True)
    contacted = LeadState(store.new_id(), "Contacted", "#f59e0b")
    booked = LeadState(store.new_id(), "Booked", "#10b981")
    goal = CustomField(store.new_id(), "Training goal", "text")
    visits = CustomField(store.new_id(), "Visits per week", "number")
    table = s.table("Leads", (new, contacted, booked), (goal, visits), _LEAD_DATA_FIELDS)
    mia = s.entry(
        table,
        booked.id,
        {
            "firstName": _value("Mia"),
            "lastName": _value("Wagner"),
            "phone": _value("+4930123456"),
            "email": _value("mia@example.com"),
        },
        {goal.id: "Marathon", visits.id: 2},
    )
    jonas = s.entry(table, new.id, {"firstName": _value("Jonas"), "phone": _value("+4930654321")})
    bookings = (
        s.booking(mitte, anna, personal, _local(24, 15), 60, "Mia Wagner", mia),
        s.booking(mitte, studio, group, _local(24, 18), 60, "Lena Fischer"),
        s.booking(mitte, studio, group, _local(24, 18), 60, "Tom Richter"),
        s.booking(kreuzberg, clara, trial, _local(26, 11), 30, "Sven Braun"),
    )

    # A second organization, so that scoping (404 for other orgs' ids) can be tested.
    foreign = _Seeder(store, store.new_id())
    foreign_calendar = foreign.calendar("Elsewhere Fitness", "Europe/Vienna")
    foreign_resource = foreign.resource("Other Trainer", "#888888", 1, foreign_calendar)
    foreign_new = LeadState(store.new_id(), "New", "#3b82f6", default=True)
    foreign_table = foreign.table("Other Leads", (foreign_new,))

    return DemoOrg(
        organization_id=s.org,
        timezone=TIMEZONE,
        mitte_calendar_id=mitte,
        kreuzberg_calendar_id=kreuzberg,
        mitte_trainer_ids=(anna, ben),
        kreuzberg_trainer_ids=(clara, deniz),
        group_class_resource_id=studio,
        personal_training_type_id=personal,
        group_class_type_id=group,
        trial_session_type_id=trial,
        table_id=table.id,
        default_lead_state_id=new.id,
        contacted_lead_state_id=contacted.id,
        booked_lead_state_id=booked.id,
        goal_field_id=goal.id,
        visits_field_id=visits.id,
        lead_entry_ids=(mia, jonas),
        booking_ids=bookings,
        lunch_blocker_ids=tuple(lunches),
        week_start=_WEEK_START,
        week_end=_WEEK_START + timedelta(days=8),
        popular_start=_local(24, 15),
        popular_end=_local(24, 16),
        foreign_organization_id=foreign.org,
        foreign_calendar_id=foreign_calendar,
        foreign_resource_id=foreign_resource,
        foreign_table_id=foreign_table.id,
    )
