"""Run documentation code the way a reader would: as a script, against a live FakeRocketLead."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

import attrs

from rocketlead_async.testing import FakeRocketLead

ROOT = Path(__file__).resolve().parents[2]

# A snippet may use top-level ``await`` (as in an async REPL or notebook): compile it so.
RUNNER = """
import ast, asyncio, sys
with open(sys.argv[1], encoding="utf-8") as file:
    source = file.read()
code = compile(source, sys.argv[1], "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
result = eval(code, {"__name__": "__main__"})
if asyncio.iscoroutine(result):
    asyncio.run(result)
"""

_FENCE = re.compile(r"(?P<before>[^\n]*)\n```python\n(?P<code>.*?)\n```", re.S)


@attrs.frozen
class Snippet:
    """A ```python block of a Markdown file, at ``line`` (1-based)."""

    line: int
    code: str
    fragment: bool
    pytest_module: bool = False


def python_blocks(markdown: str) -> list[Snippet]:
    """Every ```python block; one right after a ``<!-- fragment ... -->`` line is a fragment,
    one after ``<!-- pytest ... -->`` a test module of a user's project (run by pytest)."""
    return [
        Snippet(
            line=markdown.count("\n", 0, match.start("code")) + 1,
            code=match.group("code"),
            fragment=match.group("before").strip().startswith("<!-- fragment"),
            pytest_module=match.group("before").strip().startswith("<!-- pytest"),
        )
        for match in _FENCE.finditer(markdown)
    ]


@attrs.frozen
class Ran:
    """A finished process: exit code, stdout, stderr."""

    code: int | None
    out: str
    err: str


async def run_python(
    argv: list[str], fake: FakeRocketLead, *, timeout: float = 60, cwd: Path = ROOT
) -> Ran:
    """Run ``python argv`` with the fake's URL and admin token in the environment, while this
    loop keeps serving the fake."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROCKETLEAD_")}
    env.update(ROCKETLEAD_BASE_URL=fake.url, ROCKETLEAD_API_TOKEN=fake.tokens.admin)
    # Scripts that call ``python`` get this interpreter (and its venv's console scripts).
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["PYTHONWARNINGS"] = "error::ResourceWarning"
    proc = await asyncio.create_subprocess_exec(
        *argv,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except BaseException:
        proc.kill()
        await proc.wait()
        raise
    return Ran(proc.returncode, out.decode(), err.decode())


async def run_snippet(code: str, fake: FakeRocketLead, tmp: Path) -> Ran:
    """Run one snippet as a script (top-level ``await`` allowed) against ``fake``."""
    script = tmp / "snippet.py"
    script.write_text(code, encoding="utf-8")
    return await run_python([sys.executable, "-c", RUNNER, str(script)], fake)
