"""What the stale-connection guard costs per booking POST, over loopback.

Before the body of a POST is written, the SDK checks that its connection holds no bytes nobody
asked for (aiohttp's ``should_close``, then a ``MSG_PEEK`` of the socket on plain TCP), and that
no answer arrived before the body went out (``rocketlead_async._transport._unsolicited``).

Two measurements:

- ``guard alone``: the check on a live, idle kept-alive connection, called in a tight loop (the
  exact work added to every POST); on plain TCP, and on TLS (production traffic: a connection
  that answered the SDK before is peeked at too) against an in-process TLS server with a
  ``trustme`` certificate (skipped without ``trustme``, a test dependency);
- ``booking POST``: ``client.bookings.create()`` against the loopback server process of
  ``_server.py``, with the guard and with it switched off, interleaved block by block (the
  difference is within the noise of a shared machine; the first number is the one to read).

    python benchmarks/stale_guard.py [--quick]   # a table; results/stale_guard.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from _payloads import TOKEN, booking_request_fields  # noqa: E402
from _server import LoopbackServer  # noqa: E402

import rocketlead_async._transport as transport  # noqa: E402
from rocketlead_async import BookingRequest, RocketLeadClient  # noqa: E402


async def _guard_alone(client: RocketLeadClient, request: BookingRequest, calls: int) -> float:
    """Seconds per guard check on the idle kept-alive connection of a real booking POST."""
    await client.bookings.create(request)  # the connection has answered the SDK before
    writers: list[Any] = []
    original = transport._unsolicited

    def capture(writer: Any) -> bool:
        writers.append(writer)
        return original(writer)

    transport._unsolicited = capture
    try:
        await client.bookings.create(request)
    finally:
        transport._unsolicited = original
    (writer,) = writers
    assert not original(writer), "the idle connection should be clean"
    started = time.perf_counter()
    for _ in range(calls):
        original(writer)
    return (time.perf_counter() - started) / calls


async def _posts(client: RocketLeadClient, request: BookingRequest, count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        await client.bookings.create(request)
    return (time.perf_counter() - started) / count


async def _tls_guard_alone(request: BookingRequest, calls: int) -> float | None:
    """:func:`_guard_alone` over TLS: an in-process aiohttp server with a trustme certificate."""
    try:
        import trustme
    except ImportError:
        return None
    import ssl

    from _payloads import booking_json
    from aiohttp import ClientSession, TCPConnector, web

    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_ctx)
    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)
    answer = json.dumps(booking_json()).encode()

    async def book(web_request: web.Request) -> web.Response:
        await web_request.read()
        return web.Response(status=201, body=answer, content_type="application/json")

    app = web.Application()
    app.router.add_post("/connect/calendar_bookings/", book)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_ctx)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with ClientSession(connector=TCPConnector(ssl=client_ctx)) as session:
            url = f"https://127.0.0.1:{port}"
            async with RocketLeadClient(TOKEN, base_url=url, session=session) as client:
                return await _guard_alone(client, request, calls)
    finally:
        await runner.cleanup()


async def run(quick: bool) -> dict[str, Any]:
    rounds, per_block, guard_calls = (6, 100, 20_000) if quick else (20, 200, 200_000)
    request = BookingRequest(**booking_request_fields())
    with LoopbackServer() as url:
        async with RocketLeadClient(TOKEN, base_url=url) as client:
            await _posts(client, request, 50)  # warm up the pool and the code paths
            alone = await _guard_alone(client, request, guard_calls)
            original = transport._unsolicited
            with_guard: list[float] = []
            without: list[float] = []
            for number in range(rounds):
                order = (True, False) if number % 2 == 0 else (False, True)
                for guarded in order:
                    transport._unsolicited = original if guarded else (lambda _writer: False)
                    try:
                        seconds = await _posts(client, request, per_block)
                    finally:
                        transport._unsolicited = original
                    (with_guard if guarded else without).append(seconds)
    tls_alone = await _tls_guard_alone(request, guard_calls)
    guarded_us = statistics.median(with_guard) * 1e6
    bare_us = statistics.median(without) * 1e6
    return {
        "guard_alone_us": alone * 1e6,
        "tls_guard_alone_us": None if tls_alone is None else tls_alone * 1e6,
        "post_with_guard_us": guarded_us,
        "post_without_guard_us": bare_us,
        "difference_us": guarded_us - bare_us,
        "share_of_post": alone * 1e6 / guarded_us,
        "load_average_1m": os.getloadavg()[0],  # a shared machine: read the figures with it
        "rounds": rounds,
        "posts_per_block": per_block,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    results = asyncio.run(run(args.quick))
    print("| measure | µs |\n|---|---|")
    print(f"| guard alone, per booking POST | {results['guard_alone_us']:.2f} |")
    if results["tls_guard_alone_us"] is not None:
        print(f"| guard alone on TLS, per booking POST | {results['tls_guard_alone_us']:.2f} |")
    print(f"| booking POST with the guard (median) | {results['post_with_guard_us']:.0f} |")
    print(f"| booking POST without the guard (median) | {results['post_without_guard_us']:.0f} |")
    print(f"| difference (noise-bound) | {results['difference_us']:+.0f} |")
    print(f"\nthe guard is {results['share_of_post']:.2%} of a loopback booking POST")
    out = HERE / "results" / ("stale_guard-quick.json" if args.quick else "stale_guard.json")
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
