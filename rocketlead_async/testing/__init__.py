"""Test doubles for the RocketLead Connect API.

``FakeRocketLead`` is an in-memory Connect API server (aiohttp.web) with a seeded demo
organization, flow events, slot races and fault injection. It speaks raw JSON and imports
nothing from the SDK, so it checks the SDK from the outside::

    async with FakeRocketLead.running(seed=0) as fake:
        fake.faults.add("POST /connect/calendar_bookings/", Fault.status(503), times=2)
        ...  # talk to fake.url with fake.tokens.write
"""

from __future__ import annotations

from ._app import FakeRocketLead
from ._auth import FakeTokens
from ._clock import ManualClock
from ._events import FlowEvent
from ._faults import Fault, FaultPlan
from ._injection import RecordedRequest
from ._seed import DemoOrg

__all__ = [
    "DemoOrg",
    "FakeRocketLead",
    "FakeTokens",
    "Fault",
    "FaultPlan",
    "FlowEvent",
    "ManualClock",
    "RecordedRequest",
]
