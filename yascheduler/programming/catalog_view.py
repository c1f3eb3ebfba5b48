"""The catalog as the engine holds it in memory: small read-only objects.

They have the attribute names of the catalog documents (store/radios.py's
Radio and what it embeds), so the choice code reads either, but they are built
straight from the stored dicts: a MongoEngine document costs several
times the memory and the time to build, which counts with 100,000 radios.
"""

from dataclasses import dataclass


@dataclass(slots=True, frozen=True)
class Song:
    id: int
    filename: str
    duration: float
    artist: str | None
    title: str | None
    frequency: float
    enabled: bool
    order: int | None
    last_play_time: float | None


@dataclass(slots=True, frozen=True)
class Show:
    days: tuple[str, ...]
    time: str
    duration: float
    random_play: bool
    enabled: bool


@dataclass(slots=True, frozen=True)
class Playlist:
    id: int
    name: str
    enabled: bool  # false: kept, not programmed
    show: Show | None
    songs: tuple[Song, ...]


@dataclass(slots=True, frozen=True)
class JingleSchedule:
    type: str
    range: int | None


@dataclass(slots=True, frozen=True)
class Jingle:
    id: str
    name: str | None
    filename: str
    duration: float
    schedule: tuple[JingleSchedule, ...]


@dataclass(slots=True, frozen=True)
class Radio:
    uuid: str
    name: str | None
    ready: bool
    timezone: str | None
    playlists: tuple[Playlist, ...]
    jingles: tuple[Jingle, ...]


def radio_from_stored(stored: dict) -> Radio:
    """A radio from its stored document (as the collection holds it)."""
    return Radio(
        uuid=stored["_id"],
        name=stored.get("name"),
        ready=stored.get("ready", True),
        timezone=stored.get("timezone"),
        playlists=tuple(_playlist(entry) for entry in stored.get("playlists", ())),
        jingles=tuple(_jingle(entry) for entry in stored.get("jingles", ())),
    )


def radio_from_document(radio) -> Radio:
    """A radio from a catalog document (anything MongoEngine can turn to_mongo()), or
    the radio itself."""
    if isinstance(radio, Radio):
        return radio
    return radio_from_stored(radio.to_mongo().to_dict())


def _playlist(stored: dict) -> Playlist:
    show = stored.get("show")
    return Playlist(
        id=stored["id"],
        name=stored["name"],
        enabled=stored.get("enabled", True),
        show=_show(show) if show else None,
        songs=tuple(_song(entry) for entry in stored.get("songs", ())),
    )


def _show(stored: dict) -> Show:
    return Show(
        days=tuple(stored.get("days", ())),
        time=stored["time"],
        duration=float(stored["duration"]),
        random_play=stored.get("random_play", False),
        enabled=stored.get("enabled", True),
    )


def _song(stored: dict) -> Song:
    return Song(
        id=stored["id"],
        filename=stored["filename"],
        duration=float(stored["duration"]),
        artist=stored.get("artist"),
        title=stored.get("title"),
        frequency=float(stored.get("frequency", 0.5)),
        enabled=stored.get("enabled", True),
        order=stored.get("order"),
        last_play_time=stored.get("last_play_time"),
    )


def _jingle(stored: dict) -> Jingle:
    return Jingle(
        id=stored["id"],
        name=stored.get("name"),
        filename=stored["filename"],
        duration=float(stored["duration"]),
        schedule=tuple(
            JingleSchedule(type=entry["type"], range=entry.get("range"))
            for entry in stored.get("schedule", ())
        ),
    )
