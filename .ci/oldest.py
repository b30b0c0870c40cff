"""Print pip constraints pinning each direct dependency to the oldest release pyproject allows.

Used by `.ci/matrix` for its "oldest" leg. For every requirement with a `>=` lower bound in
`[project] dependencies` (and in the extras named on the command line), it asks the leg's own
interpreter (`PYTHON -m pip index versions NAME`, which lists only the releases that interpreter
can install and skips yanked ones) for the lowest release at or above the bound, and prints
`NAME==VERSION`. A yanked release is skipped on purpose: pip never picks one for a `>=` bound, so
no user gets it without pinning it by hand. Transitive dependencies are left to pip (the newest
that fit), like uv's `--resolution lowest-direct`.

    python3 .ci/oldest.py PYTHON [EXTRA ...] > constraints.txt

Needs Python >= 3.11 (tomllib) for itself; PYTHON may be any supported interpreter.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import tomllib

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"
# "name[extra]>=1.2, <2 ; marker" -> name, lower bound. Only plain `>=` bounds are pinned.
REQUIREMENT = re.compile(
    r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*>=\s*([0-9][^,;\s]*)"
)


def version_key(version: str) -> tuple[int, ...]:
    """Order plain release numbers (the only kind a lower bound here names)."""
    return tuple(int(part) for part in re.findall(r"\d+", version.split("+")[0]))


def available(python: str, name: str) -> list[str]:
    out = subprocess.run(
        [python, "-m", "pip", "index", "versions", name],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    match = re.search(r"^Available versions:\s*(.+)$", out, re.MULTILINE)
    if match is None:
        raise SystemExit(f"oldest.py: pip lists no versions of {name}:\n{out}")
    # Pre-releases are not "supported releases"; pip lists them only with --pre anyway.
    return [v.strip() for v in match.group(1).split(",") if re.fullmatch(r"[\d.]+", v.strip())]


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    python, extras = argv[0], argv[1:]
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in extras:
        requirements += project["optional-dependencies"][extra]
    bounds: dict[str, str] = {}  # a name in two extras: the higher bound holds for both
    for requirement in requirements:
        match = REQUIREMENT.match(requirement)
        if match is None:
            continue
        name, bound = match.groups()
        name = re.sub(r"[-_.]+", "-", name).lower()
        if name not in bounds or version_key(bound) > version_key(bounds[name]):
            bounds[name] = bound
    for name, bound in bounds.items():
        candidates = [v for v in available(python, name) if version_key(v) >= version_key(bound)]
        if not candidates:
            raise SystemExit(f"oldest.py: no installable {name} >= {bound} for {python}")
        print(f"{name}=={min(candidates, key=version_key)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
