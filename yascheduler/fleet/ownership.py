"""Who does what among the instances sharing one Redis and one store.

Radios are shared out in SHARDS fixed shards by a hash of their uuid; each
shard is leased to one live instance at a time (store/shards.py), so that
a radio's owner is whoever holds its shard. A streamer's messages that name
no radio are answered by one instance chosen by rendezvous hashing of its
name over the live instances: every instance computes the same answer from
the same list, and when one goes, only its streamers change hands.
"""

import math
import zlib
from collections.abc import Iterable

SHARDS = 256


def shard_of(radio_uuid: str) -> int:
    """The shard of a radio: the same in every process (unlike Python's hash())."""
    return zlib.crc32(radio_uuid.encode("utf-8", "surrogatepass")) % SHARDS


def fair_share(live_instances: int, shards: int = SHARDS) -> int:
    """The most shards one of `live_instances` should hold."""
    return math.ceil(shards / max(1, live_instances))


def streamer_owner(streamer: str, live: Iterable[str]) -> str | None:
    """The live instance that answers this streamer (None if none is live)."""

    def weight(instance: str) -> int:
        return zlib.crc32(f"{instance}\x00{streamer}".encode("utf-8", "surrogatepass"))

    return max(sorted(live), key=weight, default=None)
