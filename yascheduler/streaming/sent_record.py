"""The plays decided ahead that went out, recorded in Redis by the transaction that
publishes them.

An instance that takes a radio over (a restart, a failover, a handover) must know
whether the play of the track chosen ahead went out before its sender stopped: sent
again, it is played twice; not sent, the radio falls silent. The store's send marks
(fleet/send_marks.py) tell it for the plays published before their last write; those
published since (the last 0.05 s, more on a slow store) were unknown, and a `kill -9`
sent 4 plays twice among 3,364 radios taken over (bench/README.md, "Joins that
ended waiting, plays sent twice"). So each such play is also recorded in Redis, in the MULTI/EXEC
that publishes it, both or neither: HSET yascheduler:sent:<shard> <radio> <the
track's start>. A taker asks the record of the shards it takes. Redis holds it in
memory only: a Redis restart loses it, and the marks still tell what they tell. A
shard's record expires KEEP_SECONDS after the last play recorded in it.
"""

from collections.abc import Iterable

from yascheduler.support.shards import shard_of

KEY = "yascheduler:sent:{}"
KEEP_SECONDS = 3600
# two starts this close are one slot (the record is the float's repr, exact; a margin
# for a store that keeps fewer digits)
SAME_START = 0.001


def record(pipeline, plays: Iterable[tuple[str, float]]) -> None:
    """Queue on `pipeline` (a transaction, the plays' PUBLISH in it) the record of
    `plays`, (radio uuid, its track's start) each."""
    shards = set()
    for radio_uuid, starts_at in plays:
        shard = shard_of(radio_uuid)
        pipeline.hset(KEY.format(shard), radio_uuid, repr(starts_at))
        shards.add(shard)
    for shard in shards:
        pipeline.expire(KEY.format(shard), KEEP_SECONDS)


def read(client, shards: Iterable[int]) -> dict[str, float]:
    """{radio uuid: the start of the track of its last play recorded} in `shards`."""
    pipeline = client.pipeline(transaction=False)
    for shard in shards:
        pipeline.hgetall(KEY.format(shard))
    found = {}
    for entries in pipeline.execute():
        for radio_uuid, starts_at in entries.items():
            found[radio_uuid.decode()] = float(starts_at)
    return found


def is_recorded(recorded: dict[str, float], radio_uuid: str, starts_at: float) -> bool:
    """Whether the play of `radio_uuid`'s track starting at `starts_at` is recorded."""
    found = recorded.get(radio_uuid)
    return found is not None and abs(found - starts_at) < SAME_START
