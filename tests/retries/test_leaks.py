"""Unclosed sessions and connectors fail the suite, and the SDK's clients leave none.

pyproject turns ResourceWarning and PytestUnraisableExceptionWarning into errors. That a leak
really fails a test under this configuration is checked in a pytest run of its own (a leak is
only noticed when the session is garbage-collected, which must not take this suite down).
"""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import aiohttp
import pytest

import rocketlead_async as rl
from rocketlead_async.testing import FakeRocketLead
from tests.helpers.clients import MakeClient
from tests.helpers.tasks import client_tasks

INNER_TESTS = """
import gc

import aiohttp

import rocketlead_async as rl
from rocketlead_async.testing import FakeRocketLead


async def test_leaks_a_session():
    session = aiohttp.ClientSession()
    del session
    gc.collect()


async def test_leaks_a_client():
    async with FakeRocketLead.running() as fake:
        client = rl.RocketLeadClient(fake.tokens.read, base_url=fake.url)
        await client.calendars.list()
        del client
        gc.collect()


async def test_closes_its_client():
    async with FakeRocketLead.running() as fake:
        async with rl.RocketLeadClient(fake.tokens.read, base_url=fake.url) as client:
            await client.calendars.list()
        del client
        gc.collect()
"""


def test_the_project_config_fails_a_test_that_leaks_a_session(
    tmp_path: Path, pytestconfig: pytest.Config
) -> None:
    """The inner run gets the warning filters this run has (pyproject's)."""
    filters = pytestconfig.getini("filterwarnings")
    assert "error::ResourceWarning" in filters
    ini = "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
    ini += "filterwarnings =\n" + "".join(f"    {line}\n" for line in filters)
    (tmp_path / "pytest.ini").write_text(ini)
    (tmp_path / "test_leaks.py").write_text(textwrap.dedent(INNER_TESTS))
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rA", "-q", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    report = run.stdout + run.stderr
    assert run.returncode == 1, report

    def outcome(test: str) -> str:
        for line in report.splitlines():
            if f"test_leaks.py::{test}" in line and line.split()[0] in (
                "PASSED",
                "FAILED",
                "ERROR",
            ):
                return line.split()[0]
        raise AssertionError(f"{test} not reported:\n{report}")

    assert outcome("test_leaks_a_session") in ("FAILED", "ERROR")
    assert outcome("test_leaks_a_client") in ("FAILED", "ERROR")
    assert outcome("test_closes_its_client") == "PASSED"
    assert "Unclosed client session" in report


async def test_clients_leave_nothing_open(fake: FakeRocketLead) -> None:
    """Every way of using a client, closed as documented: no warning after a full collection,
    no task left."""
    user_session = aiohttp.ClientSession()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        async with rl.RocketLeadClient(fake.tokens.admin, base_url=fake.url) as client:
            await client.calendars.list()
            derived = client.with_options(timeout=2)
            await derived.tables.list()
            await derived.aclose()  # does nothing: the original owns the session
            await client.resources.list()
        await client.aclose()  # twice is fine
        unused = rl.RocketLeadClient(fake.tokens.admin, base_url=fake.url)
        await unused.aclose()  # never used: no session was made
        borrowed = rl.RocketLeadClient(fake.tokens.admin, base_url=fake.url, session=user_session)
        await borrowed.calendars.list()
        await borrowed.aclose()
        assert not user_session.closed  # the user's session is the user's to close
        await user_session.close()
        del client, derived, unused, borrowed, user_session
        gc.collect()
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []
    assert client_tasks() == set()


async def test_a_closed_client_refuses_calls(make_fake_client: MakeClient) -> None:
    client = make_fake_client()
    await client.calendars.list()
    await client.aclose()
    with pytest.raises(RuntimeError, match="closed"):
        await client.calendars.list()
