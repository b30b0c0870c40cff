"""Import time of the SDK, aiohttp excluded.

Each sample is a fresh interpreter (``python -X importtime``) that imports aiohttp first, then
times ``import rocketlead_async``: that second step is everything the SDK adds, its own modules
and the dependencies only it pulls in (whatever of cattrs/tenacity is imported eagerly). From
the ``-X importtime`` lines of the same process: the self time of the SDK's own modules, and
which of them (and of cattrs, tenacity, ``rocketlead_async.testing``/``cli``) were imported at
all. The processes run one after another.

With bytecode caches, as an installed package has them: the samples run with
``PYTHONDONTWRITEBYTECODE`` removed and ``PYTHONPYCACHEPREFIX`` set to a temporary directory
(warmed by one discarded process), so the worktree stays clean. A few samples without any cache
(every module compiled from source, as in an environment with ``PYTHONDONTWRITEBYTECODE=1`` and
an editable install) are reported beside them.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from typing import Any

__all__ = ["run"]

_PROBE = (
    "import time, aiohttp; t = time.perf_counter(); import rocketlead_async; "
    "print('TOTAL', time.perf_counter() - t)"
)


def _sample(env: dict[str, str]) -> tuple[float, dict[str, int]]:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", _PROBE],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    total = float(done.stdout.split()[-1])
    self_us: dict[str, int] = {}
    after_aiohttp = False
    for line in done.stderr.splitlines():
        # "import time: <self us> | <cumulative us> | <indented name>", a module after its
        # imports: everything after aiohttp's own line is what ``import rocketlead_async`` added.
        fields = line.removeprefix("import time:").split("|")
        if len(fields) != 3 or not fields[0].strip().isdigit():
            continue
        name = fields[2].strip()
        if after_aiohttp:
            self_us[name] = int(fields[0])
        after_aiohttp = after_aiohttp or name == "aiohttp"
    return total, self_us


def run(*, quick: bool) -> dict[str, Any]:
    """Median import time over fresh processes, and what the import pulled in."""
    base = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE",)}
    with tempfile.TemporaryDirectory(prefix="rl-bench-pycache-") as cache:
        cached = {**base, "PYTHONPYCACHEPREFIX": cache}
        _sample(cached)  # writes the caches
        samples = [_sample(cached) for _ in range(5 if quick else 15)]
    uncached = {**base, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPYCACHEPREFIX": os.devnull}
    cold = [_sample(uncached)[0] * 1000 for _ in range(3)]
    totals = [total * 1000 for total, _ in samples]
    own = [
        sum(us for name, us in modules.items() if name.split(".")[0] == "rocketlead_async") / 1000
        for _, modules in samples
    ]
    modules = samples[-1][1]

    def imported(prefix: str) -> bool:
        return any(name == prefix or name.startswith(prefix + ".") for name in modules)

    return {
        "samples": len(samples),
        "total_ms": {"median": statistics.median(totals), "min": min(totals)},
        "without_bytecode_cache_ms": {"median": statistics.median(cold), "min": min(cold)},
        "own_modules_self_ms": {"median": statistics.median(own), "min": min(own)},
        "imported": {
            name: imported(name)
            for name in (
                "attrs",
                "cattrs",
                "tenacity",
                "rocketlead_async.testing",
                "rocketlead_async.cli",
            )
        },
        "slowest_after_aiohttp_ms": sorted(
            ((name, us / 1000) for name, us in modules.items()), key=lambda kv: -kv[1]
        )[:8],
    }
