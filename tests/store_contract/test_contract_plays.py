"""The contract of the play history (store/plays.py): a writer turn's records in one
document a bucket, gathered into one a radio and hour, read newest or oldest first,
each record once, whatever was stored twice by a crash or two gatherings.

Where nx-27017 differs: an index on an array field is of the whole array, so an
equality on one element finds nothing once the field is indexed (MongoDB's index is
multikey); a `$in` finds it on both, but reads every document. The history reads by
scalars only (a bucket, a radio's uuid)."""

from datetime import UTC, datetime

import pytest

from tests.store_contract.conftest import raw
from yascheduler.app.play_log import RETRY_AFTER, Gathering
from yascheduler.programming.interface import TrackStart
from yascheduler.store.packed_plays import BUCKETS, bucket_of
from yascheduler.store.pending import Backlog, write_taken
from yascheduler.store.plays import Play, StoredPlays

T0 = 3600.0 * 494_445  # the top of an hour
RADIOS = [f"radio-{number}" for number in range(40)]


def track(radio: str, at: float, song: int = 7) -> TrackStart:
    return TrackStart(
        radio, "song", song, f"pop/{song}.mp3", "An Artist", "A Title", None, at, 0.0125
    )


def written_turn(plays: StoredPlays, tracks) -> None:
    """The tracks started, then one writer turn."""
    for started in tracks:
        plays.add(started, listeners=3)
    outcome = write_taken(plays, plays.take())
    assert not outcome.retry and not outcome.refused


def three_hours(plays: StoredPlays) -> None:
    """Every radio starting a track every 30 minutes for three hours, a turn each."""
    for turn in range(6):
        written_turn(plays, [track(radio, T0 + turn * 1800 + k) for k, radio in enumerate(RADIOS)])


def starts(rows) -> list[float]:
    return [row["started_at"] for row in rows]


def documents() -> int:
    return len(list(raw(Play).find({}, {"_id": 1})))


def test_a_writer_turn_stores_its_records_in_one_document_a_bucket(backend):
    plays = StoredPlays(Backlog())
    tracks = [track(radio, T0 + i) for i, radio in enumerate(RADIOS * 5)]  # 200 records
    written_turn(plays, tracks)
    assert documents() == len({bucket_of(radio) for radio in RADIOS}) <= BUCKETS
    rows = plays.page("radio-3", None, None, 0, 100)
    assert starts(rows) == sorted(t.starts_at for t in tracks if t.radio_uuid == "radio-3")[::-1]
    assert {name: rows[0][name] for name in rows[0]} == {
        "kind": "song",
        "song_id": 7,
        "file": "pop/7.mp3",
        "artist": "An Artist",
        "title": "A Title",
        "show": None,
        "started_at": T0 + 163,
        "lateness_ms": 12.5,
        "listeners": 3,
    }


def test_a_turn_written_again_after_an_unknown_outcome_is_stored_once(backend):
    plays = StoredPlays(Backlog())
    plays.add(track("radio-1", T0), listeners=1)
    taken = plays.take()
    write_taken(plays, taken)
    plays.failed(taken)  # its outcome unknown (a timeout): the writer tries again
    write_taken(plays, plays.take())
    assert documents() == 1
    assert starts(plays.page("radio-1", None, None, 0, 10)) == [T0]


def gather_all(plays: StoredPlays) -> None:
    for bucket in range(BUCKETS):
        plays.gather(bucket)
    write_taken(plays, plays.take())


def test_gathered_by_radio_and_hour_the_history_reads_the_same(backend):
    plays = StoredPlays(Backlog())
    three_hours(plays)
    newest = {radio: plays.page(radio, None, None, 0, 100) for radio in RADIOS}
    oldest = list(plays.between("radio-5", None, None))
    assert len(newest["radio-5"]) == 6 and starts(oldest) == starts(newest["radio-5"])[::-1]
    gather_all(plays)
    turns = 6 * len({bucket_of(radio) for radio in RADIOS})
    assert plays.delete_gathered() == turns
    assert documents() == 3 * len(RADIOS)  # an hour a radio
    assert {radio: plays.page(radio, None, None, 0, 100) for radio in RADIOS} == newest
    assert list(plays.between("radio-5", None, None)) == oldest
    assert plays.delete_gathered() == 0  # nothing gathered since


def test_a_record_stored_twice_by_a_crash_or_two_gatherings_is_read_once(backend):
    plays = StoredPlays(Backlog())
    three_hours(plays)
    expected = plays.page("radio-9", None, None, 0, 100)
    gather_all(plays)  # the hours stored, the turns not yet deleted: a kill -9 now
    assert plays.page("radio-9", None, None, 0, 100) == expected
    written_turn(plays, [track("radio-9", T0 + 4 * 3600)])
    another = StoredPlays(Backlog())  # an instance gathering the same turns and one more
    gather_all(another)
    assert plays.page("radio-9", None, None, 0, 100)[1:] == expected
    assert another.delete_gathered() > 0 and plays.delete_gathered() == 0  # gone already
    assert starts(plays.page("radio-9", None, None, 0, 100)) == [T0 + 4 * 3600] + starts(expected)


def test_since_and_until_select_across_hours_and_pages_skip(backend):
    plays = StoredPlays(Backlog())
    three_hours(plays)
    written_turn(plays, [track("radio-2", T0 + 3 * 3600 + 60 * k) for k in range(10)])
    everything = starts(plays.page("radio-2", None, None, 0, 100))
    for gathered in (False, True):
        if gathered:
            gather_all(plays)
        since, until = T0 + 1800, T0 + 3 * 3600 + 300
        chosen = starts(plays.page("radio-2", since, until, 0, 100))
        assert chosen == [at for at in everything if since <= at < until]
        assert starts(plays.page("radio-2", since, until, 2, 3)) == chosen[2:5]
        assert starts(plays.between("radio-2", since, until)) == chosen[::-1]


def test_records_an_older_version_stored_read_with_the_new(backend):
    plays = StoredPlays(Backlog())
    old = {
        "radio_uuid": "radio-1",
        "kind": "jingle",
        "song_id": None,
        "file": "j.mp3",
        "artist": None,
        "title": "Ident",
        "show": None,
        "started_at": T0 + 100,
        "started": datetime.fromtimestamp(T0 + 100, UTC),
        "lateness_ms": 0.0,
        "listeners": 4,
    }
    raw(Play).insert_one(old)
    three_hours(plays)
    rows = plays.page("radio-1", None, None, 0, 100)
    assert starts(rows) == sorted([T0 + 100] + [T0 + t * 1800 + 1 for t in range(6)])[::-1]
    assert [row["kind"] for row in rows].count("jingle") == 1
    gather_all(plays)
    assert plays.page("radio-1", None, None, 0, 100) == rows


def test_a_turn_that_cannot_be_decoded_is_logged_and_left(backend, caplog):
    plays = StoredPlays(Backlog())
    written_turn(plays, [track("radio-1", T0)])
    broken = {"bucket": bucket_of("radio-1"), "first": T0, "last": T0, "body": "{broken"}
    raw(Play).insert_one({**broken, "started": datetime.fromtimestamp(T0, UTC)})
    assert starts(plays.page("radio-1", None, None, 0, 10)) == [T0]
    assert any("not decodable" in record.getMessage() for record in caplog.records)
    gather_all(plays)
    assert plays.delete_gathered() == 1  # the good turn; the broken one stays
    assert starts(plays.page("radio-1", None, None, 0, 10)) == [T0]
    assert len(list(raw(Play).find({"body": "{broken"}))) == 1


def test_expiry_deletes_turns_and_hours_by_their_newest_start(backend):
    plays = StoredPlays(Backlog())
    three_hours(plays)
    gather_all(plays)
    plays.delete_gathered()
    written_turn(plays, [track("radio-1", T0 + 5 * 3600)])  # a turn not gathered
    assert plays.delete_before(T0 + 3600) == len(RADIOS)  # every radio's first hour
    assert plays.delete_before(T0 + 6 * 3600) == 2 * len(RADIOS) + 1
    assert plays.page("radio-1", None, None, 0, 10) == []


@pytest.mark.parametrize("query", [{"uuids": "a"}, {"uuids": {"$in": ["a"]}}])
def test_an_index_on_an_array_is_multikey_except_on_nx(backend, query):
    collection = raw(Play).database["arrays"]
    collection.create_index("uuids")
    collection.insert_one({"uuids": ["a", "b"]})
    misses = backend == "nx" and not isinstance(query["uuids"], dict)
    assert len(list(collection.find(query))) == (0 if misses else 1)


def test_gathering_with_the_store_gone_says_so_and_tries_again_soon(unreachable, caplog):
    gathering = Gathering(StoredPlays(Backlog()))
    assert gathering.loop() == RETRY_AFTER
    assert "history: gathering bucket 0's plays failed" in caplog.text
