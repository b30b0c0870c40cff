"""The ``rocketlead`` command (also ``python -m rocketlead_async``).

Real use reads the token from ``ROCKETLEAD_API_TOKEN`` (never from a flag: flags end up in shell
history and process lists). Human tables by default, ``--json`` for machines (the models' wire
form, :func:`rocketlead_async.to_dict`). Every error is one line on stderr, or under ``--json``
one JSON object ``{"error": {...}}`` on one stderr line, with these exit codes:

- 0: done.
- 1: the API or the network failed (an error status, a refused connection, a busy port).
- 2: usage: bad arguments or input refused before any request (token, base URL, times).
- 3: outcome unknown: a booking or lead may have been created; check before trying again.
- 4: no booking made: ``book --recover`` ran out of slots, attempts or time, or ``book --near``
  found no bookable slot.
- 130: interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
from collections.abc import Callable, Coroutine, Sequence
from datetime import datetime, timedelta, tzinfo
from typing import Any, NoReturn

from yarl import URL

from ._client import (
    BASE_URL_ENV,
    DEFAULT_BASE_URL,
    INSECURE_HTTP_ENV,
    TOKEN_ENV,
    RocketLeadClient,
    is_loopback,
)
from ._table import render_table
from ._version import __version__
from ._wire import to_dict
from .errors import APIStatusError, OutcomeUnknownError, RocketLeadError, SlotRecoveryExhausted
from .models import BookingRequest, Calendar, LeadRequest, Slot
from .recovery import SlotRecovery

__all__ = ["main", "render_table"]

Handler = Callable[[argparse.Namespace], Coroutine[Any, Any, int]]

# ``book --near`` looks as far as recovery does by default.
_NEAR_WINDOW = SlotRecovery().window

EXIT_OK, EXIT_API, EXIT_USAGE, EXIT_UNKNOWN, EXIT_NOT_BOOKED, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130


class CLIError(Exception):
    """A problem with the command line or its environment (exit code 2)."""


class _UsageError(Exception):
    """argparse refused the command line; ``prog`` is the (sub)command."""

    def __init__(self, prog: str, message: str) -> None:
        super().__init__(message)
        self.prog = prog


class _Parser(argparse.ArgumentParser):
    """argparse whose errors are one line (usage stays behind ``--help``)."""

    def error(self, message: str) -> NoReturn:
        raise _UsageError(self.prog, message)


def _aware(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO-8601 timestamp: {text!r}") from None
    if value.utcoffset() is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} has no UTC offset; write e.g. 2027-03-24T15:00:00+01:00"
        )
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number of seconds > 0, not {text}")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0-65535 (0 picks a free one), not {value}")
    return value


def _field(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, not {text!r}")
    return name.strip(), value


def _callers(text: str) -> int:
    from ._demo import check_callers

    try:
        return check_callers(int(text))
    except ValueError as exc:
        message = str(exc) if text.strip().lstrip("+-").isdigit() else f"not a number: {text!r}"
        raise argparse.ArgumentTypeError(message) from None


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, default=str, ensure_ascii=False))


def _client(args: argparse.Namespace) -> RocketLeadClient:
    if not os.environ.get(TOKEN_ENV, "").strip():
        raise CLIError(f"set {TOKEN_ENV} to your API token (rocketlead_...)")
    try:
        return RocketLeadClient(
            base_url=args.base_url,
            timeout=args.timeout,
            allow_insecure_http=args.allow_insecure_http or None,
        )
    except (TypeError, ValueError) as exc:
        raise CLIError(str(exc)) from None


def _zone(calendar: Calendar) -> tzinfo | None:
    """The calendar's zone, or ``None`` (show each time in its own offset) if it has none."""
    try:
        return calendar.zoneinfo
    except ValueError:
        return None


def _day_time(value: datetime, zone: tzinfo | None) -> str:
    return value.astimezone(zone or value.tzinfo).strftime("%a %Y-%m-%d %H:%M")


def _clock(value: datetime, zone: tzinfo | None) -> str:
    return value.astimezone(zone or value.tzinfo).strftime("%H:%M")


def _show(
    args: argparse.Namespace,
    items: Sequence[Any],
    headers: Sequence[str],
    row: Callable[[Any], Sequence[object]],
) -> int:
    """Print ``items`` as JSON (``--json``) or as a table of ``row(item)``."""
    if args.json:
        _print_json([to_dict(item) for item in items])
    else:
        print(render_table(headers, [row(item) for item in items]))
    return 0


async def _calendars(args: argparse.Namespace) -> int:
    async with _client(args) as client:
        calendars = await client.calendars.list()
    return _show(args, calendars, ["id", "name", "time zone"], lambda c: (c.id, c.name, c.tzdata))


async def _resources(args: argparse.Namespace) -> int:
    async with _client(args) as client:
        resources = await client.resources.list()
    headers = ["id", "name", "capacity"]
    return _show(args, resources, headers, lambda r: (r.id, r.name, r.max_parallel_bookings))


async def _tables(args: argparse.Namespace) -> int:
    async with _client(args) as client:
        tables = await client.tables.list()

    def row(table: Any) -> tuple[object, ...]:
        default = table.default_lead_state
        new = f"{default.name} ({default.id})" if default else None
        return (table.id, table.name, new, len(table.lead_states))

    return _show(args, tables, ["id", "name", "new-lead state", "lead states"], row)


async def _leads_create(args: argparse.Namespace) -> int:
    data = {name: {"value": value} for name, value in args.field}
    async with _client(args) as client:
        state = args.lead_state
        if state is None:
            table = await client.tables.get(args.table)
            default = table.default_lead_state
            if default is None:
                raise CLIError(f"table {args.table} has no default lead state; pass --lead-state")
            state = default.id
        request = LeadRequest(table_id=args.table, data=data, lead_state_id=state)
        entry = await client.leads.create(request)
    if args.json:
        _print_json(to_dict(entry))
    else:
        print(f"created lead {entry.id} in table {entry.table_id} (state {entry.lead_state_id})")
    return 0


async def _appointment_types(args: argparse.Namespace) -> int:
    async with _client(args) as client:
        types = await client.appointment_types.list()
    headers = ["id", "name", "length (min)", "step (min)"]
    return _show(args, types, headers, lambda t: (t.id, t.name, t.booking_length, t.search_length))


def _slot_row(s: Slot, zone: tzinfo | None) -> tuple[object, ...]:
    return (
        _day_time(s.start, zone),
        _clock(s.end, zone),
        s.resource_name,
        s.resource_id,
        f"{s.current_bookings}/{s.max_parallel_bookings}",
        "yes" if s.has_room else "no",
        s.resource_slot_id,
    )


async def _availability(args: argparse.Namespace) -> int:
    async with _client(args) as client:
        calendar = await client.calendars.get(args.calendar)
        availability = await client.availability.get(
            calendar_id=args.calendar,
            appointment_type_id=args.appointment_type,
            start=args.start,
            end=args.end,
            resource_id=args.resource,
            include_unavailable=args.all,
        )
    slots = availability.slots if args.all else availability.bookable()
    zone = _zone(calendar)
    headers = ["start", "end", "resource", "resource id", "booked", "bookable", "resource slot"]
    _show(args, slots, headers, lambda s: _slot_row(s, zone))
    if not args.json:
        zone_name = calendar.tzdata if zone else "their own UTC offset"
        print(f"{len(slots)} slot(s), times in {zone_name}")
    return 0


async def _nearest_slot(client: RocketLeadClient, args: argparse.Namespace) -> Slot:
    """The bookable slot nearest ``--near`` within recovery's default window each side (only
    ``--resource``'s slots when it is given); no such slot is a "no booking made" (exit 4)."""
    window = _NEAR_WINDOW
    availability = await client.availability.get(
        calendar_id=args.calendar,
        appointment_type_id=args.appointment_type,
        start=args.near - window,
        end=args.near + window,
        resource_id=args.resource,
    )
    nearest = availability.nearest(args.near, resource_id=args.resource, limit=1)
    if not nearest:
        hours = window / timedelta(hours=1)
        raise SlotRecoveryExhausted(
            f"no bookable slot within {hours:g} h of {args.near.isoformat()}",
            reason="no_candidate",
            attempts=(),
            alternatives=(),
        )
    return nearest[0]


def _check_book(args: argparse.Namespace) -> None:
    """``book`` names its slot exactly (``--start``, ``--end``, ``--resource``) or by ``--near``."""
    prog = "rocketlead book"
    if args.near is not None:
        if args.start is not None or args.end is not None:
            given = "--start" if args.start is not None else "--end"
            raise _UsageError(prog, f"argument --near: not allowed with argument {given}")
        return
    if args.start is None:
        raise _UsageError(prog, "one of the arguments --start --near is required")
    missing = [
        flag for flag, value in (("--end", args.end), ("--resource", args.resource)) if not value
    ]
    if missing:
        raise _UsageError(
            prog, f"the following arguments are required: {', '.join(missing)} (or give --near)"
        )


async def _book(args: argparse.Namespace) -> int:
    # Times are shown in the offset the user wrote --start (or --near) in.
    zone = (args.near or args.start).tzinfo
    note = ""
    async with _client(args) as client:
        if args.near is None:
            request = BookingRequest(
                calendar_id=args.calendar,
                start=args.start,
                end=args.end,
                resource_id=args.resource,
                appointment_type_id=args.appointment_type,
                resource_slot_id=args.resource_slot,
                entry_id=args.entry,
                name=args.name,
            )
        else:
            slot = await _nearest_slot(client, args)
            request = BookingRequest.from_slot(
                slot, calendar_id=args.calendar, entry_id=args.entry, name=args.name
            )
            note = f" (the bookable slot nearest {_clock(args.near, zone)})"
        if args.recover:
            # One caller at a terminal has no herd to spread from: the nearest slot.
            outcome = await client.bookings.book(request, recovery=SlotRecovery(spread=1))
            booking = outcome.booking
            if outcome.recovered:
                note = f" (the requested slot was taken; {len(outcome.attempts)} attempts)"
        else:
            booking = await client.bookings.create(request)
    if args.json:
        _print_json(to_dict(booking))
    else:
        span = f"{_day_time(booking.start, zone)}-{_clock(booking.end, zone)}"
        print(f"booked {booking.id}: {span}, resource {booking.resource_id}{note}")
    return 0


async def _delete(args: argparse.Namespace) -> int:
    async with _client(args) as client:
        await client.bookings.delete(args.booking_id)
    if args.json:
        _print_json({"deleted": args.booking_id})
    else:
        print(f"deleted {args.booking_id}")
    return 0


async def _fake_server(args: argparse.Namespace) -> int:
    from .testing import FakeRocketLead

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        # Windows has no loop signal handlers; Ctrl-C then ends it as a KeyboardInterrupt.
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    async with FakeRocketLead.running(seed=args.seed, host=args.host, port=args.port) as fake:
        tokens = {"read": fake.tokens.read, "write": fake.tokens.write, "admin": fake.tokens.admin}
        every_interface = args.host in ("0.0.0.0", "::", "")
        if args.json:
            # One line, so a supervising process can read it with readline().
            print(json.dumps({"url": fake.url, "seed": args.seed, "tokens": tokens}))
        else:
            print(f"FakeRocketLead serving at {fake.url}  (seed {args.seed}; Ctrl-C to stop)")
            for scope, token in tokens.items():
                print(f"  {scope:<5} token: {token}")
            # Served on another host's address, the URL is plain http beyond loopback: the
            # command shown carries the opt-in it needs to work as printed.
            opt_in = "" if is_loopback(URL(fake.url).host or "") else " --allow-insecure-http"
            print(
                f"try: {TOKEN_ENV}={fake.tokens.admin} rocketlead calendars "
                f"--base-url {fake.url}{opt_in}"
            )
            if every_interface:
                print(
                    f"listening on every interface: from other hosts or containers use "
                    f"http://<this host>:{fake.url.rsplit(':', 1)[1]} with {INSECURE_HTTP_ENV}=1"
                    " (plain http, test tokens only)"
                )
        sys.stdout.flush()
        await stop.wait()
    print("FakeRocketLead stopped", file=sys.stderr)
    return 0


async def _demo(args: argparse.Namespace) -> int:
    if args.scene == "barge-in":
        from ._demo_barge_in import run_barge_in

        return await run_barge_in(callers=args.callers, seed=args.seed, as_json=args.json)
    from ._demo import run_demo

    return await run_demo(callers=args.callers, seed=args.seed, as_json=args.json)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="rocketlead",
        description=f"RocketLead Connect API from the command line (token: ${TOKEN_ENV}).",
    )
    parser.add_argument("--version", action="version", version=f"rocketlead-async {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="machine-readable output")
    api = argparse.ArgumentParser(add_help=False, parents=[common])
    api.add_argument(
        "--base-url",
        default=os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL,
        help=f"API root (default: ${BASE_URL_ENV} or {DEFAULT_BASE_URL})",
    )
    api.add_argument(
        "--timeout", type=_seconds, default=10.0, help="seconds per call, retries included"
    )
    api.add_argument(
        "--allow-insecure-http",
        action="store_true",
        help=f"allow plain http to a non-loopback test host (or set {INSECURE_HTTP_ENV}=1)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, handler: Handler, summary: str, parents: list[Any]) -> Any:
        sub = commands.add_parser(name, help=summary, description=summary, parents=parents)
        sub.set_defaults(handler=handler)
        return sub

    command("calendars", _calendars, "list calendars", [api])
    command("appointment-types", _appointment_types, "list appointment types", [api])
    command("resources", _resources, "list resources (trainers, rooms) and their capacity", [api])
    command("tables", _tables, "list lead tables and their new-lead state", [api])
    leads = commands.add_parser("leads", help="lead entries", description="lead entries")
    lead_commands = leads.add_subparsers(dest="leads_command", required=True, metavar="COMMAND")
    lead_parents: list[Any] = [api]
    lead = lead_commands.add_parser(
        "create", help="create a lead", description="create a lead", parents=lead_parents
    )
    lead.set_defaults(handler=_leads_create)
    lead.add_argument("--table", required=True, help="table (lead pool) id")
    lead.add_argument("--lead-state", help="lead state id (default: the table's new-lead state)")
    lead.add_argument(
        "--field",
        type=_field,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a data field, e.g. --field firstName=Jane (repeatable)",
    )
    slots = command("availability", _availability, "bookable slots of a calendar", [api])
    booking = command("book", _book, "book a slot", [api])
    booking.set_defaults(check=_check_book)
    for sub in (slots, booking):
        sub.add_argument("--calendar", required=True, help="calendar id")
        sub.add_argument("--appointment-type", required=True, help="appointment type id")
    # Booking names its slot exactly (--start/--end/--resource) or by a time the caller said.
    for sub, required in ((slots, True), (booking, False)):
        sub.add_argument("--start", required=required, type=_aware, help="ISO-8601 with offset")
        sub.add_argument("--end", required=required, type=_aware, help="ISO-8601 with offset")
    slots.add_argument("--resource", help="only this resource's slots (resource id)")
    booking.add_argument(
        "--resource",
        help="resource id (the 'resource id' column of availability); with --near, only its slots",
    )
    booking.add_argument(
        "--near",
        type=_aware,
        metavar="TIME",
        help="book the bookable slot nearest this time (ISO-8601 with offset), within "
        f"{_NEAR_WINDOW / timedelta(hours=1):g} h",
    )
    slots.add_argument("--all", action="store_true", help="include full and blocked slots")
    booking.add_argument("--resource-slot", help="resourceSlotId from availability")
    booking.add_argument("--entry", help="lead entry id to link")
    booking.add_argument("--name", help="booking name")
    booking.add_argument(
        "--recover", action="store_true", help="if the slot is taken, book the nearest free one"
    )
    delete = command("delete", _delete, "delete a booking (no undo)", [api])
    delete.add_argument("booking_id")
    server = command(
        "fake-server",
        _fake_server,
        "serve an in-memory fake Connect API for testing (prints its URL and tokens)",
        [common],
    )
    server.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (0.0.0.0: every interface)"
    )
    server.add_argument("--port", type=_port, default=8787, help="0 picks a free port")
    server.add_argument("--seed", type=int, default=0)
    demo = command(
        "demo", _demo, "a voice-agent booking rush against the built-in fake server", [common]
    )
    demo.add_argument(
        "--callers", type=_callers, default=20, help="concurrent callers (default 20)"
    )
    demo.add_argument("--seed", type=int, default=0, help="fake data and randomness seed")
    demo.add_argument(
        "--scene",
        choices=("rush", "barge-in"),
        default="rush",
        help="rush: many callers want one hour; barge-in: callers interrupt mid-booking and "
        "LLMs repeat tool calls (BookingDesk)",
    )
    return parser


def _describe(exc: BaseException) -> str:
    """The error as one line (a server message could carry newlines)."""
    text = " ".join(str(exc).split())
    if isinstance(exc, OutcomeUnknownError):
        return f"{text} - it may have been created; check before trying again"
    if isinstance(exc, SlotRecoveryExhausted):
        offered = ", ".join(s.start.isoformat() for s in exc.alternatives[:5])
        return f"no booking made: {text} (alternatives: {offered or 'none'})"
    return text


def _exit_code(exc: BaseException) -> int:
    if isinstance(exc, (CLIError, _UsageError, ValueError, TypeError)):
        return EXIT_USAGE  # refused before any request
    if isinstance(exc, OutcomeUnknownError):
        return EXIT_UNKNOWN
    if isinstance(exc, SlotRecoveryExhausted):
        return EXIT_NOT_BOOKED
    return EXIT_API


def _error_object(exc: BaseException, code: int) -> dict[str, Any]:
    """The ``--json`` form of an error: its type, one-line message, exit code, and the facts a
    script acts on (never a body: it may hold a caller's personal data)."""
    error: dict[str, Any] = {
        "type": "UsageError" if isinstance(exc, (CLIError, _UsageError)) else type(exc).__name__,
        "message": _describe(exc),
        "exit_code": code,
    }
    if isinstance(exc, APIStatusError):
        error.update(status=exc.status, method=exc.method, path=exc.path)
        request_id = getattr(exc, "request_id", None)  # status errors carry it when sent
        if request_id:
            error["request_id"] = request_id
    if isinstance(exc, OutcomeUnknownError) and exc.request is not None:
        error["request"] = to_dict(exc.request)
    if isinstance(exc, SlotRecoveryExhausted):
        error["reason"] = exc.reason
        error["alternatives"] = [to_dict(slot) for slot in exc.alternatives]
    return {"error": error}


def _report(exc: BaseException, as_json: bool) -> int:
    code = _exit_code(exc)
    if as_json:
        print(json.dumps(_error_object(exc, code), ensure_ascii=False), file=sys.stderr)
    elif isinstance(exc, _UsageError):
        print(f"{exc.prog}: error: {exc} (see '{exc.prog} --help')", file=sys.stderr)
    elif isinstance(exc, CLIError):
        print(f"rocketlead: {exc}", file=sys.stderr)
    else:
        print(f"rocketlead: error: {_describe(exc)}", file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (see the module docstring)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    as_json = "--json" in argv
    try:
        args = _parser().parse_args(argv)
        check: Callable[[argparse.Namespace], None] | None = getattr(args, "check", None)
        if check is not None:
            check(args)
    except _UsageError as exc:
        return _report(exc, as_json)
    except SystemExit as exit_:  # --help and --version
        return 0 if exit_.code is None else exit_.code if isinstance(exit_.code, int) else 2
    handler: Handler = args.handler
    try:
        return asyncio.run(handler(args))
    except BrokenPipeError:
        # The reader went away (``rocketlead ... | head``); stop quietly, also at exit.
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_API
    except (CLIError, RocketLeadError, ValueError, TypeError, OSError) as exc:
        return _report(exc, as_json)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
