"""The machine, the targets, and the markdown tables of a benchmark run."""

from __future__ import annotations

import math
import os
import platform
import sys
from importlib import metadata
from typing import Any

__all__ = ["machine", "markdown", "targets"]


def machine() -> dict[str, Any]:
    """What ran the benchmarks: CPUs, CPU model, Python and library versions, load."""
    model = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            model = next(
                (
                    line.split(":", 1)[1].strip()
                    for line in cpuinfo
                    if line.startswith("model name")
                ),
                model,
            )
    except OSError:
        pass
    versions = {}
    for package in ("aiohttp", "cattrs", "attrs", "orjson", "yarl", "rocketlead-async"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "implementation": sys.implementation.name,
        "platform": platform.platform(),
        "versions": versions,
        "loadavg_at_start": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }


def _target(
    name: str, value: float, limit: float, *, at_most: bool, strict: bool = False
) -> dict[str, Any]:
    if strict:
        met, bound = (
            (value < limit, f"< {limit:.2f}") if at_most else (value > limit, f"> {limit:.2f}")
        )
    elif at_most:
        met, bound = value <= limit, f"<= {limit:g}"
    else:
        met, bound = value >= limit, f">= {limit:g}"
    return {"target": name, "value": value, "bound": bound, "met": bool(met)}


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target of the issue against this run's number (only sections that ran)."""
    out = []
    imports = results.get("imports")
    if imports:
        out.append(
            _target(
                # No baseline to interleave with: the least disturbed of the fresh processes.
                "import rocketlead_async after aiohttp: ms (min of fresh processes)",
                imports["total_ms"]["min"],
                25,
                at_most=True,
            )
        )
    overhead = results.get("overhead")
    if overhead:
        for key, label, limit in (
            ("sequential_booking", "bookings.create", 1.12),
            ("sequential_availability", "availability.get (48 slots)", 1.30),
        ):
            value = overhead[key]["latency_ratio_median"]["sdk_vs_raw"]
            out.append(_target(f"{label}: SDK/raw median latency", value, limit, at_most=True))
        value = overhead["concurrent_booking"]["throughput_ratio_median"]["sdk_vs_raw"]
        out.append(
            _target("bookings.create, 32 tasks: SDK/raw bookings/s", value, 0.90, at_most=False)
        )
        book = overhead["sequential_booking"].get("book_vs_create_latency_median")
        if book is not None:
            out.append(
                _target("book() with the slot free / create(): median latency", book, 1.03,
                        at_most=True)
            )  # fmt: skip
    race = results.get("race")
    if race:
        out.append(
            _target(
                "book() losing one race / the same loop with SDK calls: median latency",
                race["lost_race"]["latency_ratio_median"],
                1.05,
                at_most=True,
            )
        )
        for kind, label in (("create", "create"), ("book", "book"), ("book_lost", "lost race")):
            out.append(
                _target(
                    f"objects left for the cyclic GC per call: {label}",
                    race["cycles_per_call"][kind],
                    0,
                    at_most=True,
                )
            )
    for name, row in (results.get("decode") or {}).items():
        out.append(_target(f"decode {name}: ours/bare median", row["ratio"], 1.1, at_most=True))
    memory = results.get("memory")
    if memory:
        growth = memory["growth"]
        out.append(
            _target(
                f"memory: traced growth after warm-up over {growth['calls']:,} calls (bytes)",
                growth["traced_growth_bytes"],
                64 * 1024,
                at_most=True,
            )
        )
    contention = results.get("contention")
    if contention:
        rows = contention["rows"]
        by_key = {(r["strategy"], r["callers"]): r for r in rows}
        for row in rows:
            if row["strategy"] in ("book", "book_spread4"):
                out.append(
                    _target(
                        f"contention M={row['callers']}: {row['strategy']} booked share",
                        row["booked_share"],
                        0.99,
                        at_most=False,
                    )
                )
        for (strategy, callers), row in by_key.items():
            naive = by_key.get(("naive", callers))
            if strategy in ("book", "book_spread4") and callers >= 50 and naive:
                out.append(
                    _target(
                        f"contention M={callers}: {strategy} POSTs per booking, fewer than naive",
                        row["posts_per_booking"],
                        naive["posts_per_booking"],
                        at_most=True,
                        strict=True,
                    )
                )
        worst = max(r["capacity_violations"] + r["double_bookings"] for r in rows)
        out.append(
            _target("contention: seats over capacity + double bookings", worst, 0, at_most=True)
        )
    out += _fleet_targets(results.get("fleet"))
    return out


def _fleet_targets(fleet: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Issue 16's targets: Redis claims book (nearly) everyone with few POSTs, no slower than
    spread=4; without Redis the default is no worse than the docs' loop; nothing is lost."""
    if not fleet:
        return []
    out = []
    by_key = {(r["strategy"], r["callers"]): r for r in fleet["rows"]}
    for (strategy, callers), row in by_key.items():
        size = f"fleet {row['processes']}x{row['callers_per_process']}"
        if strategy == "redis":
            out.append(_target(f"{size}: Redis booked share", row["booked_share"], 0.99,
                               at_most=False))  # fmt: skip
            out.append(_target(f"{size}: Redis POSTs per booking", row["posts_per_booking"],
                               2.2, at_most=True))  # fmt: skip
            spread4 = by_key.get(("spread4", callers))
            if spread4:
                out.append(
                    _target(
                        f"{size}: Redis p95 s to booking, no worse than spread=4",
                        row["seconds_to_booking_p95"],
                        spread4["seconds_to_booking_p95"],
                        at_most=True,
                    )
                )
        naive = by_key.get(("naive", callers))
        if strategy == "spread1" and naive:
            out.append(
                _target(
                    f"{size}: default (spread=1) booked share, no worse than the docs' loop",
                    row["booked_share"],
                    naive["booked_share"],
                    at_most=False,
                )
            )
        if strategy == "redis_down":
            out.append(_target(f"{size}: Redis killed mid-run, callers lost", row["lost"], 0,
                               at_most=True))  # fmt: skip
    worst = max(r["capacity_violations"] + r["double_bookings"] for r in fleet["rows"])
    out.append(_target("fleet: seats over capacity + double bookings", worst, 0, at_most=True))
    return out


# -- markdown ---------------------------------------------------------------------------------


def _num(value: float | None, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:,.{digits}f}"


def _table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


_VARIANTS = ("raw", "floor", "sdk")


def _overhead_rows(label: str, stats: dict[str, dict[str, float]], tail: str | None) -> list[str]:
    """One table row: each variant's median (/ its ``tail`` percentile), then ratios to raw."""
    cells = [label]
    for name in _VARIANTS:
        value = _num(stats[name]["median"])
        cells.append(f"{value} / {_num(stats[name].get(tail))}" if tail else value)
    raw = stats["raw"]["median"]
    sdk_tail, raw_tail = (stats["sdk"].get(tail), stats["raw"].get(tail)) if tail else (None, None)
    cells += [
        _num(stats["floor"]["median"] / raw, 2),
        _num(stats["sdk"]["median"] / raw, 2),
        # p5 is missing from files written before it was recorded
        _num(sdk_tail / raw_tail, 2) if sdk_tail and raw_tail else "",
    ]
    return cells


def _overhead(overhead: dict[str, Any]) -> str:
    rows = []
    for key, label in (
        ("sequential_booking", "bookings.create, sequential: µs per call"),
        ("sequential_availability", "availability.get (48 slots), sequential: µs per call"),
        ("concurrent_booking", "bookings.create, 32 tasks: µs per call"),
    ):
        clients = overhead[key]["clients"]
        latency = {name: clients[name]["latency_us"] for name in _VARIANTS}
        cpu = {name: clients[name]["cpu_us_per_item"] for name in _VARIANTS}
        rows.append(_overhead_rows(label, latency, "p95"))
        rows.append(_overhead_rows("… client CPU µs per call", cpu, None))
    clients = overhead["concurrent_booking"]["clients"]
    rate = {name: clients[name]["throughput_per_s"] for name in _VARIANTS}
    label = "bookings.create, 32 tasks: bookings per second (median / p5: slowest bursts)"
    rows.append(_overhead_rows(label, rate, "p5"))
    headers = [
        "measure (median / p95)",
        "raw",
        "floor",
        "SDK",
        "floor/raw",
        "SDK/raw",
        "SDK/raw p95 (p5)",
    ]
    table = _table(headers, rows)
    booking = overhead["sequential_booking"]
    if "book" not in booking["clients"]:
        return table
    clients = booking["clients"]
    rows = [
        [
            label,
            f"{_num(clients[name]['latency_us']['median'])} / "
            f"{_num(clients[name]['latency_us']['p95'])}",
            _num(clients[name]["cpu_us_per_item"]["median"]),
        ]
        for name, label in (("sdk", "bookings.create"), ("book", "bookings.book, slot free"))
    ]
    rows.append(
        [
            "book / create",
            _num(booking["book_vs_create_latency_median"], 3),
            _num(booking["book_vs_create_cpu_median"], 3),
        ]
    )
    headers = ["no race (sequential, same blocks)", "µs per call (median / p95)", "client CPU µs"]
    return table + "\n\n" + _table(headers, rows)


def _race(race: dict[str, Any]) -> str:
    lost = race["lost_race"]
    clients = lost["clients"]
    rows = [
        [
            label,
            f"{_num(clients[name]['latency_us']['median'])} / "
            f"{_num(clients[name]['latency_us']['p95'])}",
            _num(clients[name]["cpu_us_per_item"]["median"]),
        ]
        for name, label in (
            ("book_lost", "book(): POST lost, refetch, POST"),
            ("loop_lost", "the same loop with SDK calls"),
        )
    ]
    rows.append(
        ["book() / loop", _num(lost["latency_ratio_median"], 3), _num(lost["cpu_ratio_median"], 3)]
    )
    table = _table(["lost race (sequential)", "µs per call (median / p95)", "client CPU µs"], rows)
    cycles = race["cycles_per_call"]
    labels = {
        "raw": "raw aiohttp POST + json.loads, for scale",
        "create": "bookings.create",
        "book": "bookings.book, slot free",
        "availability": "availability.get (48 slots)",
        "book_lost": "bookings.book, one race lost",
        "loop_lost": "the same loop with SDK calls",
    }
    rows = [[labels.get(name, name), _num(value, 2)] for name, value in cycles.items()]
    calls = race["cycles_calls"]
    headers = [f"objects left for the cyclic GC (per call, {calls:,} calls)", "objects"]
    return table + "\n\n" + _table(headers, rows)


def _imports(imports: dict[str, Any]) -> str:
    rows = [
        [
            f"import rocketlead_async after aiohttp ({imports['samples']} fresh processes, "
            "bytecode cached)",
            f"{_num(imports['total_ms']['median'], 1)} / {_num(imports['total_ms']['min'], 1)}",
        ],
        [
            "… the same without bytecode caches (every module compiled; 3 processes)",
            f"{_num(imports['without_bytecode_cache_ms']['median'], 1)} / "
            f"{_num(imports['without_bytecode_cache_ms']['min'], 1)}",
        ],
        [
            "… self time of rocketlead_async.* modules (-X importtime)",
            f"{_num(imports['own_modules_self_ms']['median'], 1)} / "
            f"{_num(imports['own_modules_self_ms']['min'], 1)}",
        ],
        [
            "imported by it",
            ", ".join(name for name, seen in imports["imported"].items() if seen) or "none",
        ],
        [
            "not imported",
            ", ".join(name for name, seen in imports["imported"].items() if not seen) or "none",
        ],
        [
            "slowest modules (self ms, last sample)",
            ", ".join(f"{name} {ms:.1f}" for name, ms in imports["slowest_after_aiohttp_ms"]),
        ],
    ]
    return _table(["import time", "ms (median / min)"], rows)


def _decode(decode: dict[str, Any]) -> str:
    rows = [
        [
            name,
            f"{_num(row['ours_us']['median'], 1)} / {_num(row['ours_us']['p95'], 1)}",
            f"{_num(row['bare_us']['median'], 1)} / {_num(row['bare_us']['p95'], 1)}",
            _num(row["ratio"], 2),
        ]
        for name, row in decode.items()
    ]
    return _table(["decode (µs, median / p95)", "ours", "bare cattrs", "ours/bare"], rows)


def _memory(memory: dict[str, Any]) -> str:
    growth, idle = memory["growth"], memory["idle"]
    rows = [
        [
            f"{growth['calls']:,} calls on one client (warm-up {growth['warmup_calls']:,})",
            f"{_num(growth['traced_growth_bytes'])} B "
            f"({_num(growth['traced_slope_bytes_per_call'], 2)} B/call slope)",
            f"{_num(growth['rss_growth_bytes'] / 1024)} KiB "
            f"({_num(growth['rss_slope_bytes_per_call'], 2)} B/call slope)",
        ],
        ["idle RocketLeadClient (constructed)", f"{_num(idle['client_bytes'])} B", ""],
        ["… plus its lazily created session", f"{_num(idle['client_session_bytes'])} B", ""],
        [
            "bare aiohttp.ClientSession(), for scale",
            f"{_num(idle['bare_aiohttp_session_bytes'])} B",
            "",
        ],
    ]
    return _table(["memory", "tracemalloc", "RSS"], rows)


def _contention(contention: dict[str, Any]) -> str:
    rows = []
    for row in contention["rows"]:
        setup, r = row["setup"], row
        rows.append(
            [
                str(r["callers"]),
                f"{setup['free_seats_at_requested_hour']} / "
                f"{setup['free_seats_on_the_hour_in_window']}",
                r["strategy"],
                str(r.get("clients", 1)),
                f"{r['booked_share'] * 100:.1f}%",
                f"{_num(r['posts_per_booked_caller_mean'], 2)} / "
                f"{r['posts_per_booked_caller_max']}",
                _num(r["posts_per_booking"], 2),
                _num(r["gets_per_booking"], 2),
                f"{_num(r['seconds_to_booking_p50'] * 1000)} / "
                f"{_num(r['seconds_to_booking_p95'] * 1000)}",
                f"{_num(r['minutes_from_request_mean'])} / {_num(r['minutes_from_request_max'])}",
                f"{r['capacity_violations']} / {r['double_bookings']}",
            ]
        )
    headers = [
        "M",
        "free seats: hour / window",
        "strategy",
        "clients",
        "booked",
        "POSTs per booked caller (mean / max)",
        "POSTs per booking",
        "GETs per booking",
        "ms to booking (p50 / p95)",
        "min from request (mean / max)",
        "over capacity / double",
    ]
    return _table(headers, rows)


def _fleet(fleet: dict[str, Any]) -> str:
    rows = []
    for r in fleet["rows"]:
        rows.append(
            [
                f"{r['processes']} x {r['callers_per_process']}",
                str(r["setup"]["free_seats_at_requested_hour"]),
                r["strategy"],
                f"{r['booked_share'] * 100:.1f}%",
                _num(r["posts_per_booking"], 2),
                _num(r["gets_per_booking"], 2),
                f"{_num(r['seconds_to_booking_p50'] * 1000)} / "
                f"{_num(r['seconds_to_booking_p95'] * 1000)}",
                str(r["capacity_violations"]),
                str(r["double_bookings"]),
                str(r["lost"]),
                str(r["fallbacks"]),
            ]
        )
    headers = [
        "processes x callers",
        "free seats at the hour",
        "strategy",
        "booked",
        "POSTs per booking",
        "GETs per booking",
        "ms to booking (p50 / p95)",
        "over capacity",
        "callers with two bookings",
        "lost (no booking, no alternatives)",
        "Redis fallbacks",
    ]
    return _table(headers, rows)


def markdown(results: dict[str, Any]) -> str:
    """Every section that ran, as markdown tables, machine and targets first."""
    meta = results["meta"]
    host = meta["machine"]
    versions = host["versions"]
    parts = [
        f"**{meta['mode']} run**, {meta['seconds']:.0f} s — {host['nproc']} x {host['cpu_model']}, "
        f"Python {host['python']}, aiohttp {versions['aiohttp']}, cattrs {versions['cattrs']}, "
        f"orjson {versions['orjson']}; load average at start "
        f"{', '.join(f'{x:.2f}' for x in host['loadavg_at_start'] or [])}, at the end "
        f"{', '.join(f'{x:.2f}' for x in meta.get('loadavg_at_end') or []) or 'n/a'}. "
        "A shared machine: every ratio compares variants interleaved in the same run.",
    ]
    rows = [
        [t["target"], _num(t["value"], 3 if abs(t["value"]) < 10 else 0), t["bound"],
         "yes" if t["met"] else "**no**"]
        for t in results["targets"]
    ]  # fmt: skip
    parts.append(_table(["target", "value", "bound", "met"], rows))
    if "imports" in results:
        parts.append(_imports(results["imports"]))
    if "overhead" in results:
        parts.append(_overhead(results["overhead"]))
    if "race" in results:
        parts.append(_race(results["race"]))
    if "decode" in results:
        parts.append(_decode(results["decode"]))
    if "memory" in results:
        parts.append(_memory(results["memory"]))
    if "contention" in results:
        parts.append(_contention(results["contention"]))
    if "fleet" in results:
        parts.append(_fleet(results["fleet"]))
    return "\n\n".join(parts) + "\n"
