"""The catalog import: the rules of CATALOG.md, upserts, and all-or-nothing writes."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from yascheduler.catalog import importer
from yascheduler.catalog.importer import CatalogChange, parse_catalog
from yascheduler.store.catalog import StoredCatalog
from yascheduler.store.radios import Jingle, JingleSchedule, Playlist, Radio, Show, Song
from yascheduler.store.timelines import RadioTimeline
from yascheduler.store.users import User
from yascheduler.support.errors import CatalogError

EXAMPLE = Path(__file__).resolve().parent.parent / "config" / "catalog.example.json"


def import_catalog(data):
    return importer.import_catalog(data, StoredCatalog())


def load_catalog_file(path):
    return importer.load_catalog_file(path, StoredCatalog())


def small_catalog() -> dict:
    """A valid catalog with one of everything; tests break one field of it."""
    return {
        "users": [
            {"id": 1, "username": "mat", "api_key": "k-1", "hd": True, "auth_tokens": ["tok-a"]},
            {"id": 2, "username": "eve", "api_key": "k-2"},
        ],
        "radios": [
            {
                "uuid": "r1",
                "name": "Radio One",
                "timezone": "Europe/Paris",
                "playlists": [
                    {
                        "id": 10,
                        "name": "default",
                        "songs": [
                            {"id": 100, "filename": "a/100.mp3", "duration": 200},
                            {"id": 101, "filename": "a/101.mp3", "duration": 180.5},
                        ],
                    },
                    {
                        "id": 11,
                        "name": "Morning",
                        "show": {"days": ["MON", "FRI"], "time": "07:00:00", "duration": 3600},
                        "songs": [
                            {"id": 110, "filename": "m/110.mp3", "duration": 150, "order": 1}
                        ],
                    },
                ],
                "jingles": [
                    {
                        "id": "j1",
                        "name": "Station ID",
                        "filename": "j/id.mp3",
                        "duration": 6,
                        "schedule": [{"type": "between_songs", "range": 4}, {"type": "hourly"}],
                    }
                ],
            },
            {
                "uuid": "r2",
                "name": "Radio Two",
                "playlists": [
                    {
                        "id": 20,
                        "name": "default",
                        "songs": [{"id": 200, "filename": "b/200.mp3", "duration": 240}],
                    }
                ],
            },
        ],
    }


def stored_documents() -> dict:
    """Everything the catalog owns, as stored, to compare before and after."""
    return {
        "users": sorted((user.to_mongo().to_dict() for user in User.objects), key=str),
        "radios": sorted((radio.to_mongo().to_dict() for radio in Radio.objects), key=str),
    }


def rejection(catalog) -> CatalogError:
    with pytest.raises(CatalogError) as caught:
        import_catalog(catalog)
    return caught.value


def radio(uuid: str) -> Radio:
    return Radio.objects.get(uuid=uuid)


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
    for stored in Radio.objects:
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

    for raw in Radio._get_collection().find():
        assert radio(raw["_id"]).to_mongo().to_dict() == raw
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


# --- upserts ----------------------------------------------------------------------------


def test_partial_radio_update_keeps_what_it_does_not_name(db):
    import_catalog(small_catalog())

    change = import_catalog({"radios": [{"uuid": "r1", "name": "Radio Uno", "ready": False}]})

    one = radio("r1")
    assert (one.name, one.ready, one.timezone) == ("Radio Uno", False, "Europe/Paris")
    assert [playlist.id for playlist in one.playlists] == [10, 11]
    assert [jingle.id for jingle in one.jingles] == ["j1"]
    assert [stored["_id"] for stored in change.stored_radios] == ["r1"]
    assert change.stored_radios[0]["ready"] is False


def test_playlist_is_replaced_whole_by_id_and_new_ones_added(db):
    import_catalog(small_catalog())

    import_catalog(
        {
            "radios": [
                {
                    "uuid": "r1",
                    "playlists": [
                        {"id": 12, "name": "Evening"},
                        {
                            "id": 10,
                            "name": "default",
                            "songs": [{"id": 102, "filename": "a/102.mp3", "duration": 99}],
                        },
                    ],
                }
            ]
        }
    )

    one = radio("r1")
    assert [playlist.id for playlist in one.playlists] == [10, 11, 12]
    assert [song.id for song in one.playlists[0].songs] == [102]
    assert [song.id for song in one.playlists[1].songs] == [110]
    assert one.name == "Radio One"


def test_jingle_is_replaced_whole_by_id(db):
    import_catalog(small_catalog())

    import_catalog(
        {
            "radios": [
                {
                    "uuid": "r1",
                    "jingles": [
                        {"id": "j2", "filename": "j/2.mp3", "duration": 3},
                        {"id": "j1", "filename": "j/new.mp3", "duration": 5},
                    ],
                }
            ]
        }
    )

    jingles = radio("r1").jingles
    assert [(jingle.id, jingle.filename) for jingle in jingles] == [
        ("j1", "j/new.mp3"),
        ("j2", "j/2.mp3"),
    ]
    assert jingles[0].name is None and list(jingles[0].schedule) == []


def test_user_is_replaced_whole(db):
    import_catalog(small_catalog())

    change = import_catalog({"users": [{"id": 1, "username": "mat", "api_key": "k-new"}]})

    mat = User.objects.get(id=1)
    assert (mat.api_key, mat.hd, mat.auth_tokens) == ("k-new", False, [])
    assert change.users == 1
    assert User.objects.count() == 2


def test_users_may_swap_usernames(db):
    import_catalog(small_catalog())

    import_catalog(
        {
            "users": [
                {"id": 1, "username": "eve", "api_key": "k-1"},
                {"id": 2, "username": "mat", "api_key": "k-2"},
            ]
        }
    )

    assert {user.id: user.username for user in User.objects} == {1: "eve", 2: "mat"}


def test_deleted_entry_removes_the_radio_only(db):
    import_catalog(small_catalog())
    RadioTimeline(uuid="r2").save()

    change = import_catalog({"radios": [{"uuid": "r2", "deleted": True, "name": 7}]})

    assert change == CatalogChange(stored_radios=[], deleted=["r2"], users=0)
    assert [stored.uuid for stored in Radio.objects] == ["r1"]
    assert RadioTimeline.objects(uuid="r2").count() == 1  # its owner's business


def test_deleting_an_unknown_radio_is_fine(db):
    import_catalog(small_catalog())

    change = import_catalog({"radios": [{"uuid": "nowhere", "deleted": True}]})

    assert change.deleted == []
    assert Radio.objects.count() == 2


def test_unchanged_radios_and_users_are_not_reported(db):
    catalog = small_catalog()
    import_catalog(catalog)
    catalog["radios"][1]["name"] = "Radio Deux"

    change = import_catalog(catalog)

    assert [stored["_id"] for stored in change.stored_radios] == ["r2"]
    assert change.users == 0


def test_playlist_id_may_move_from_a_radio_deleted_in_the_same_file(db):
    import_catalog(small_catalog())

    import_catalog(
        {
            "radios": [
                {"uuid": "r2", "deleted": True},
                {"uuid": "r3", "playlists": [{"id": 20, "name": "default"}]},
            ]
        }
    )

    assert [playlist.id for playlist in radio("r3").playlists] == [20]


def test_deleted_playlist_entry_removes_that_playlist_alone(db):
    import_catalog(small_catalog())
    before = radio("r1").to_mongo().to_dict()

    change = import_catalog(
        {"radios": [{"uuid": "r1", "playlists": [{"id": 11, "deleted": True, "name": 5}]}]}
    )

    after = radio("r1").to_mongo().to_dict()
    assert [playlist["id"] for playlist in after["playlists"]] == [10]
    assert after == {**before, "playlists": before["playlists"][:1]}
    assert [stored["_id"] for stored in change.stored_radios] == ["r1"]
    assert [playlist.id for playlist in radio("r2").playlists] == [20]


def test_deleted_jingle_entry_removes_that_jingle_alone(db):
    catalog = small_catalog()
    catalog["radios"][0]["jingles"].append({"id": "j2", "filename": "j/2.mp3", "duration": 3})
    import_catalog(catalog)
    before = radio("r1").to_mongo().to_dict()

    import_catalog({"radios": [{"uuid": "r1", "jingles": [{"id": "j1", "deleted": True}]}]})

    after = radio("r1").to_mongo().to_dict()
    assert after == {**before, "jingles": before["jingles"][1:]}
    assert [jingle.id for jingle in radio("r1").jingles] == ["j2"]


def test_deleting_a_playlist_or_jingle_the_radio_does_not_have_is_fine(db):
    import_catalog(small_catalog())
    before = stored_documents()

    change = import_catalog(
        {
            "radios": [
                {
                    "uuid": "r1",
                    "playlists": [{"id": 99, "deleted": True}, {"id": 20, "deleted": True}],
                    "jingles": [{"id": "nope", "deleted": True}],
                }
            ]
        }
    )

    assert change == CatalogChange(stored_radios=[], deleted=[], users=0)
    assert stored_documents() == before  # playlist 20 is r2's: r1 cannot delete it


def test_playlist_id_may_move_from_a_radio_that_deletes_it_in_the_same_file(db):
    import_catalog(small_catalog())

    import_catalog(
        {
            "radios": [
                {"uuid": "r2", "playlists": [{"id": 11, "name": "Morning, moved"}]},
                {"uuid": "r1", "playlists": [{"id": 11, "deleted": True}]},
            ]
        }
    )

    assert [playlist.id for playlist in radio("r1").playlists] == [10]
    assert [playlist.name for playlist in radio("r2").playlists] == ["default", "Morning, moved"]


def test_deleting_the_default_playlist_makes_room_for_another(db):
    import_catalog(small_catalog())

    import_catalog(
        {
            "radios": [
                {
                    "uuid": "r1",
                    "playlists": [{"id": 12, "name": "default"}, {"id": 10, "deleted": True}],
                }
            ]
        }
    )

    assert [(playlist.id, playlist.name) for playlist in radio("r1").playlists] == [
        (11, "Morning"),
        (12, "default"),
    ]


def test_a_disabled_playlist_is_stored_and_enabled_again_by_a_later_import(db):
    catalog = small_catalog()
    catalog["radios"][0]["playlists"][1]["enabled"] = False
    import_catalog(catalog)
    assert [playlist.enabled for playlist in radio("r1").playlists] == [True, False]
    assert [song.id for song in radio("r1").playlists[1].songs] == [110]

    del catalog["radios"][0]["playlists"][1]["enabled"]
    change = import_catalog(catalog)

    assert [stored["_id"] for stored in change.stored_radios] == ["r1"]
    assert [playlist.enabled for playlist in radio("r1").playlists] == [True, True]


# --- rejections -------------------------------------------------------------------------


def set_in(path, value):
    """A change to small_catalog(): put `value` at `path` (keys and indexes)."""

    def change(catalog):
        *parents, last = path
        target = catalog
        for key in parents:
            target = target[key]
        target[last] = value

    return change


def remove(path):
    def change(catalog):
        *parents, last = path
        target = catalog
        for key in parents:
            target = target[key]
        del target[last]

    return change


def append_to(path, value):
    def change(catalog):
        target = catalog
        for key in path:
            target = target[key]
        target.append(value)

    return change


SONG = ("radios", 0, "playlists", 0, "songs", 0)
SHOW = ("radios", 0, "playlists", 1, "show")
JINGLE = ("radios", 0, "jingles", 0)
SONG_PATH = "radios[0].playlists[0].songs[0]"
SHOW_PATH = "radios[0].playlists[1].show"

REJECTED = [
    # top level
    (set_in(("users",), {}), "users", "must be a list"),
    (set_in(("radios",), "r1"), "radios", "must be a list"),
    (set_in(("radios", 1), ["r2"]), "radios[1]", "must be an object"),
    # users
    (remove(("users", 0, "id")), "users[0].id", "is required"),
    (set_in(("users", 0, "id"), "1"), "users[0].id", "must be an integer"),
    (set_in(("users", 0, "id"), True), "users[0].id", "must be an integer"),
    (set_in(("users", 0, "id"), 1.0), "users[0].id", "must be an integer"),
    (set_in(("users", 0, "id"), 2**63), "users[0].id", "must be from 1 to 2147483647"),
    (set_in(("users", 0, "id"), 0), "users[0].id", "must be from 1 to 2147483647"),
    (set_in(("users", 1, "id"), -5), "users[1].id", "must be from 1 to 2147483647"),
    (set_in(("users", 1, "id"), 2**31), "users[1].id", "must be from 1 to 2147483647"),
    (set_in(("users", 1, "id"), 1), "users[1].id", "duplicate user id 1, also at users[0].id"),
    (set_in(("users", 0, "username"), ""), "users[0].username", "must not be empty"),
    (
        set_in(("users", 1, "username"), "mat"),
        "users[1].username",
        "duplicate username 'mat', also at users[0].username",
    ),
    (remove(("users", 0, "api_key")), "users[0].api_key", "is required"),
    (set_in(("users", 0, "api_key"), 5), "users[0].api_key", "must be a string"),
    (set_in(("users", 0, "hd"), "yes"), "users[0].hd", "must be true or false"),
    (set_in(("users", 0, "auth_tokens"), "tok-a"), "users[0].auth_tokens", "must be a list"),
    (set_in(("users", 0, "auth_tokens", 0), 3), "users[0].auth_tokens[0]", "must be a string"),
    (
        set_in(("users", 1, "auth_tokens"), ["tok-b", "tok-a"]),
        "users[1].auth_tokens[1]",
        "duplicate auth token, also at users[0].auth_tokens[0]",
    ),
    # radios
    (remove(("radios", 0, "uuid")), "radios[0].uuid", "is required"),
    (set_in(("radios", 0, "uuid"), " "), "radios[0].uuid", "must not be empty"),
    (
        set_in(("radios", 1, "uuid"), "r1"),
        "radios[1].uuid",
        "duplicate uuid 'r1', also at radios[0].uuid",
    ),
    (set_in(("radios", 0, "name"), 1), "radios[0].name", "must be a string"),
    (set_in(("radios", 0, "ready"), 1), "radios[0].ready", "must be true or false"),
    (set_in(("radios", 0, "deleted"), "yes"), "radios[0].deleted", "must be true or false"),
    (
        set_in(("radios", 0, "timezone"), "Mars/Base"),
        "radios[0].timezone",
        "unknown time zone 'Mars/Base'",
    ),
    (
        set_in(("radios", 0, "timezone"), "Europe"),
        "radios[0].timezone",
        "unknown time zone 'Europe'",
    ),
    (
        set_in(("radios", 0, "timezone"), "../etc"),
        "radios[0].timezone",
        "unknown time zone '../etc'",
    ),
    (set_in(("radios", 0, "playlists"), {}), "radios[0].playlists", "must be a list"),
    # playlists
    (remove(("radios", 0, "playlists", 1, "id")), "radios[0].playlists[1].id", "is required"),
    (
        set_in(("radios", 0, "playlists", 1, "id"), "11"),
        "radios[0].playlists[1].id",
        "must be an integer",
    ),
    (
        set_in(("radios", 0, "playlists", 1, "id"), 10),
        "radios[0].playlists[1].id",
        "duplicate playlist id 10, also at radios[0].playlists[0].id",
    ),
    (
        set_in(("radios", 1, "playlists", 0, "id"), 11),
        "radios[1].playlists[0].id",
        "duplicate playlist id 11, also at radios[0].playlists[1].id",
    ),
    (remove(("radios", 0, "playlists", 1, "name")), "radios[0].playlists[1].name", "is required"),
    (
        set_in(("radios", 0, "playlists", 0, "enabled"), "no"),
        "radios[0].playlists[0].enabled",
        "must be true or false",
    ),
    (
        set_in(("radios", 0, "playlists", 1, "deleted"), 1),
        "radios[0].playlists[1].deleted",
        "must be true or false",
    ),
    (
        append_to(("radios", 0, "playlists"), {"deleted": True}),
        "radios[0].playlists[2].id",
        "is required",
    ),
    (
        append_to(("radios", 0, "playlists"), {"id": 10, "deleted": True}),
        "radios[0].playlists[2].id",
        "duplicate playlist id 10, also at radios[0].playlists[0].id",
    ),
    (
        set_in(("radios", 0, "playlists", 1, "name"), "default"),
        "radios[0].playlists[1].name",
        "radio 'r1' would have 2 playlists named 'default' (ids 10, 11)",
    ),
    # shows
    (set_in(SHOW, []), SHOW_PATH, "must be an object"),
    (remove(SHOW + ("days",)), SHOW_PATH + ".days", "is required"),
    (set_in(SHOW + ("days",), []), SHOW_PATH + ".days", "must not be empty"),
    (set_in(SHOW + ("days",), "MON"), SHOW_PATH + ".days", "must be a list"),
    (
        set_in(SHOW + ("days",), ["MON", "mon"]),
        SHOW_PATH + ".days[1]",
        "unknown day 'mon' (one of MON TUE WED THU FRI SAT SUN)",
    ),
    (
        set_in(SHOW + ("days",), ["MON", "MON"]),
        SHOW_PATH + ".days[1]",
        "duplicate day 'MON', also at " + SHOW_PATH + ".days[0]",
    ),
    (remove(SHOW + ("time",)), SHOW_PATH + ".time", "is required"),
    (
        set_in(SHOW + ("time",), "24:00:00"),
        SHOW_PATH + ".time",
        "must be HH:MM:SS from 00:00:00 to 23:59:59, not '24:00:00'",
    ),
    (
        set_in(SHOW + ("time",), "7:00"),
        SHOW_PATH + ".time",
        "must be HH:MM:SS from 00:00:00 to 23:59:59, not '7:00'",
    ),
    (set_in(SHOW + ("time",), 700), SHOW_PATH + ".time", "must be a string"),
    (set_in(SHOW + ("duration",), 0), SHOW_PATH + ".duration", "must be > 0"),
    (
        set_in(SHOW + ("duration",), 604801),
        SHOW_PATH + ".duration",
        "must be at most 604800 (7 days)",
    ),
    (set_in(SHOW + ("random_play",), "no"), SHOW_PATH + ".random_play", "must be true or false"),
    (set_in(SHOW + ("enabled",), 0), SHOW_PATH + ".enabled", "must be true or false"),
    # songs
    (remove(SONG + ("id",)), SONG_PATH + ".id", "is required"),
    (
        set_in(("radios", 1, "playlists", 0, "songs", 0, "id"), 110),
        "radios[1].playlists[0].songs[0].id",
        "duplicate song id 110, also at radios[0].playlists[1].songs[0].id",
    ),
    (remove(SONG + ("filename",)), SONG_PATH + ".filename", "is required"),
    (set_in(SONG + ("filename",), ""), SONG_PATH + ".filename", "must not be empty"),
    (remove(SONG + ("duration",)), SONG_PATH + ".duration", "is required"),
    (set_in(SONG + ("duration",), 0), SONG_PATH + ".duration", "must be > 0"),
    (set_in(SONG + ("duration",), -3.5), SONG_PATH + ".duration", "must be > 0"),
    (set_in(SONG + ("duration",), "200"), SONG_PATH + ".duration", "must be a number"),
    (set_in(SONG + ("duration",), True), SONG_PATH + ".duration", "must be a number"),
    (
        set_in(SONG + ("duration",), float("nan")),
        SONG_PATH + ".duration",
        "must be a finite number",
    ),
    (
        set_in(SONG + ("duration",), float("inf")),
        SONG_PATH + ".duration",
        "must be a finite number",
    ),
    (set_in(SONG + ("duration",), 10**400), SONG_PATH + ".duration", "must be a finite number"),
    (set_in(SONG + ("artist",), 5), SONG_PATH + ".artist", "must be a string"),
    (set_in(SONG + ("title",), ["x"]), SONG_PATH + ".title", "must be a string"),
    (set_in(SONG + ("title",), "a\ud800b"), SONG_PATH + ".title", "must be valid Unicode text"),
    (set_in(SONG + ("frequency",), 1.5), SONG_PATH + ".frequency", "must be between 0 and 1"),
    (set_in(SONG + ("frequency",), -0.1), SONG_PATH + ".frequency", "must be between 0 and 1"),
    (set_in(SONG + ("enabled",), "true"), SONG_PATH + ".enabled", "must be true or false"),
    (set_in(SONG + ("order",), 1.5), SONG_PATH + ".order", "must be an integer"),
    (
        set_in(SONG + ("last_play_time",), "yesterday"),
        SONG_PATH + ".last_play_time",
        "must be an ISO 8601 time, not 'yesterday'",
    ),
    (
        set_in(SONG + ("last_play_time",), 1700000000),
        SONG_PATH + ".last_play_time",
        "must be a string",
    ),
    # jingles
    (set_in(JINGLE + ("id",), ""), "radios[0].jingles[0].id", "must not be empty"),
    (set_in(JINGLE + ("id",), 1), "radios[0].jingles[0].id", "must be a string"),
    (
        append_to(("radios", 0, "jingles"), {"id": "j1", "filename": "j/x.mp3", "duration": 2}),
        "radios[0].jingles[1].id",
        "duplicate jingle id 'j1', also at radios[0].jingles[0].id",
    ),
    (
        append_to(("radios", 0, "jingles"), {"id": "j1", "deleted": True}),
        "radios[0].jingles[1].id",
        "duplicate jingle id 'j1', also at radios[0].jingles[0].id",
    ),
    (
        append_to(("radios", 0, "jingles"), {"deleted": True}),
        "radios[0].jingles[1].id",
        "is required",
    ),
    (set_in(JINGLE + ("deleted",), "yes"), "radios[0].jingles[0].deleted", "must be true or false"),
    (set_in(JINGLE + ("name",), 3), "radios[0].jingles[0].name", "must be a string"),
    (remove(JINGLE + ("filename",)), "radios[0].jingles[0].filename", "is required"),
    (set_in(JINGLE + ("duration",), 0), "radios[0].jingles[0].duration", "must be > 0"),
    (
        set_in(JINGLE + ("schedule",), {"type": "hourly"}),
        "radios[0].jingles[0].schedule",
        "must be a list",
    ),
    (
        set_in(JINGLE + ("schedule", 1), {"type": "weekly"}),
        "radios[0].jingles[0].schedule[1].type",
        "unknown type 'weekly' (one of between_songs hourly)",
    ),
    (set_in(JINGLE + ("schedule", 1), {}), "radios[0].jingles[0].schedule[1].type", "is required"),
    (
        set_in(JINGLE + ("schedule", 0), {"type": "between_songs"}),
        "radios[0].jingles[0].schedule[0].range",
        "is required",
    ),
    (
        set_in(JINGLE + ("schedule", 0, "range"), 0),
        "radios[0].jingles[0].schedule[0].range",
        "must be >= 1",
    ),
    (
        set_in(JINGLE + ("schedule", 0, "range"), 2.5),
        "radios[0].jingles[0].schedule[0].range",
        "must be an integer",
    ),
]


@pytest.mark.parametrize(
    "change, path, problem", REJECTED, ids=[f"{path}: {problem}" for _, path, problem in REJECTED]
)
def test_broken_entry_is_rejected_with_its_path(db, change, path, problem):
    catalog = small_catalog()
    change(catalog)

    error = rejection(catalog)

    assert (error.path, error.problem) == (path, problem)
    assert str(error) == f"{path}: {problem}"
    assert stored_documents() == {"users": [], "radios": []}


def test_a_deleted_entry_still_needs_a_uuid(db):
    error = rejection({"radios": [{"deleted": True}]})

    assert (error.path, error.problem) == ("radios[0].uuid", "is required")


# --- rejections against what is stored ------------------------------------------------------


def test_playlist_id_of_another_stored_radio_is_rejected(db):
    import_catalog(small_catalog())

    error = rejection({"radios": [{"uuid": "r3", "playlists": [{"id": 20, "name": "default"}]}]})
    assert (error.path, error.problem) == (
        "radios[0].playlists[0].id",
        "playlist 20 belongs to radio 'r2'",
    )


def test_second_default_playlist_next_to_a_stored_one_is_rejected(db):
    import_catalog(small_catalog())

    error = rejection({"radios": [{"uuid": "r1", "playlists": [{"id": 12, "name": "default"}]}]})

    assert (error.path, error.problem) == (
        "radios[0].playlists[0].name",
        "radio 'r1' would have 2 playlists named 'default' (ids 10, 12)",
    )


def test_renaming_the_stored_default_playlist_makes_room_for_another(db):
    import_catalog(small_catalog())

    import_catalog(
        {
            "radios": [
                {
                    "uuid": "r1",
                    "playlists": [{"id": 10, "name": "old"}, {"id": 12, "name": "default"}],
                }
            ]
        }
    )

    assert [playlist.name for playlist in radio("r1").playlists] == ["old", "Morning", "default"]


def test_username_of_another_stored_user_is_rejected(db):
    import_catalog(small_catalog())

    error = rejection({"users": [{"id": 3, "username": "eve", "api_key": "k-3"}]})

    assert (error.path, error.problem) == ("users[0].username", "username 'eve' is taken by user 2")


def test_auth_token_of_another_stored_user_is_rejected(db):
    import_catalog(small_catalog())

    error = rejection(
        {"users": [{"id": 3, "username": "zed", "api_key": "k", "auth_tokens": ["tok-a"]}]}
    )

    assert (error.path, error.problem) == (
        "users[0].auth_tokens[0]",
        "auth token already names user 1",
    )


def test_auth_token_may_move_between_users_named_in_the_same_file(db):
    import_catalog(small_catalog())

    import_catalog(
        {
            "users": [
                {"id": 1, "username": "mat", "api_key": "k-1"},
                {"id": 2, "username": "eve", "api_key": "k-2", "auth_tokens": ["tok-a"]},
            ]
        }
    )

    assert User.objects.get(id=2).auth_tokens == ["tok-a"]


def test_bad_import_after_a_good_one_changes_nothing(db):
    import_catalog(small_catalog())
    before = stored_documents()
    catalog = small_catalog()
    catalog["users"][0]["hd"] = False
    catalog["users"].append({"id": 3, "username": "new", "api_key": "k-3"})
    catalog["radios"][0]["name"] = "Renamed"
    catalog["radios"][0]["playlists"][0]["songs"] = []
    catalog["radios"][0]["playlists"][1] = {"id": 11, "deleted": True}
    catalog["radios"][0]["jingles"] = [{"id": "j1", "deleted": True}]
    catalog["radios"][1] = {"uuid": "r2", "deleted": True}
    catalog["radios"].append({"uuid": "r4", "playlists": [{"id": 40, "name": "default"}]})
    catalog["radios"].append({"uuid": "r5", "timezone": "Mars/Base"})

    error = rejection(catalog)

    assert error.path == "radios[3].timezone"
    assert stored_documents() == before


# --- the file and its text ----------------------------------------------------------------


def test_text_and_bytes_are_imported_like_a_dict(db):
    text = json.dumps(small_catalog())

    assert len(import_catalog(text.encode()).stored_radios) == 2
    assert parse_catalog(text) == small_catalog()


@pytest.mark.parametrize("text", ["{", "", b"\xff\xfe{", "[1, 2"])
def test_invalid_json_is_rejected(db, text):
    with pytest.raises(CatalogError) as caught:
        import_catalog(text)

    assert caught.value.path == ""
    assert caught.value.problem.startswith("not valid JSON: ")


@pytest.mark.parametrize("text", ["[]", '"radios"', "null", "3"])
def test_json_that_is_not_an_object_is_rejected(db, text):
    with pytest.raises(CatalogError) as caught:
        parse_catalog(text)

    assert (caught.value.path, caught.value.problem) == ("", "must be a JSON object")


def test_nan_in_the_text_is_rejected(db):
    catalog = json.dumps(small_catalog()).replace('"duration": 200', '"duration": NaN')

    error = rejection(catalog)

    assert (error.path, error.problem) == (
        "radios[0].playlists[0].songs[0].duration",
        "must be a finite number",
    )


def test_missing_file_is_rejected_with_its_name(db, tmp_path):
    missing = tmp_path / "nope.json"

    with pytest.raises(CatalogError) as caught:
        load_catalog_file(str(missing))

    assert (caught.value.path, caught.value.problem) == (
        str(missing),
        "cannot read: No such file or directory",
    )


def test_file_is_read_and_imported(db, tmp_path):
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(small_catalog()))

    change = load_catalog_file(path)  # a Path, as the settings give it

    assert [stored["_id"] for stored in change.stored_radios] == ["r1", "r2"]
