"""Run the rocketlead-async benchmarks: print markdown tables, write JSON (and the markdown).

    python benchmarks/run.py            # full: 2.5-5 min on 2 cores; results/latest.{json,md}
    python benchmarks/run.py --quick    # < 60 s (11-25 s); results/latest-quick.{json,md}
    python benchmarks/run.py --quick --output /tmp/bench --only decode,contention

Sections (one module each): ``overhead`` (SDK vs raw aiohttp vs the floor, sequential and 32
tasks, ``book()`` with the slot free, against the loopback server process of ``_server.py``),
``race`` (``book()`` losing one race vs the same loop written with SDK calls; objects left for
the cyclic GC per call), ``imports`` (import time, aiohttp excluded), ``decode`` (our converter
vs bare cattrs), ``memory`` (growth over many calls, idle client cost), ``contention``
(slot-race recovery strategies on FakeRocketLead), ``fleet`` (recovery across P processes x C
callers, each on a client of its own, with and without Redis seat claims). These are
measurements, not tests: the exit status is 0 whether or not a target is met; the "targets"
table says which were.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import math
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # run as a script from anywhere: siblings import as top-level
    sys.path.insert(0, str(HERE))

import contention  # noqa: E402
import decode  # noqa: E402
import fleet  # noqa: E402
import imports  # noqa: E402
import memory  # noqa: E402
import overhead  # noqa: E402
import race  # noqa: E402
from _report import machine, markdown, targets  # noqa: E402
from _server import LoopbackServer  # noqa: E402

SECTIONS = ("imports", "overhead", "race", "decode", "memory", "contention", "fleet")


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller samples (< 60 s)")
    parser.add_argument(
        "--output", type=Path, default=HERE / "results", help="directory for the result files"
    )
    parser.add_argument(
        "--only", default=",".join(SECTIONS), help=f"comma-separated subset of {SECTIONS}"
    )
    parser.add_argument(
        "--render",
        type=Path,
        metavar="JSON",
        help="only re-print (and re-write beside it) the tables of a saved result file",
    )
    parser.add_argument(
        "--extra",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="also run the extra recovery settings (default: in full runs only)",
    )
    args = parser.parse_args(argv)
    args.sections = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(args.sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s): {', '.join(sorted(unknown))}")
    if args.extra is None:
        args.extra = not args.quick
    return args


def _clean(value: Any) -> Any:
    """JSON-safe: NaN becomes null."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def _section(name: str, started: float, meta: dict[str, Any]) -> None:
    print(f"[{time.perf_counter() - started:6.1f} s] {name} …", file=sys.stderr, flush=True)
    if hasattr(os, "getloadavg"):  # the neighbours' load, as each section starts
        meta.setdefault("loadavg_by_section", {})[name] = os.getloadavg()
    gc.collect()


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Every requested section; the loopback server lives only while a section needs it."""
    quick, started = args.quick, time.perf_counter()
    results: dict[str, Any] = {
        "meta": {
            "mode": "quick" if quick else "full",
            "started_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "machine": machine(),
        }
    }
    if "imports" in args.sections:  # first: fresh processes, before this one heats up
        _section("imports", started, results["meta"])
        results["imports"] = imports.run(quick=quick)
    if "decode" in args.sections:
        _section("decode", started, results["meta"])
        results["decode"] = decode.run(quick=quick)
    served = {"overhead": overhead.run, "race": race.run, "memory": memory.run}
    needs_server = [s for s in served if s in args.sections]
    if needs_server:
        with LoopbackServer() as url:
            for name in needs_server:
                _section(name, started, results["meta"])
                results[name] = asyncio.run(served[name](url, quick=quick))
    if "contention" in args.sections:
        _section("contention", started, results["meta"])
        results["contention"] = asyncio.run(contention.run(quick=quick, extra=args.extra))
    if "fleet" in args.sections:
        _section("fleet", started, results["meta"])
        results["fleet"] = asyncio.run(fleet.run(quick=quick))
    results["meta"]["seconds"] = time.perf_counter() - started
    results["meta"]["loadavg_at_end"] = os.getloadavg() if hasattr(os, "getloadavg") else None
    results["targets"] = targets(results)
    return results


def _render(path: Path) -> int:
    """Tables of a saved run, targets re-evaluated (e.g. after a change to their labels)."""
    results = json.loads(path.read_text())
    results["targets"] = targets(results)
    table = markdown(results)
    path.write_text(json.dumps(_clean(results), indent=2) + "\n")
    path.with_suffix(".md").write_text(table)
    print(table)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if args.render is not None:
        return _render(args.render)
    results = run(args)
    table = markdown(results)
    args.output.mkdir(parents=True, exist_ok=True)
    stem = "latest-quick" if args.quick else "latest"
    if set(args.sections) != set(SECTIONS):
        stem += "-" + "-".join(args.sections)
    (args.output / f"{stem}.json").write_text(json.dumps(_clean(results), indent=2) + "\n")
    (args.output / f"{stem}.md").write_text(table)
    print(table)
    print(f"wrote {os.path.relpath(args.output / stem)}.json and .md", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
