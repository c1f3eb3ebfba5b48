"""The barrier between the store writer and the bus's publisher: a message that follows
a state change goes once that state is stored, its delay and offset computed as it
goes; one that changes nothing goes at once; and none waits for a store that does not
answer."""

import mongoengine
import pytest

from tests.store_writer.test_writer import DELAY, Parts
from yascheduler.programming import PlayCommand
from yascheduler.programming.interface import SongRequest
from yascheduler.store import connection as store
from yascheduler.store.bulk import CHUNK
from yascheduler.store.requests import StoredRequests
from tests.store_contract.conftest import stored_masters
from tests.harness import stored_timeline
from yascheduler.streaming import protocol
from yascheduler.streaming.bus import Bus


def bus_on(parts, redis_url) -> Bus:
    bus = Bus(redis_url, parts.metrics, parts.clock)
    bus.barrier = parts.writer
    parts.writer.listeners.append(bus.store_moved_on)
    return bus


def bus_counting_chunks(parts, redis_url) -> tuple[Bus, list[dict]]:
    """A bus on the writer, and what it had sent after each chunk landed ({kind: count})."""
    bus = Bus(redis_url, parts.metrics, parts.clock)
    bus.barrier = parts.writer
    sent_after_each_chunk = []

    def chunk_landed(radios):  # as the service's publisher does when told
        bus.store_moved_on(radios)
        bus.flush()
        sent_after_each_chunk.append(dict(bus.metrics.sent))

    parts.writer.listeners.append(chunk_landed)
    return bus, sent_after_each_chunk


def next_track_chosen(redis_url, streamers):
    """A bus and streamer s1 of radio r1, whose next track (b.mp3, 5 s from now) is
    queued for the store: (parts, bus, s1, its start)."""
    parts = Parts()
    bus = bus_on(parts, redis_url)
    s1 = streamers("s1")
    start = parts.clock.now() + 5.0
    parts.timelines.save("r1", {"next": {"filename": "b.mp3", "starts_at": start}})
    return parts, bus, s1, start


def test_a_play_waits_for_its_state_to_be_stored_and_names_the_same_start_when_sent(
    db, redis_url, streamers
):
    parts, bus, s1, start = next_track_chosen(redis_url, streamers)
    bus.play("s1", "r1", PlayCommand("b.mp3", start, 0.0, 1.0))
    bus.publish("s1", protocol.test_reply("meanwhile"))
    bus.flush()
    assert s1.expect("test")["info"] == "meanwhile"  # it changes nothing: not held
    assert (bus.holding(), s1.drain()) == (1, [])

    parts.clock.advance(DELAY)
    parts.writer.loop()  # written: the writer tells the bus
    assert bus.queued.is_set()
    assert stored_timeline("r1").next.filename == "b.mp3"
    bus.flush()
    play = s1.expect("play")
    # sent DELAY later than planned: its delay says the same start
    assert (play["delay"], play["offset"], play["crossfade_duration"]) == (5.0 - DELAY, 0, 1.0)
    assert (bus.holding(), dict(parts.metrics.sent_unstored)) == (0, {})


def test_a_message_held_has_what_it_waits_for_written_at_once(db, redis_url, streamers):
    parts = Parts()
    bus = bus_on(parts, redis_url)
    s1 = streamers("s1")
    parts.streams.add("r1", "s1", parts.clock.now())
    assert parts.writer.loop() == pytest.approx(DELAY)  # nothing waits: write_delay
    bus.publish("s1", protocol.radio_started("r1"))
    bus.flush()
    assert parts.writer.loop() == 0  # hurried: written now
    assert stored_masters()["r1"][0] == "s1"
    bus.flush()
    assert s1.expect("radio_started")["radio_uuid"] == "r1"


def test_a_join_sent_later_is_at_the_offset_reached_when_it_is_sent(db, redis_url, streamers):
    parts = Parts()
    bus = bus_on(parts, redis_url)
    s1 = streamers("s1")
    started = parts.clock.now() - 30.0
    parts.streams.add("r1", "s1", parts.clock.now())
    bus.publish("s1", protocol.radio_started("r1"))
    bus.play("s1", "r1", PlayCommand("a.mp3", started, 10.0, 0.0))
    bus.flush()
    parts.clock.advance(0.25)
    parts.writer.loop()
    bus.flush()
    assert s1.expect("radio_started")["radio_uuid"] == "r1"
    play = s1.expect("play")
    assert (play["delay"], play["offset"]) == (0, 40.25)


def test_a_join_whose_file_ends_while_it_waits_gives_way_to_the_next_track(
    db, redis_url, streamers
):
    parts = Parts()
    bus = bus_on(parts, redis_url)
    s1 = streamers("s1")
    now = parts.clock.now()
    parts.streams.add("r1", "s1", now)
    bus.publish("s1", protocol.radio_started("r1"))
    bus.play("s1", "r1", PlayCommand("a.mp3", now - 199.9, 0.0, 0.0, ends_at=now + 0.1))
    bus.play("s1", "r1", PlayCommand("b.mp3", now + 0.1, 0.0, 0.0, ends_at=now + 200.1))
    bus.flush()
    parts.clock.advance(0.25)  # the master's write lands after a.mp3's end
    parts.writer.loop()
    bus.flush()
    assert s1.expect("radio_started")["radio_uuid"] == "r1"
    play = s1.expect("play")  # not a.mp3 from past its end: b.mp3, from where it is now
    assert (play["filename"], play["delay"], play["offset"]) == ("b.mp3", 0, 0.15)
    assert s1.drain() == []
    assert dict(parts.metrics.ended_unsent) == {"play": 1}


def test_held_messages_go_at_once_when_the_store_does_not_answer_and_are_counted(
    db, redis_url, streamers
):
    parts = Parts()
    bus = bus_on(parts, redis_url)
    s1 = streamers("s1")
    mongoengine.disconnect()  # every call fails at once: MongoEngine has no connection
    try:
        held_while_unreachable(parts, bus, s1)
    finally:
        store.connect(db)


def held_while_unreachable(parts, bus, s1):
    parts.streams.add("r1", "s1", parts.clock.now())
    bus.publish("s1", protocol.radio_started("r1"))
    bus.flush()
    assert bus.holding() == 1
    parts.clock.advance(DELAY)
    parts.writer.loop()  # fails: the store is known unreachable
    assert not parts.writer.answers()
    bus.flush()
    assert s1.expect("radio_started")["radio_uuid"] == "r1"
    bus.publish("s1", protocol.radio_stopped("r1"))
    bus.flush()  # while it is unreachable: at once
    assert s1.expect("radio_stopped")["radio_uuid"] == "r1"
    assert dict(parts.metrics.sent_unstored) == {"radio_started": 1, "radio_stopped": 1}
    assert parts.backlog.pending() == 1  # the change waits for the store


def received_until_synced(bus, streamer) -> list[tuple[str, str | None]]:
    """What the streamer got until now: (type, radio), up to a `test` sent now (not held:
    it comes after everything sent before it)."""
    bus.publish(streamer.name, protocol.test_reply("sync"))
    bus.flush()
    got = []
    while (message := streamer.next(2.0))["type"] != "test":
        got.append((message["type"], message.get("radio_uuid")))
    return got


def test_a_message_about_a_radio_whose_state_is_stored_goes_while_others_wait(
    db, redis_url, streamers
):
    parts = Parts()
    bus = bus_on(parts, redis_url)
    s1 = streamers("s1")
    parts.timelines.save("r1", {"event_at": 5.0})
    parts.clock.advance(DELAY)
    parts.writer.loop()  # r1's timeline stored
    parts.streams.add("r2", "s1", parts.clock.now())
    bus.publish("s1", protocol.radio_started("r2"))  # waits for r2's stream
    bus.play("s1", "r1", PlayCommand("a.mp3", parts.clock.now() - 10.0, 0.0, 0.0))
    bus.flush()
    # r1 has nothing unwritten: its join goes at once, ahead of r2's
    assert (received_until_synced(bus, s1), bus.holding()) == ([("play", "r1")], 1)
    parts.writer.loop()
    bus.flush()
    assert received_until_synced(bus, s1) == [("radio_started", "r2")]
    assert dict(parts.metrics.sent_unstored) == {}


def test_the_messages_of_one_radio_keep_their_order_whatever_each_waits_for(
    db, redis_url, streamers
):
    parts = Parts()
    bus = bus_on(parts, redis_url)
    s1 = streamers("s1")
    parts.streams.add("r1", "s1", parts.clock.now())
    bus.publish("s1", protocol.radio_started("r1"))  # waits for r1's stream
    bus.flush()
    parts.writer.loop()
    parts.timelines.save("r1", {"event_at": 5.0})
    bus.play("s1", "r1", PlayCommand("a.mp3", parts.clock.now(), 0.0, 0.0))
    bus.publish("s1", protocol.radio_stopped("r1"))  # r1's state is written: held behind
    bus.flush()
    assert (received_until_synced(bus, s1), bus.holding()) == ([("radio_started", "r1")], 2)
    parts.writer.loop()
    bus.flush()
    assert received_until_synced(bus, s1) == [("play", "r1"), ("radio_stopped", "r1")]


def test_a_message_goes_once_its_radios_state_landed_not_the_whole_write(db, redis_url, streamers):
    parts = Parts(limit=5000)
    bus, sent_after_each_chunk = bus_counting_chunks(parts, redis_url)
    s1 = streamers("s1")
    radios = [f"r{number:04}" for number in range(CHUNK + 1)]  # two chunks
    for radio in radios:
        parts.streams.add(radio, "s1", parts.clock.now())
    bus.publish("s1", protocol.radio_started(radios[0]))
    bus.publish("s1", protocol.radio_started(radios[-1]))
    bus.flush()
    parts.writer.loop()
    # both radios are marked: their streams lead the write (test_first.py), then the rest
    assert [sent.get("radio_started", 0) for sent in sent_after_each_chunk[:2]] == [2, 2]
    assert sorted(received_until_synced(bus, s1)) == [  # in order per radio, not across
        ("radio_started", radios[0]),
        ("radio_started", radios[-1]),
    ]


def test_a_play_of_a_requested_song_waits_for_the_request_to_be_stored_as_taken(
    db, redis_url, streamers
):
    parts = Parts()
    requests = StoredRequests(parts.backlog)
    parts.writer.repositories.insert(-1, requests)  # the outbox stays last
    bus = bus_on(parts, redis_url)
    s1 = streamers("s1")
    requests.add(SongRequest("q1", "r1", 7, 1, parts.clock.now()))
    parts.writer.write_pending()
    requests.delete("q1", "r1")  # taken: it plays next
    bus.play("s1", "r1", PlayCommand("seven.mp3", parts.clock.now() + 5.0, 0.0, 0.0))
    bus.flush()
    assert (received_until_synced(bus, s1), bus.holding()) == ([], 1)
    parts.writer.loop()
    bus.flush()
    assert received_until_synced(bus, s1) == [("play", "r1")]
    assert requests.collection().count_documents({}) == 0


def test_a_play_decided_ahead_waits_for_its_choice_not_for_what_follows_it(
    db, redis_url, streamers
):
    parts, bus, s1, start = next_track_chosen(redis_url, streamers)
    bus.play("s1", "r1", PlayCommand("b.mp3", start, 0.0, 0.0), due_at=start - 5)
    # its own event's change (the play sent), queued after it: not waited for
    parts.timelines.save("r1", {"event_kind": "start", "event_at": start})
    bus.flush()
    assert (bus.holding(), s1.drain()) == (1, [])  # its choice is not stored yet

    parts.writer.write_pending()  # the choice and what followed it, in one write
    bus.flush()
    assert s1.expect("play")["filename"] == "b.mp3"

    parts.timelines.save("r1", {"next": {"filename": "c.mp3", "starts_at": start + 9}})
    parts.writer.write_pending()  # chosen ahead, stored before its play is due
    bus.play("s1", "r1", PlayCommand("c.mp3", start + 9, 0.0, 0.0), due_at=start + 4)
    parts.timelines.save("r1", {"event_kind": "start", "event_at": start + 9})
    bus.flush()  # goes at once, though its radio has a change waiting
    assert s1.expect("play")["filename"] == "c.mp3"
    assert bus.holding() == 0
