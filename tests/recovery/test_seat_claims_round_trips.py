"""What ``book()`` costs in Redis round trips: one per step, and only the pick is waited for.

Counted on the wire, by a connection class that logs every write to the real server (a
round trip: one write, then its answers), while one caller loses a race and books the
alternative.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterable

import pytest
import redis.asyncio as aioredis

import rocketlead_async as rl
from rocketlead_async.claims import RedisSeatClaims
from rocketlead_async.testing import FakeRocketLead
from rocketlead_async.testing._redis import RedisServer
from tests.helpers.demo import trainer_request

# A command's head in the RESP protocol: "*<args>\r\n$<len>\r\n<NAME>\r\n" (arguments never
# start with "*<digits>\r\n").
_HEAD = re.compile(rb"\*\d+\r\n\$\d+\r\n([A-Za-z]+)\r\n")

# What a new connection sends first: its cost is per connection, not per step.
_HANDSHAKE = {"HELLO", "AUTH", "CLIENT", "SELECT"}

Log = list[tuple[str, ...]]  # per write, the names of the commands it carries; or an event


def logging_connection(log: Log) -> type[aioredis.Connection]:
    """A connection class that appends to ``log`` what each write sends."""

    class Logging(aioredis.Connection):
        async def send_packed_command(
            self, command: bytes | str | Iterable[bytes], check_health: bool = True
        ) -> None:
            data = command.encode() if isinstance(command, str) else command
            packed = data if isinstance(data, bytes) else b"".join(data)
            names = [name.decode().upper() for name in _HEAD.findall(packed)]
            if names and names[0] in _HANDSHAKE:
                return await super().send_packed_command(command, check_health)
            # The pick is the one script that reads every slot's count.
            log.append(tuple("PICK" if n == "EVAL" and b"HGETALL" in packed else n for n in names))
            await super().send_packed_command(command, check_health)

    return Logging


@pytest.fixture
async def logged(redis_server: RedisServer) -> AsyncIterator[tuple[aioredis.Redis, Log]]:
    log: Log = []
    pool = aioredis.ConnectionPool(
        connection_class=logging_connection(log), host="127.0.0.1", port=redis_server.port
    )
    client = aioredis.Redis(connection_pool=pool)
    # Connected (handshakes sent) before the count starts, as a process's earlier calls would.
    await asyncio.gather(*(client.ping() for _ in range(4)))
    log.clear()
    yield client, log
    await client.aclose()
    await pool.aclose()


async def test_a_lost_race_costs_one_round_trip_per_step_and_waits_for_one(
    fake: FakeRocketLead, logged: tuple[aioredis.Redis, Log], namespace: str
) -> None:
    redis, log = logged
    claims = RedisSeatClaims(redis, namespace=namespace, call_timeout=2.0)  # a loaded machine

    def mark(event: rl.RecoveryEvent) -> None:
        log.append((f"event:{event.kind.value}",))

    fake.race_next_bookings(1)
    async with rl.RocketLeadClient(
        fake.tokens.write, base_url=fake.url, seat_claims=claims
    ) as client:
        outcome = await client.bookings.book(
            trainer_request(fake.demo), recovery=rl.SlotRecovery(on_event=mark)
        )
        await claims.flush()
    assert outcome.recovered

    writes = [entry for entry in log if not entry[0].startswith("event:")]
    commands = [name for write in writes for name in write]
    # Four steps, one script each: claim the requested slot, release it (lost), pick and claim
    # the alternative, mark it booked. Nothing else: no SCRIPT LOAD, no read before a write.
    assert sorted(commands) == ["EVAL", "EVAL", "EVAL", "PICK"]
    assert len(writes) <= 4  # background writes may share a pipeline; never more trips
    # The only write book() waits for is the pick: one command, one round trip, between the
    # refetched availability and the picked slot.
    refetched, picked = log.index(("event:refetched",)), log.index(("event:picked",))
    assert ("PICK",) in log[refetched:picked]
    assert claims.fallbacks == 0
