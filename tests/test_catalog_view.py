"""The catalog's stored form and the engine's view of it, both from the one schema."""

import gc
import sys

import msgspec
import pytest

from tests.catalogs import EVERY_FIELD_LAST_PLAY as LAST_PLAY
from tests.catalogs import every_field_catalog as catalog
from yascheduler.catalog.entries import read_catalog
from yascheduler.catalog.forms import forget_shared, radio_from_json, radio_from_stored
from yascheduler.catalog.schema import Hourly, Radio
from yascheduler.store.packed_radios import packed, whole_text
from yascheduler.support.errors import CatalogError


def stored_radios(document=None) -> list[dict]:
    """The radios of a catalog in their stored form, as a first import writes them."""
    _, entries = read_catalog(document or catalog())
    return [
        {"_id": e.uuid, "ready": True, **e.fields, "playlists": e.playlists, "jingles": e.jingles}
        for e in entries
    ]


def test_the_stored_form_has_defaults_written_and_absent_values_left_out():
    one, two = stored_radios()

    show = one["playlists"][1]["show"]
    assert show == {
        "days": ["MON", "FRI"],
        "time": "07:00:00",
        "duration": 3600.0,
        "random_play": False,
        "enabled": True,
        "start": "soft",
        "max_wait": 30.0,
    }
    assert one["playlists"][0]["songs"][0]["last_play_time"] == LAST_PLAY
    assert one["jingles"][0]["schedule"] == [
        {"type": "between_songs", "range": 4},
        {"type": "hourly"},
    ]
    assert two["playlists"][0] == {
        "id": 20,
        "name": "default",
        "enabled": True,
        "songs": [
            {
                "id": 200,
                "filename": "b/200.mp3",
                "duration": 240.0,
                "frequency": 0.5,
                "enabled": True,
            }
        ],
    }


def test_the_view_is_what_the_stored_form_says():
    one = stored_radios()[0]

    radio = radio_from_stored(one)

    assert (radio.uuid, radio.name, radio.ready, radio.timezone) == (
        "r1",
        "Radio One",
        True,
        "Europe/Paris",
    )
    song = radio.playlists[0].songs[0]
    assert (song.id, song.filename, song.duration, song.artist, song.title) == (
        100,
        "a/100.mp3",
        212.5,
        "Daft Punk",
        "Aerodynamic",
    )
    assert (song.frequency, song.enabled, song.order, song.last_play_time) == (
        0.5,
        True,
        None,
        LAST_PLAY,
    )
    show = radio.playlists[1].show
    assert (show.days, show.time, show.duration, show.random_play, show.enabled) == (
        ("MON", "FRI"),
        "07:00:00",
        3600.0,
        False,
        True,
    )
    assert (show.start, show.max_wait) == ("soft", 30.0)
    assert radio.playlists[0].show is None
    assert [(entry.type, getattr(entry, "range", None)) for entry in radio.jingles[0].schedule] == [
        ("between_songs", 4),
        ("hourly", None),
    ]
    assert isinstance(radio.jingles[0].schedule[1], Hourly)


def test_a_radio_stored_before_a_field_existed_takes_its_default():
    radio = radio_from_stored(
        {
            "_id": "old",
            "playlists": [
                {
                    "id": 1,
                    "name": "Night",
                    "show": {"days": ["SUN"], "time": "23:00:00", "duration": 7200},
                    "songs": [{"id": 1, "filename": "n/1.mp3", "duration": 200}],
                }
            ],
        }
    )

    playlist = radio.playlists[0]
    assert (radio.ready, radio.timezone, radio.jingles) == (True, None, ())
    assert (playlist.enabled, playlist.show.start, playlist.show.max_wait) == (True, "soft", None)
    assert (playlist.songs[0].frequency, playlist.songs[0].duration) == (0.5, 200.0)


def test_a_stored_radio_that_breaks_the_schema_is_named_by_its_path():
    document = stored_radios()[0]
    document["playlists"][0]["songs"][1]["duration"] = -3.0

    with pytest.raises(CatalogError) as caught:
        radio_from_stored(document)

    assert (caught.value.path, caught.value.problem) == (
        "playlists[0].songs[1].duration",
        "must be > 0",
    )


def test_the_view_is_read_only_compact_and_shares_repeated_strings():
    document = catalog()
    document["radios"][1]["playlists"][0]["songs"][0].update(
        artist="Daft Punk", title="Aerodynamic"
    )
    one, two = (
        radio_from_stored(radio)
        for radio in msgspec.json.decode(
            msgspec.json.encode(stored_radios(document))  # fresh strings, as the store decodes them
        )
    )

    first, second = one.playlists[0].songs[0], two.playlists[0].songs[0]
    assert first.artist is second.artist and first.title is second.title
    assert one.playlists[0].name is two.playlists[0].name
    assert first.frequency is second.frequency  # the default, a float the store gives anew
    with pytest.raises(AttributeError):
        first.duration = 1.0
    assert not hasattr(first, "__dict__")
    assert not gc.is_tracked(first) and not gc.is_tracked(one)
    assert isinstance(one, Radio)


def packed_text(document: dict) -> str:
    """The radio's text as start-up reads it from the store (packed, then made whole)."""
    return whole_text(packed(document))


def test_a_packed_radio_decoded_from_its_text_is_the_view_of_its_document():
    for document in stored_radios():
        assert radio_from_json(packed_text(document)) == radio_from_stored(document)
    assert radio_from_json(packed_text({"_id": "bare"})) == radio_from_stored({"_id": "bare"})


def test_a_packed_radio_whose_text_breaks_the_schema_is_named_by_its_path():
    document = stored_radios()[0]
    document["playlists"][1]["show"]["days"] = ["MON", "someday"]

    with pytest.raises(CatalogError) as caught:
        radio_from_json(packed_text(document))

    assert caught.value.path == "playlists[1].show.days[1]"


def test_a_radio_decoded_from_its_text_shares_repeated_strings_too():
    document = catalog()
    document["radios"][1]["playlists"][0]["songs"][0].update(
        artist="Daft Punk", title="Aerodynamic"
    )
    one, two = (radio_from_json(packed_text(radio)) for radio in stored_radios(document))

    first, second = one.playlists[0].songs[0], two.playlists[0].songs[0]
    assert first.artist is second.artist and first.title is second.title
    assert first.frequency is second.frequency
    assert not gc.is_tracked(one)


def test_repeated_values_are_shared_within_a_load_and_the_table_then_let_go():
    title = " ".join(["Only", "in", "this", "test"])  # built here: no constant, interned
    document = catalog()
    for radio in document["radios"]:
        radio["playlists"][0]["songs"][0].update(title=title, duration=212.5)
    forget_shared()  # what other tests decoded
    one, two = (radio_from_json(packed_text(radio)) for radio in stored_radios(document))
    forget_shared()
    (three, _) = (radio_from_json(packed_text(radio)) for radio in stored_radios(document))

    first, second, third = (radio.playlists[0].songs[0] for radio in (one, two, three))
    assert first.title is second.title and first.duration is second.duration
    # after forget_shared, the next load's radios share among themselves alone
    assert third == first and third.title is not first.title
    assert third.duration is not first.duration
    # not through the interpreter's table, which would keep an entry for each
    assert sys.intern(" ".join(["Only", "in", "this", "test"])) is not first.title
