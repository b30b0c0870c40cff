"""Commands a user runs in a project of their own (pip, pytest), run and checked by a test."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest


def run_checked(
    *command: str | Path, cwd: Path, env: dict[str, str] | None = None, timeout: float = 300
) -> str:
    """Run ``command`` in ``cwd``; its stdout, or a test failure showing the output's tail."""
    run = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if run.returncode != 0:
        pytest.fail(f"{command} failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}")
    return run.stdout
