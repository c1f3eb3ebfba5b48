"""Who does what among the instances sharing one Redis and one store.

Radios are shared out in SHARDS fixed shards by a hash of their uuid; each
shard is leased to one live instance at a time (store/shards.py), so that
a radio's owner is whoever holds its shard. A streamer's messages that name
no radio are answered by the holder of the streamer's shard (the same hash of
its name): a lease, not each instance's view of which others are alive, which
differ while heartbeats come late (two instances would both answer, or none).
"""

import math

from yascheduler.support.shards import SHARDS, shard_of

__all__ = ["SHARDS", "fair_share", "shard_of"]


def fair_share(live_instances: int, shards: int = SHARDS) -> int:
    """The most shards one of `live_instances` should hold."""
    return math.ceil(shards / max(1, live_instances))


def listed(shards) -> str:
    """Shard numbers as runs: `0-127,130` (one instance holds all 256: `0-255`)."""
    runs: list[list[int]] = []
    for shard in sorted(shards):
        if runs and shard == runs[-1][1] + 1:
            runs[-1][1] = shard
        else:
            runs.append([shard, shard])
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)
