"""How far each instance has sent the plays it decided ahead, shard by shard.

A play decided ahead is chosen and stored first, and sent at its due time
(programming/transitions.py). Whether it went out is not written radio by
radio (at 100,000 radios that was a third of the documents the store took):
each instance writes, every few hundredths of a second, one document of
marks, {shard: [the epoch its writes carry there, W]}, meaning: every play
of that shard this instance decided ahead and due before W has been
published. A mark stops advancing once its shard's lease stops counting,
so it stays true after a loss. The instance that takes a radio over reads
the marks: the radio's stored send, due before the mark of its writer
(the shard and epoch its document carries), went out and is not sent again
(fleet/send_marks.py computes the marks, programming/persistence.py applies
them). The marks of an instance gone are kept DEAD_KEPT, far longer than
any track, then forgotten.
"""

import ujson
from mongoengine import Document, FloatField, StringField

from .records import storing

DEAD_KEPT = 3600.0  # seconds an instance's marks outlive its last write


class SendMark(Document):
    id = StringField(primary_key=True)  # the instance's
    # {str(shard): [epoch, instant]} as one JSON text: written 20 times a second, one
    # value rather than 512 for nx-27017, and a third of the bytes
    marks = StringField()
    at = FloatField()  # when written
    meta = {"collection": "send_marks"}


class StoredSendMarks:
    def save(self, instance_id: str, marks: dict[int, tuple[int, float]], at: float) -> None:
        text = ujson.dumps({shard: [epoch, through] for shard, (epoch, through) in marks.items()})
        with storing("writing instance %s's send marks", instance_id):
            _collection().update_one(
                {"_id": instance_id}, {"$set": {"marks": text, "at": at}}, upsert=True
            )

    def all(self) -> dict[tuple[int, int], float]:
        """(shard, epoch) -> the instant its plays are sent through, of every instance
        (one that cannot be decoded is skipped: its radios' sends are taken as not made)."""
        with storing("reading the send marks"):
            stored = list(_collection().find())
        found: dict[tuple[int, int], float] = {}
        for record in stored:
            for shard, mark in _marks_of(record).items():
                try:
                    epoch, through = mark
                    key = (int(shard), int(epoch))
                    found[key] = max(found.get(key, through), float(through))
                except (TypeError, ValueError):
                    continue
        return found

    def forget_gone(self, now: float) -> int:
        """Remove the marks not written for DEAD_KEPT: their instances are gone."""
        before = now - DEAD_KEPT
        with storing("removing the send marks older than %.0f", before):
            return _collection().delete_many({"at": {"$lt": before}}).deleted_count

    def clear(self) -> int:
        with storing("deleting the send marks"):
            return _collection().delete_many({}).deleted_count


def _collection():
    return SendMark._get_collection()


def _marks_of(record: dict) -> dict:
    """The marks of a stored record, {} if they cannot be read."""
    try:
        marks = ujson.loads(record.get("marks") or "{}")
    except (TypeError, ValueError):
        return {}
    return marks if isinstance(marks, dict) else {}
