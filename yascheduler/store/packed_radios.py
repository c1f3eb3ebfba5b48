"""A catalog radio as stored: its fields packed into one JSON text (`body`), beside the
few that queries read (`ready`, `timezone`, `playlist_ids`).

Why packed: nx-27017 handles every value of a document in Python (decoded from
its JSON row, walked, encoded to BSON, and on insert deep-copied and validated),
so a radio of eight songs costs it as much as a hundred small documents. One
text instead of those values costs it a sixth of the insert and a sixth of the
read (4,000 radios: 0.34 s against 0.97 s inserted, 0.07 s against 0.43 s read;
bench/README.md). No query reads inside a radio's playlists: the store finds a
radio by uuid or by playlist id (`playlist_ids`), start-up filters by `ready`
as it reads, and a radio's time zone is read alone (`timezone`).

Radios stored by a version before `body` (every field at the top level) are
read as they are, and packed when start-up reads them (`repack`).
"""

import logging

import msgspec
from pymongo import ReplaceOne

from yascheduler.support.shards import shard_of

from .sharded import SHARD

log = logging.getLogger("yascheduler.store")

BODY = "body"
PLAYLIST_IDS = "playlist_ids"
# copied beside the body for the queries (and start-up's filter) that read them
QUERIED = ("ready", "timezone")
# null or missing, on every server: a radio stored before bodies, or saved by hand
UNPACKED = {BODY: None}


def _plain(value):
    """What msgspec does not encode itself: numbers of the driver's own types (bson's
    Int64, in radios MongoEngine stored)."""
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    raise TypeError(f"a {type(value).__name__} cannot be stored in a radio")


_encode = msgspec.json.Encoder(enc_hook=_plain).encode
_decode = msgspec.json.Decoder().decode


def packed(radio: dict) -> dict:
    """The stored document of a radio ({"_id": uuid, field: value...}); the caller's
    dict is kept."""
    fields = radio.copy()
    del fields["_id"]
    stored = {"_id": radio["_id"], PLAYLIST_IDS: playlist_ids(radio)}
    for name in QUERIED:
        if name in radio:
            stored[name] = radio[name]
    stored[SHARD] = shard_of(str(radio["_id"]))  # not in the body: its index reads it
    stored[BODY] = _encode(fields).decode()
    return stored


def unpacked(stored: dict) -> dict:
    """The radio a stored document holds, as written: packed or not (a radio stored by an
    older version, or saved by hand)."""
    body = stored.get(BODY)
    if body is None:
        stored.pop(BODY, None)
        stored.pop(PLAYLIST_IDS, None)
        stored.pop(SHARD, None)
        return stored
    if not isinstance(body, str):
        raise TypeError(f"its body is a {type(body).__name__}, not a text")
    fields = _decode(body)
    if not isinstance(fields, dict):
        raise TypeError("its body is no JSON object")
    fields["_id"] = stored["_id"]  # rather than a copy of each radio read at start-up
    return fields


def whole_text(stored: dict) -> str | None:
    """The radio a packed stored document holds, as one JSON object's text (its body
    with its `_id`), for a decoder to read straight into its own form; None if the
    document is not packed (`unpacked` reads it)."""
    body = stored.get(BODY)
    if body is None:
        return None
    if not isinstance(body, str) or not body.startswith("{"):
        raise TypeError(f"its body is no JSON object's text: {body[:40]!r}")
    rest = body[1:].lstrip()
    return '{"_id":' + _encode(stored["_id"]).decode() + ("" if rest[:1] == "}" else ",") + rest


def is_packed(stored: dict) -> bool:
    return stored.get(BODY) is not None


def playlist_ids(radio: dict) -> list[int]:
    playlists = radio.get("playlists") or []
    return [
        playlist["id"] for playlist in playlists if isinstance(playlist, dict) and "id" in playlist
    ]


def repack(collection, radios: list[dict]) -> None:
    """Store packed the radios read unpacked (`unpacked` ones, a version before bodies);
    each only while it still is unpacked, so that an import that replaced it meanwhile
    (another instance's) is not undone."""
    operations = []
    for radio in radios:
        try:
            operations.append(ReplaceOne({"_id": radio["_id"], **UNPACKED}, packed(radio)))
        except (TypeError, ValueError) as error:  # still read as it is
            log.warning("radio %r left unpacked: %s", radio.get("_id"), error)
    if operations:
        collection.bulk_write(operations, ordered=False)
        log.info("radios: %d stored by an older version packed (one text each)", len(operations))
