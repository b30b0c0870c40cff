"""Booking tools for voice-agent frameworks: thin layers over ``BookingDesk``.

- :mod:`rocketlead_async.integrations.livekit` — LiveKit Agents
  (``pip install 'rocketlead-async[livekit]'``): ``booking_tools(desk_or_factory)``.
- :mod:`rocketlead_async.integrations.pipecat` — pipecat
  (``pip install 'rocketlead-async[pipecat]'``): ``register_booking_tools(llm, desk_or_factory)``
  and ``booking_tools_schema()``.

Importing this package (or ``rocketlead_async``) imports no framework; each submodule imports
its own and says which extra to install when it is missing.
"""

from __future__ import annotations

__all__: list[str] = []
