"""What the OpenTelemetry hooks cost per HTTP attempt (µs), three ways:

- ``off``: ``telemetry=False``, or ``opentelemetry-api`` not installed (the shared no-op);
- ``api, no SDK``: ``opentelemetry-api`` installed, no SDK configured (the global proxies);
- ``SDK, no exporter``: an SDK ``TracerProvider`` and ``MeterProvider`` recording in memory.

Each row times one attempt's hooks (span start, status, end, duration and counter records)
in a tight loop, best of 5. ``python benchmarks/telemetry.py [--output DIR]`` prints the table
and writes ``DIR/telemetry.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import timeit
from pathlib import Path
from typing import Any

from rocketlead_async import _telemetry


def _attempt(telemetry: _telemetry.Telemetry) -> None:
    with telemetry.attempt("GET", "/connect/calendar/cal_1", "api.rocketlead.io", 443, 1) as span:
        span.status(200)


def _per_call_us(telemetry: _telemetry.Telemetry, number: int) -> float:
    timer = timeit.Timer(lambda: _attempt(telemetry))
    return min(timer.repeat(repeat=5, number=number)) / number * 1e6


def run(output: Path | None = None) -> dict[str, Any]:
    rows: dict[str, float | None] = {"off": _per_call_us(_telemetry.NOOP, 100_000)}
    try:
        rows["api, no SDK"] = _per_call_us(_telemetry.make_telemetry(True), 50_000)
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.trace import TracerProvider

        sdk = _telemetry.make_telemetry(
            True, tracer_provider=TracerProvider(), meter_provider=MeterProvider()
        )
        rows["SDK, no exporter"] = _per_call_us(sdk, 10_000)
    except ImportError:
        rows.setdefault("api, no SDK", None)
        rows["SDK, no exporter"] = None
    print("telemetry hooks per HTTP attempt")
    for name, value in rows.items():
        shown = "not installed" if value is None else f"{value:7.2f} µs"
        print(f"  {name:<18} {shown}")
    result = {"python": sys.version.split()[0], "per_attempt_us": rows}
    if output is not None:
        output.mkdir(parents=True, exist_ok=True)
        (output / "telemetry.json").write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=None)
    run(parser.parse_args().output)
