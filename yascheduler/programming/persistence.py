"""The engine's writes and reads of its stored documents (restarts resume from these).

Writes go straight to the collections MongoEngine maps the documents to:
one `$set` of the changed fields each, without MongoEngine's query building,
which costs ten times the write itself on every event.
"""

from .. import models

TIMELINE_FIELDS = (
    "current",
    "next",
    "interrupted",
    "boundary",
    "songs_since_jingle",
    "show_positions",
    "broken",
)


def save_timeline(timeline: models.RadioTimeline, fields=TIMELINE_FIELDS) -> None:
    """Write these fields of the timeline (never a whole-document save)."""
    changes = {name: _stored(getattr(timeline, name)) for name in fields}
    models.RadioTimeline._get_collection().update_one(
        {"_id": timeline.uuid}, {"$set": changes}, upsert=True
    )


def save_event(radio_uuid: str, at: float, kind: str) -> None:
    models.ScheduledEvent._get_collection().update_one(
        {"_id": radio_uuid}, {"$set": {"at": at, "kind": kind}}, upsert=True
    )


def delete_event(radio_uuid: str) -> None:
    models.ScheduledEvent._get_collection().delete_one({"_id": radio_uuid})


def delete_radio(radio_uuid: str) -> None:
    models.RadioTimeline._get_collection().delete_one({"_id": radio_uuid})
    delete_event(radio_uuid)


def record_song_play(
    radio_uuid: str, song: models.Segment, artist: str | None, title: str | None
) -> None:
    play = models.SongPlay(
        radio_uuid=radio_uuid,
        song_id=song.song_id,
        started_at=song.starts_at,
        artist=artist,
        title=title,
    )
    models.SongPlay._get_collection().insert_one(play.to_mongo())


def stored_timelines() -> dict[str, models.RadioTimeline]:
    return {timeline.uuid: timeline for timeline in models.RadioTimeline.objects}


def stored_events() -> dict[str, models.ScheduledEvent]:
    return {event.radio_uuid: event for event in models.ScheduledEvent.objects}


def _stored(value):
    if isinstance(value, models.Segment):
        return value.to_mongo().to_dict()
    if isinstance(value, dict):
        return dict(value)
    return value
