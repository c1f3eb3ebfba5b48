"""Who does what among the instances sharing one Redis and one store.

Radios are shared out in SHARDS fixed shards by a hash of their uuid; each
shard is leased to one live instance at a time (store/shards.py), so that
a radio's owner is whoever holds its shard. A streamer's messages that name
no radio are answered by the holder of the streamer's shard (the same hash of
its name): a lease, not each instance's view of which others are alive, which
differ while heartbeats come late (two instances would both answer, or none).
"""

import math
import zlib

SHARDS = 256


def shard_of(name: str) -> int:
    """The shard of a radio (its uuid) or a streamer (its name): the same in every
    process (unlike Python's hash())."""
    return zlib.crc32(name.encode("utf-8", "surrogatepass")) % SHARDS


def fair_share(live_instances: int, shards: int = SHARDS) -> int:
    """The most shards one of `live_instances` should hold."""
    return math.ceil(shards / max(1, live_instances))
