"""Imports are upserts by id: what the file names is replaced, the rest left alone."""

from yascheduler.catalog.importer import CatalogChange
from yascheduler.store.radios import Radio
from yascheduler.store.timelines import RadioTimeline
from yascheduler.store.users import User


from tests.catalog.conftest import import_catalog, small_catalog, stored_documents, radio


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
    assert after == {**before, "playlists": before["playlists"][:1], "playlist_ids": [10]}
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
