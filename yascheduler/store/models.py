"""Everything yascheduler stores, as MongoEngine documents.

Catalog documents (User, Radio and what it embeds) are written only by the
catalog import. Runtime documents each have one owner module, which updates
them with field-level atomic writes (`update_one(set__...)`), never by
saving a whole document another module might also write:

- Streamer, RadioStream, ListenerSession: the streamer protocol (service).
- RadioTimeline: the programming engine.
- OutboxItem, Counter: the web app outbox (outbox.py).

Times are UTC epoch seconds (floats).
"""

from mongoengine import (
    BooleanField,
    DictField,
    Document,
    EmbeddedDocument,
    EmbeddedDocumentField,
    EmbeddedDocumentListField,
    FloatField,
    IntField,
    ListField,
    StringField,
)

WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


# --- the catalog -----------------------------------------------------------


class User(Document):
    id = IntField(primary_key=True)
    username = StringField(required=True)
    api_key = StringField(required=True)
    hd = BooleanField(default=False)
    auth_tokens = ListField(StringField())
    meta = {
        "collection": "users",
        "indexes": [{"fields": ["username"], "unique": True}, "auth_tokens"],
    }


class Song(EmbeddedDocument):
    id = IntField(required=True)
    filename = StringField(required=True)
    duration = FloatField(required=True)
    artist = StringField()
    title = StringField()
    frequency = FloatField(default=0.5)
    enabled = BooleanField(default=True)
    order = IntField()
    last_play_time = FloatField()


class Show(EmbeddedDocument):
    days = ListField(StringField(choices=WEEKDAYS))
    time = StringField(required=True)  # HH:MM:SS, wall-clock in the radio's zone
    duration = FloatField(required=True)
    random_play = BooleanField(default=False)
    enabled = BooleanField(default=True)
    start = StringField(default="soft", choices=("soft", "hard"))
    max_wait = FloatField()  # seconds, only with a soft start


class Playlist(EmbeddedDocument):
    id = IntField(required=True)
    name = StringField(required=True)
    enabled = BooleanField(default=True)  # false: kept and shown, not programmed
    show = EmbeddedDocumentField(Show)
    songs = EmbeddedDocumentListField(Song)


class JingleSchedule(EmbeddedDocument):
    type = StringField(required=True, choices=("between_songs", "hourly"))
    range = IntField()


class Jingle(EmbeddedDocument):
    id = StringField(required=True)
    name = StringField()
    filename = StringField(required=True)
    duration = FloatField(required=True)
    schedule = EmbeddedDocumentListField(JingleSchedule)


class Radio(Document):
    uuid = StringField(primary_key=True)
    name = StringField()
    ready = BooleanField(default=True)
    timezone = StringField()
    playlists = EmbeddedDocumentListField(Playlist)
    jingles = EmbeddedDocumentListField(Jingle)
    meta = {"collection": "radios", "indexes": ["ready", "playlists.id"]}


# --- the streamer protocol ----------------------------------------------------


class Streamer(Document):
    name = StringField(primary_key=True)
    registered_at = FloatField(required=True)
    last_seen_at = FloatField(required=True)
    meta = {"collection": "streamers"}


class RadioStream(Document):
    """Which streamer is the master of a radio, while one is."""

    uuid = StringField(primary_key=True)
    master = StringField(required=True)
    since = FloatField(required=True)
    meta = {"collection": "radio_streams", "indexes": ["master"]}


class ListenerSession(Document):
    """A listening session; `key` is one per (streamer, session id) (listeners.document_id)."""

    key = StringField(primary_key=True)
    session_id = StringField(required=True)
    radio_uuid = StringField(required=True)
    streamer = StringField()
    user_id = IntField()
    started_at = FloatField(required=True)
    ended_at = FloatField()
    duration = IntField()
    meta = {
        "collection": "listener_sessions",
        "indexes": [("radio_uuid", "ended_at"), "ended_at"],
    }


# --- programming ----------------------------------------------------------------


class Segment(EmbeddedDocument):
    """A stretch of one file on a radio's timeline (programming/timeline.py holds it in memory).

    It starts playing `filename` at `starts_at`, from `offset` seconds into
    the file, and ends when the file does (or earlier, if cut).
    """

    kind = StringField(required=True, choices=("song", "jingle"))
    song_id = IntField()
    jingle_id = StringField()
    playlist_id = IntField()
    filename = StringField(required=True)
    duration = FloatField(required=True)  # of the whole file
    offset = FloatField(default=0.0)
    starts_at = FloatField(required=True)
    resumed = BooleanField(default=False)  # continues a song cut by an hourly jingle


class JingleCounter(EmbeddedDocument):
    """A between_songs jingle's songs since it last played, and when that was."""

    jingle_id = StringField(required=True)
    songs = IntField(default=0)
    played_at = FloatField()  # absent: never played


class RadioTimeline(Document):
    """One document per programmed radio: its timeline, its one pending event, its plays.

    Everything the engine must find again after a restart lives here, so
    that each event costs one write.
    """

    uuid = StringField(primary_key=True)
    current = EmbeddedDocumentField(Segment)
    next = EmbeddedDocumentField(Segment)
    interrupted = EmbeddedDocumentField(Segment)  # song to resume after an hourly jingle
    # when `next` takes over: end of `current` minus crossfade, or an hourly cut
    boundary = FloatField()
    # one per between_songs jingle of the radio
    jingle_counters = EmbeddedDocumentListField(JingleCounter)
    # the one count of songs since a jingle that versions before jingle_counters kept:
    # read at start-up, to seed the counters, where they are absent; no longer written
    songs_since_jingle = IntField()
    # str(playlist id) -> {"show_start": when the show last started, "next": next song index}
    show_positions = DictField()
    broken = StringField()  # why nothing can be played, while so
    event_at = FloatField()  # the pending event (prepare, start or retry), if any
    event_kind = StringField()
    # str(song id) -> when the song last started: the rotation's memory across restarts
    song_starts = DictField()
    meta = {"collection": "radio_timelines", "indexes": ["broken"]}


# --- the web app -----------------------------------------------------------------


class Counter(Document):
    """A named sequence, incremented atomically (find_and_modify)."""

    name = StringField(primary_key=True)
    value = IntField(default=0)
    meta = {"collection": "counters"}


class OutboxItem(Document):
    """A notification waiting for the web app; written and read by yascheduler.outbox."""

    seq = IntField(primary_key=True)
    kind = StringField(required=True)  # start_listening, stop_listening, stopped, songs_started
    radio_uuid = StringField(required=True)
    params = DictField()
    created_at = FloatField(required=True)
    attempts = IntField(default=0)
    # Set once the web app refused it for good: at, status, answer (an excerpt), attempts.
    parked = DictField(default=None)
    meta = {"collection": "outbox"}  # read in seq order: the `_id` index


class VouchedToken(Document):
    """The web app's answer about an auth token (it answers once per token): kept so
    that a restart neither asks again nor turns a known listener anonymous."""

    token = StringField(primary_key=True)
    user_id = IntField()  # None: the web app did not know the token
    hd = BooleanField(default=False)
    at = FloatField(required=True)  # when it answered
    meta = {"collection": "vouched_tokens", "indexes": ["at"]}
