"""Helpers for the programming engine tests: catalog builders, a recording player, a driver."""

import random
from datetime import datetime
from zoneinfo import ZoneInfo

from yascheduler.programming import Programmer, ProgrammingSettings
from yascheduler.programming.catalog_view import radio_from_stored
from yascheduler.programming.persistence import timeline_from_stored
from yascheduler.programming.sent_ahead import settled
from yascheduler.store.radios import Jingle, JingleSchedule, Playlist, Radio, Show, Song
from yascheduler.store.packed_radios import unpacked
from yascheduler.store.radios import StoredRadios
from yascheduler.store.timelines import StoredTimelines
from yascheduler.support.clock import FakeClock


class RecordingPlayer:
    def __init__(self, clock):
        self.clock = clock
        self.plays = []  # (sent_at, radio_uuid, PlayCommand)
        self.starts = []  # (radio_uuid, song_id, started_at)

    def play(self, radio_uuid, command, due_at=None):
        self.plays.append((self.clock.now(), radio_uuid, command))

    def song_started(self, radio_uuid, song_id, started_at):
        self.starts.append((radio_uuid, song_id, started_at))

    def plays_for(self, radio_uuid):
        return [(sent_at, command) for sent_at, uuid, command in self.plays if uuid == radio_uuid]


def song(song_id, duration=200.0, **fields):
    fields.setdefault("filename", f"songs/{song_id}.mp3")
    return Song(id=song_id, duration=duration, **fields)


def playlist(playlist_id, songs, name="default", show=None, enabled=True):
    return Playlist(id=playlist_id, name=name, songs=songs, show=show, enabled=enabled)


def show(days, at, duration, **fields):
    return Show(days=days, time=at, duration=duration, **fields)


def jingle(jingle_id, duration=6.0, every=None, hourly=False):
    schedule = []
    if every is not None:
        schedule.append(JingleSchedule(type="between_songs", range=every))
    if hourly:
        schedule.append(JingleSchedule(type="hourly"))
    return Jingle(
        id=jingle_id,
        filename=f"jingles/{jingle_id}.mp3",
        duration=duration,
        schedule=schedule,
    )


def radio(uuid="r1", playlists=(), jingles=(), timezone=None, ready=True, save=True):
    document = Radio(
        uuid=uuid,
        name=uuid,
        ready=ready,
        timezone=timezone,
        playlists=list(playlists),
        jingles=list(jingles),
    )
    if save:
        document.save()
    return document


def default_songs(count, duration=200.0, first_id=1, **fields):
    return [song(first_id + index, duration, **fields) for index in range(count)]


def instant(text, zone="UTC"):
    """Epoch seconds of a local wall time like '2026-03-29 01:30:00' in `zone`."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone)).timestamp()


def make_programmer(start, settings=None, seed=7):
    clock = FakeClock(start)
    player = RecordingPlayer(clock)
    programmer = Programmer(
        clock, player, settings or ProgrammingSettings(), StoredTimelines(), random.Random(seed)
    )
    return programmer, clock, player


def load(programmer, sent_through=None, published=None):
    """Program the stored ready radios, resuming their stored timelines, as the service does
    (`sent_through`: the stored document -> its writer's send mark, as the fleet reads it;
    `published`: (radio, a track's start) -> whether Redis recorded its play published)."""
    decode = timeline_from_stored
    if sent_through is not None or published is not None:

        def decode(stored):
            return settled(
                timeline_from_stored(stored),
                stored,
                sent_through or (lambda stored: None),
                published or (lambda radio_uuid, starts_at: False),
            )

    programmer.load(StoredRadios().ready(radio_from_stored), StoredTimelines().load_all(decode))


def run_until(programmer, clock, until):
    """Drive the loop the way run_forever does, jumping the clock from event to event."""
    while True:
        wait = programmer.run_due()
        if wait is None or clock.now() + wait > until:
            clock.set(until)
            programmer.run_due()
            return
        clock.advance(wait)


def song_starts(player, radio_uuid):
    """(song_id, started_at) of every song start told to the web app, in order."""
    return [(song_id, at) for uuid, song_id, at in player.starts if uuid == radio_uuid]


def timeline_of(player, radio_uuid):
    """(start instant, command) for every play sent, in order."""
    return [(command.starts_at, command) for _, command in player.plays_for(radio_uuid)]


def stored_radio(uuid: str) -> Radio:
    """The stored radio as a MongoEngine document of its fields: a start-up packs the
    radios saved by hand (store/packed_radios.py)."""
    return Radio._from_son(unpacked(Radio._get_collection().find_one({"_id": uuid})))
