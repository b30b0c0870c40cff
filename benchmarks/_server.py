"""The loopback server the overhead and memory benchmarks talk to, in a process of its own.

Run as a script it serves a minimal aiohttp.web app on 127.0.0.1 (an ephemeral port, printed as
``PORT <n>`` on stdout) with two routes answering pre-encoded bytes:

- ``POST /connect/calendar_bookings/``: reads the body, answers 201 with a booking
  (:func:`_payloads.booking_json`);
- ``GET /connect/availability/``: answers 200 with 48 slots (:func:`_payloads.availability_json`);
- the same two under ``/race`` (:data:`_payloads.RACE_PREFIX`), except that a booking POST for
  the requested start (:func:`_payloads.booking_request_fields`) answers 400 "The selected time
  slot is no longer available": every call from that request loses one race, then books the
  alternative it picks.

It stops when its stdin closes (the parent exited or :meth:`LoopbackServer.stop` closed it), on
SIGTERM, or after ``--max-lifetime`` seconds, whichever comes first: a benchmark that crashes never
leaves it behind. :class:`LoopbackServer` starts and stops it from the benchmark process.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import select
import subprocess
import sys
import threading
from datetime import datetime
from types import TracebackType

__all__ = ["LoopbackServer"]

_READY_TIMEOUT = 20.0
_STOP_TIMEOUT = 5.0


class LoopbackServer:
    """``with LoopbackServer() as url:`` runs the server process for the block."""

    def __init__(self, max_lifetime: float = 3600.0) -> None:
        self._max_lifetime = max_lifetime
        self._process: subprocess.Popen[bytes] | None = None
        self.url = ""

    def start(self) -> str:
        """Start the process and return its base URL once it accepts connections."""
        self._process = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--max-lifetime", str(self._max_lifetime)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        try:
            port = self._read_port(self._process)
        except BaseException:
            self.stop()
            raise
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    @staticmethod
    def _read_port(process: subprocess.Popen[bytes]) -> int:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], _READY_TIMEOUT)
        line = process.stdout.readline().decode() if ready else ""
        if not line.startswith("PORT "):
            raise RuntimeError(f"benchmark server did not start (said {line!r})")
        return int(line.split()[1])

    def stop(self) -> None:
        """Close its stdin (it exits on EOF), then terminate, then kill: it never outlives us."""
        process, self._process = self._process, None
        if process is None:
            return
        try:
            if process.stdin is not None:
                process.stdin.close()
            process.wait(_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.terminate()
            try:
                process.wait(_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        finally:
            if process.stdout is not None:
                process.stdout.close()

    def __enter__(self) -> str:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


# -- the server process -------------------------------------------------------------------------


async def _serve(max_lifetime: float) -> None:
    from _payloads import (
        AVAILABILITY_PATH,
        BOOKINGS_PATH,
        RACE_PREFIX,
        SLOT_TAKEN,
        availability_json,
        booking_json,
        booking_request_fields,
    )
    from aiohttp import web

    booking = json.dumps(booking_json()).encode()
    availability = json.dumps(availability_json()).encode()
    taken = json.dumps({"statusCode": 400, "message": SLOT_TAKEN}).encode()
    contested = booking_request_fields()["start"]

    async def create_booking(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(status=201, body=booking, content_type="application/json")

    async def create_booking_racing(request: web.Request) -> web.Response:
        sent = json.loads(await request.read())
        if datetime.fromisoformat(sent["startDateTime"].replace("Z", "+00:00")) == contested:
            return web.Response(status=400, body=taken, content_type="application/json")
        return web.Response(status=201, body=booking, content_type="application/json")

    async def get_availability(_request: web.Request) -> web.Response:
        return web.Response(body=availability, content_type="application/json")

    app = web.Application()
    app.router.add_post(BOOKINGS_PATH, create_booking)
    app.router.add_get(AVAILABILITY_PATH, get_availability)
    app.router.add_post(RACE_PREFIX + BOOKINGS_PATH, create_booking_racing)
    app.router.add_get(RACE_PREFIX + AVAILABILITY_PATH, get_availability)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        port = runner.addresses[0][1]
        loop = asyncio.get_running_loop()
        stdin_closed = asyncio.Event()

        def watch_stdin() -> None:
            sys.stdin.buffer.read()  # returns at EOF: the parent closed the pipe or died
            loop.call_soon_threadsafe(stdin_closed.set)

        threading.Thread(target=watch_stdin, daemon=True).start()
        print(f"PORT {port}", flush=True)
        with contextlib.suppress(asyncio.TimeoutError):  # lived long enough: stop anyway
            await asyncio.wait_for(stdin_closed.wait(), max_lifetime)
    finally:
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-lifetime", type=float, default=3600.0)
    args = parser.parse_args()
    asyncio.run(_serve(args.max_lifetime))


if __name__ == "__main__":
    main()
