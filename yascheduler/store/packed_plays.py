"""The play history's stored forms (store/plays.py says why there are three), all in the
`plays` collection:

- a *turn*: every record of one bucket of radios that one writer turn wrote,
  `{_id: ObjectId, bucket, first, last, started, body}`, `body` one JSON text
  `{radio uuid: [record, ...]}`;
- an *hour*: the records of one radio started within one clock hour, gathered from
  turns, `{_id: "uuid|hour|run", radio_uuid, first, started_at, started, records}`,
  `records` one JSON text `[record, ...]`, `started_at` its newest start;
- a *record* as versions before packing stored it, one a document (`radio_uuid`,
  `started_at`, `kind`...), read as an hour of one record.

`started` is the newest start as a date (the TTL index's and the hourly deletion's
field): a document goes when its newest record expires, so one of an hour keeps its
oldest record up to an hour longer (nx-27017's own deletion, hourly, already lets a
record outlive `history_days` by up to an hour). A record in a text is a JSON object
of the API's fields (the radio's uuid is its document's, or its key in a turn).
"""

import hashlib
from datetime import UTC, datetime

import msgspec

from yascheduler.support.shards import shard_of

BUCKETS = 16  # a turn writes one document per bucket it has records of
HOUR = 3600.0
SPAN = HOUR  # an hour's records all started within SPAN before its `started_at`
TTL_FIELD = "started"
BUCKET, RECORDS, BODY = "bucket", "records", "body"

_encode = msgspec.json.Encoder().encode
_decode_body = msgspec.json.Decoder(dict[str, list[dict]]).decode
_decode_records = msgspec.json.Decoder(list[dict]).decode


def record_of(track, listeners: int) -> dict:
    """The record of a programming.interface.TrackStart, with the listeners at its start."""
    return {
        "kind": track.kind,
        "song_id": track.song_id,
        "file": track.file,
        "artist": track.artist,
        "title": track.title,
        "show": track.show,
        "started_at": track.starts_at,
        "lateness_ms": round(track.lateness * 1000.0, 3),
        "listeners": listeners,
    }


def bucket_of(radio_uuid: str) -> int:
    """The radio's bucket: a sixteenth of its fleet shards (support/shards.py), the same
    in every process."""
    return shard_of(radio_uuid) % BUCKETS


def as_date(instant: float) -> datetime:
    return datetime.fromtimestamp(instant, UTC)


def turn_document(bucket: int, by_radio: dict[str, list[dict]]) -> dict:
    """A turn's document of one bucket: {radio uuid: its records} packed."""
    starts = [record["started_at"] for records in by_radio.values() for record in records]
    return {
        BUCKET: bucket,
        "first": min(starts),
        "last": max(starts),
        TTL_FIELD: as_date(max(starts)),
        BODY: _encode(by_radio).decode(),
    }


def turn_records(document: dict) -> dict[str, list[dict]]:
    """{radio uuid: records} of a stored turn."""
    return _decode_body(document[BODY])


def hours_of(turns: dict) -> dict[str, dict]:
    """The hour documents ({_id: document}) gathering the records of stored turns
    ({turn _id: {radio uuid: records}}): one a radio and clock hour; each `_id` names
    the turns gathered (`run`), so that two gatherings of different turns never
    replace each other's."""
    names = ",".join(sorted(str(key) for key in turns)).encode()
    run = hashlib.blake2b(names, digest_size=8).hexdigest()
    grouped: dict[tuple[str, int], list[dict]] = {}
    for by_radio in turns.values():
        for radio, records in by_radio.items():
            for record in records:
                hour = int(record["started_at"] // HOUR)
                grouped.setdefault((radio, hour), []).append(record)
    return {
        f"{radio}|{hour}|{run}": hour_document(radio, records)
        for (radio, hour), records in grouped.items()
    }


def hour_document(radio_uuid: str, records: list[dict]) -> dict:
    records = sorted(records, key=lambda record: record["started_at"])
    newest = records[-1]["started_at"]
    return {
        "radio_uuid": radio_uuid,
        "first": records[0]["started_at"],
        "started_at": newest,
        TTL_FIELD: as_date(newest),
        RECORDS: _encode(records).decode(),
    }


def rows_of(document: dict) -> list[dict]:
    """The records a stored hour holds (or the one record of an older version), each a
    dict of the API's fields."""
    packed = document.get(RECORDS)
    if packed is None:
        return [document]
    return _decode_records(packed)
