"""The engine's cheap reads for the dashboard: its listing, broken set and pending
events, kept up to date and handed out as snapshots."""

import pytest


# --- the engine's cheap reads --------------------------------------------------------------


def test_the_engine_keeps_its_broken_set_and_listing_up_to_date(db):
    from tests.programming_support import default_songs, load, make_programmer, playlist
    from tests.programming_support import radio as engine_radio
    from tests.programming_support import song

    station = engine_radio("r1", playlists=[playlist(1, [song(1, enabled=False)])])
    engine_radio("r2", playlists=[playlist(2, default_songs(3, first_id=10))])
    programmer, clock, _player = make_programmer(1_800_000_000.0)
    load(programmer)
    assert programmer.broken_uuids() == {"r1"}
    assert programmer.radio_uuids() == ("r1", "r2")
    assert programmer.search_keys() == {"r1": "r1 r1", "r2": "r2 r2"}

    station.playlists[0].songs[0].enabled = True
    station.name = "Morning Glory"
    station.save()
    programmer.set_radio(station)
    assert programmer.broken_uuids() == set()
    assert programmer.search_keys()["r1"] == "r1 morning glory"
    with pytest.raises(TypeError):  # read-only: a reader cannot change the engine's listing
        programmer.search_keys()["r1"] = "changed"

    engine_radio("r0", playlists=[playlist(3, [])])
    programmer.set_radio(engine_radio("r0", playlists=[playlist(3, [])], save=False))
    assert (programmer.radio_uuids(), programmer.broken_uuids()) == (("r0", "r1", "r2"), {"r0"})
    programmer.remove_radio("r0")
    assert (programmer.radio_uuids(), programmer.broken_uuids()) == (("r1", "r2"), set())


def test_pending_events_walk_the_heap_in_order_skipping_stale_entries(db):
    from tests.programming_support import default_songs, load, make_programmer, playlist
    from tests.programming_support import run_until, stored_radio
    from tests.programming_support import radio as engine_radio

    for index in range(30):
        songs_ = default_songs(4, 30.0 + 7 * index, first_id=100 * index + 1)
        engine_radio(f"r{index:02d}", playlists=[playlist(index + 1, songs_)])
    programmer, clock, _player = make_programmer(1_800_000_000.0)
    load(programmer)
    run_until(programmer, clock, clock.now() + 600)  # many events done: stale entries remain
    programmer.remove_radio("r04")  # its heap entry stays, stale
    programmer.remove_radio("r03")
    programmer.set_radio(stored_radio("r03"))  # back, with a new entry
    assert len(programmer._events._heap) > programmer.pending_count()
    expected = [
        (at, uuid, kind)
        for uuid in programmer.radio_uuids()
        if (event := programmer._events.pending(uuid)) is not None
        for at, kind in [event]
    ]
    assert programmer.pending_count() == len(expected) == 29
    assert "r04" not in {uuid for _, uuid, _ in expected}
    soonest = programmer.pending_events(100)
    # in time order (at the same instant, in scheduling order: tests/test_programming_events.py)
    assert sorted(soonest) == sorted(expected)
    assert [at for at, _, _ in soonest] == sorted(at for at, _, _ in expected)
    assert programmer.pending_events(10) == soonest[:10]


def test_the_broken_count_follows_radios_that_break_mend_go_and_are_handed_away(db):
    from tests.programming_support import default_songs, load, make_programmer, playlist
    from tests.programming_support import radio as engine_radio
    from tests.programming_support import run_until, song

    def broken_count():
        """counts()'s figure, checked against each radio's own view of itself."""
        walked = sum(
            1 for uuid in programmer.radio_uuids() if programmer.radio_view(uuid)["broken"]
        )
        counted = programmer.counts()["broken_radios"]
        assert counted == walked
        return counted

    stations = {
        uuid: engine_radio(uuid, playlists=[playlist(n, default_songs(3, 60.0, first_id=10 * n))])
        for n, uuid in enumerate(("r1", "r2", "r3"), start=1)
    }
    engine_radio("r0", playlists=[playlist(9, [song(90, enabled=False)])])
    programmer, clock, _player = make_programmer(1_800_000_000.0)
    load(programmer)
    assert broken_count() == 1  # r0, broken at load

    for uuid in ("r1", "r2"):  # their songs disabled: broken once what plays ends
        for entry in stations[uuid].playlists[0].songs:
            entry.enabled = False
        stations[uuid].save()
        programmer.set_radio(stations[uuid])
    run_until(programmer, clock, clock.now() + 600)
    assert broken_count() == 3

    stations["r1"].playlists[0].songs[0].enabled = True  # mended by the catalog
    stations["r1"].save()
    programmer.set_radio(stations["r1"])
    assert broken_count() == 2
    programmer.remove_radio("r0")  # removed while broken
    assert broken_count() == 1
    programmer.remove_radio("r2", forget_stored=False)  # handed to another instance, broken
    assert broken_count() == 0
    programmer.set_radio(stations["r2"])  # back, still broken: counted once
    programmer.set_radio(stations["r2"])
    assert broken_count() == 1
    assert programmer.counts()["radios"] == 3
