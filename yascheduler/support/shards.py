"""The fixed shards radios are shared out in among the instances (fleet/ownership.py):
a radio's shard (a hash of its uuid), which the store keeps beside each of the radio's
documents (store/sharded.py) so that an instance taking shards reads only theirs."""

import zlib

SHARDS = 256


def shard_of(name: str) -> int:
    """The shard of a radio (its uuid) or a streamer (its name): the same in every
    process (unlike Python's hash())."""
    return zlib.crc32(name.encode("utf-8", "surrogatepass")) % SHARDS
