"""Summaries and interleaving for noisy machines.

Every comparison in these benchmarks is a ratio of two variants measured in the same run,
interleaved in small blocks (A B, then B A, then A B …) so that a neighbour's burst of CPU or a
slow drift hits every variant alike. Numbers are medians with the 95th percentile beside them;
means are kept only where a total matters (POSTs per booking).
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

__all__ = [
    "AsyncVariant",
    "Block",
    "Variant",
    "interleave",
    "interleave_async",
    "percentile",
    "ratio",
    "summary",
]

Variant = Callable[[int], list[float]]
"""Runs one block of ``n`` items; returns ``n`` per-item wall times in seconds."""
AsyncVariant = Callable[[int], Awaitable[list[float]]]


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) with linear interpolation; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary(values: Sequence[float], scale: float = 1.0) -> dict[str, float]:
    """Median, p95 (and p5), mean, min and count of ``values`` times ``scale`` (1e6 for µs)."""
    if not values:
        return {
            "median": math.nan,
            "p95": math.nan,
            "p5": math.nan,
            "mean": math.nan,
            "min": math.nan,
            "n": 0,
        }
    return {
        "median": statistics.median(values) * scale,
        "p95": percentile(values, 95) * scale,
        "p5": percentile(values, 5) * scale,
        "mean": statistics.fmean(values) * scale,
        "min": min(values) * scale,
        "n": len(values),
    }


def ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator``, NaN when the denominator is not positive."""
    return numerator / denominator if denominator > 0 else math.nan


class Block:
    """What one block of one variant measured: per-item wall times and the CPU it used."""

    __slots__ = ("cpu", "items", "wall")

    def __init__(self) -> None:
        self.items: list[float] = []
        self.wall = 0.0
        self.cpu = 0.0


def _orders(names: Sequence[str], rounds: int) -> list[list[str]]:
    """A B …, then … B A: each round reverses the previous order, cancelling linear drift."""
    forward = list(names)
    return [forward if r % 2 == 0 else forward[::-1] for r in range(rounds)]


def _merge(blocks: dict[str, list[Block]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for name, measured in blocks.items():
        items = [t for block in measured for t in block.items]
        out[name] = {
            "latency_us": summary(items, 1e6),
            "cpu_us_per_item": summary(
                [b.cpu / max(len(b.items), 1) for b in measured if b.items], 1e6
            ),
            "blocks": len(measured),
            "items": len(items),
            "wall_s": sum(b.wall for b in measured),
            "throughput_per_s": summary([len(b.items) / b.wall for b in measured if b.wall > 0]),
        }
    return out


def interleave(
    variants: dict[str, Variant], *, rounds: int, per_block: int
) -> dict[str, dict[str, Any]]:
    """Run each variant ``rounds`` times in blocks of ``per_block`` items, interleaved.

    Per variant: per-item latency (median/p95 over all items), CPU per item and items per
    second (median/p95 over blocks), and totals.
    """
    blocks: dict[str, list[Block]] = {name: [] for name in variants}
    for order in _orders(list(variants), rounds):
        for name in order:
            block = Block()
            cpu, wall = time.process_time(), time.perf_counter()
            block.items = variants[name](per_block)
            block.wall = time.perf_counter() - wall
            block.cpu = time.process_time() - cpu
            blocks[name].append(block)
    return _merge(blocks)


async def interleave_async(
    variants: dict[str, AsyncVariant],
    *,
    rounds: int,
    per_block: int,
) -> dict[str, dict[str, Any]]:
    """:func:`interleave` for coroutine variants (one block runs at a time)."""
    blocks: dict[str, list[Block]] = {name: [] for name in variants}
    for order in _orders(list(variants), rounds):
        for name in order:
            block = Block()
            cpu, wall = time.process_time(), time.perf_counter()
            block.items = await variants[name](per_block)
            block.wall = time.perf_counter() - wall
            block.cpu = time.process_time() - cpu
            blocks[name].append(block)
    return _merge(blocks)
