"""What a catalog import stores: the shipped example, every field, all or nothing."""

from datetime import UTC, datetime

import pytest

from yascheduler.catalog.importer import CatalogChange
from yascheduler.store.radios import Jingle, JingleSchedule, Playlist, Radio, Show, Song
from yascheduler.store.users import User


from tests.catalog.conftest import (
    EXAMPLE,
    import_catalog,
    load_catalog_file,
    small_catalog,
    stored_documents,
    stored_radios,
    radio,
    radio_fields,
)


# --- the example shipped with the product ----------------------------------------------


def test_example_catalog_loads(db):
    change = load_catalog_file(str(EXAMPLE))

    assert change.users == 3
    assert change.deleted == []
    zones = {stored["_id"]: stored.get("timezone") for stored in change.stored_radios}
    assert zones == {
        "example-radio-paris": "Europe/Paris",
        "example-radio-new-york": "America/New_York",
        "example-radio-tokyo": "Asia/Tokyo",
    }
    for stored in stored_radios():
        defaults = [playlist for playlist in stored.playlists if playlist.name == "default"]
        assert len(defaults) == 1
        assert 10 <= len(defaults[0].songs) <= 15
    assert User.objects.count() == 3


def test_importing_the_same_catalog_again_changes_nothing(db):
    load_catalog_file(str(EXAMPLE))
    before = stored_documents()

    change = load_catalog_file(str(EXAMPLE))

    assert change == CatalogChange(stored_radios=[], deleted=[], users=0)
    assert stored_documents() == before


# --- what is stored ---------------------------------------------------------------------


def test_import_stores_every_field_with_defaults(db):
    change = import_catalog(small_catalog())

    assert [stored["_id"] for stored in change.stored_radios] == ["r1", "r2"]
    # _from_son: the stored form builds the documents (from_json() would go through JSON text)
    assert isinstance(Radio._from_son(change.stored_radios[0]).playlists[0].songs[0], Song)
    assert change.users == 2
    one = radio("r1")
    assert (one.name, one.ready, one.timezone) == ("Radio One", True, "Europe/Paris")
    assert radio("r2").timezone is None  # the scheduler's configured zone
    song = one.playlists[0].songs[1]
    assert (song.id, song.filename, song.duration) == (101, "a/101.mp3", 180.5)
    assert (song.frequency, song.enabled, song.order, song.last_play_time) == (
        0.5,
        True,
        None,
        None,
    )
    show = one.playlists[1].show
    assert (show.days, show.time, show.duration) == (["MON", "FRI"], "07:00:00", 3600.0)
    assert (show.random_play, show.enabled) == (False, True)
    assert one.playlists[0].show is None
    assert [playlist.enabled for playlist in one.playlists] == [True, True]
    jingle = one.jingles[0]
    assert [(entry.type, entry.range) for entry in jingle.schedule] == [
        ("between_songs", 4),
        ("hourly", None),
    ]
    eve = User.objects.get(id=2)
    assert (eve.username, eve.api_key, eve.hd, eve.auth_tokens) == ("eve", "k-2", False, [])


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-11-27T21:04:00+00:00", datetime(2026, 11, 27, 21, 4, tzinfo=UTC)),
        ("2026-11-27T22:04:00+01:00", datetime(2026, 11, 27, 21, 4, tzinfo=UTC)),
        ("2026-11-27T21:04:00Z", datetime(2026, 11, 27, 21, 4, tzinfo=UTC)),
        ("2026-11-27T21:04:00.250", datetime(2026, 11, 27, 21, 4, 0, 250000, tzinfo=UTC)),
    ],
)
def test_last_play_time_is_stored_as_epoch_seconds(db, text, expected):
    catalog = small_catalog()
    catalog["radios"][0]["playlists"][0]["songs"][0]["last_play_time"] = text

    import_catalog(catalog)

    assert radio("r1").playlists[0].songs[0].last_play_time == expected.timestamp()


def test_stored_documents_are_what_mongoengine_would_store(db):
    import_catalog(small_catalog())

    for raw in Radio._get_collection().find():  # the fields its body packs
        assert radio(raw["_id"]).to_mongo().to_dict() == radio_fields(raw)
    for raw in User._get_collection().find():
        assert User.objects.get(id=raw["_id"]).to_mongo().to_dict() == raw


def test_a_radio_saved_through_mongoengine_is_unchanged_by_the_same_entry(db):
    catalog = small_catalog()
    import_catalog(catalog)
    Radio.objects.get(uuid="r1").delete()
    Radio(
        uuid="r1",
        name="Radio One",
        timezone="Europe/Paris",
        playlists=[
            Playlist(
                id=10,
                name="default",
                songs=[
                    Song(id=100, filename="a/100.mp3", duration=200),
                    Song(id=101, filename="a/101.mp3", duration=180.5),
                ],
            ),
            Playlist(
                id=11,
                name="Morning",
                show=Show(days=["MON", "FRI"], time="07:00:00", duration=3600),
                songs=[Song(id=110, filename="m/110.mp3", duration=150, order=1)],
            ),
        ],
        jingles=[
            Jingle(
                id="j1",
                name="Station ID",
                filename="j/id.mp3",
                duration=6,
                schedule=[
                    JingleSchedule(type="between_songs", range=4),
                    JingleSchedule(type="hourly"),
                ],
            )
        ],
    ).save()

    assert import_catalog(catalog).stored_radios == []


def test_null_is_the_same_as_absent(db):
    catalog = small_catalog()
    catalog["radios"][0]["playlists"][0]["songs"][0].update(artist=None, frequency=None)

    import_catalog(catalog)

    song = radio("r1").playlists[0].songs[0]
    assert (song.artist, song.frequency) == (None, 0.5)


def test_unknown_keys_are_ignored(db):
    catalog = small_catalog()
    catalog["version"] = 3
    catalog["radios"][0]["color"] = "red"
    catalog["radios"][0]["playlists"][0]["songs"][0]["bpm"] = 120

    import_catalog(catalog)

    assert radio("r1").playlists[0].songs[0].id == 100
