"""A small booking service: an aiohttp.web endpoint in front of the SDK.

One ``RocketLeadClient`` for the whole app (created on startup, closed on cleanup), shared by
every request; SDK errors become HTTP answers a voice platform's webhook can act on.

    python examples/booking_service.py --port 8080     # serve (token/base URL from env)
    python examples/booking_service.py --demo          # serve, call POST /book once, exit

Request: ``POST /book`` with ``{"calendarId", "appointmentTypeId", "around"}`` (ISO-8601 with
offset); answers ``{"booking": {...}}`` (the wire form), 409 with alternatives, or 202 when the
outcome is unknown (a human must check before anything is booked again).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
from typing import Any

import aiohttp
from aiohttp import web

import rocketlead_async as rl

CLIENT = web.AppKey("client", rl.RocketLeadClient)


async def _client_context(app: web.Application) -> Any:
    async with rl.RocketLeadClient(timeout=8.0) as client:
        app[CLIENT] = client
        yield


async def book(request: web.Request) -> web.Response:
    client = request.app[CLIENT]
    try:
        body = await request.json()
        around = dt.datetime.fromisoformat(body["around"])
        calendar_id, type_id = body["calendarId"], body["appointmentTypeId"]
        availability = await client.availability.get(
            calendar_id=calendar_id,
            appointment_type_id=type_id,
            start=around - dt.timedelta(hours=3),
            end=around + dt.timedelta(hours=3),
        )
    except (KeyError, TypeError, ValueError) as exc:
        return web.json_response({"error": f"bad request: {exc}"}, status=400)
    except rl.RocketLeadError as exc:
        return web.json_response({"error": str(exc)}, status=502)
    nearest = availability.nearest(around, limit=1)
    if not nearest:
        return web.json_response({"error": "nothing bookable near that time"}, status=409)
    booking_request = rl.BookingRequest.from_slot(nearest[0], calendar_id=calendar_id)
    try:
        outcome = await client.bookings.book(booking_request, recovery=rl.SlotRecovery())
    except rl.SlotRecoveryExhausted as gave_up:
        alternatives = [rl.to_dict(slot) for slot in gave_up.alternatives[:3]]
        return web.json_response({"error": gave_up.reason, "alternatives": alternatives}, 409)
    except rl.BookingOutcomeUnknown as unknown:
        return web.json_response({"unknown": rl.to_dict(unknown.request)}, status=202)
    except rl.RocketLeadError as exc:
        return web.json_response({"error": str(exc)}, status=502)
    return web.json_response({"booking": rl.to_dict(outcome.booking)})


def make_app() -> web.Application:
    app = web.Application()
    app.cleanup_ctx.append(_client_context)
    app.router.add_post("/book", book)
    return app


async def demo() -> None:
    """Serve on a free port, book once through the endpoint, print the answer, stop."""
    runner = web.AppRunner(make_app())
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        async with rl.RocketLeadClient() as lookups:
            calendar = (await lookups.calendars.list())[0]
            trial = next(
                t for t in await lookups.appointment_types.list() if t.name == "Trial Session"
            )
        around = dt.datetime(2027, 3, 24, 15, 10, tzinfo=calendar.zoneinfo)
        payload = {
            "calendarId": calendar.id,
            "appointmentTypeId": trial.id,
            "around": around.isoformat(),
        }
        url = f"http://127.0.0.1:{port}/book"
        async with aiohttp.ClientSession() as session, session.post(url, json=payload) as answer:
            print(answer.status, await answer.json())
            answer.raise_for_status()
    finally:
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--demo", action="store_true", help="book once through the endpoint")
    args = parser.parse_args()
    if args.demo:
        asyncio.run(demo())
    else:
        web.run_app(make_app(), host="127.0.0.1", port=args.port)


if __name__ == "__main__":
    main()
