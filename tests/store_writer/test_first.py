"""A radio that a held message waits for goes first: its changes lead the write rather
than wait behind every other radio's (a `play` waits for its own timeline, not for a
backlog of thousands of other radios' writes queued before it)."""

from tests.store_writer.test_barrier import bus_counting_chunks, received_until_synced
from tests.store_writer.test_writer import DELAY, Parts
from yascheduler.store.bulk import CHUNK
from yascheduler.store.timelines import RadioTimeline
from yascheduler.streaming import protocol

RADIOS = [f"r{number:04}" for number in range(3 * CHUNK)]  # three chunks


def timelines_stored() -> int:
    return RadioTimeline.objects(uuid__in=RADIOS).count()


def streamed(parts, redis_url, streamers):
    """RADIOS whose timelines wait for the writer, one document each (their masters
    would be a few: store/streams.py): (bus counting what it sent after each chunk,
    its record, the streamer)."""
    bus, sent_after_each_chunk = bus_counting_chunks(parts, redis_url)
    s1 = streamers("s1")
    for radio in RADIOS:
        parts.timelines.save(radio, {"event_at": parts.clock.now()})
    return bus, sent_after_each_chunk, s1


def test_a_message_held_for_the_last_radio_queued_goes_after_the_first_chunk(
    db, redis_url, streamers
):
    parts = Parts(limit=10 * CHUNK)
    bus, sent_after_each_chunk, s1 = streamed(parts, redis_url, streamers)
    bus.publish("s1", protocol.radio_started(RADIOS[-1]))
    bus.flush()
    assert bus.holding() == 1
    parts.writer.loop()
    assert sent_after_each_chunk[0].get("radio_started") == 1
    assert timelines_stored() == len(RADIOS)  # the others were written all the same
    assert received_until_synced(bus, s1) == [("radio_started", RADIOS[-1])]
    assert parts.writer.caught_up()


def test_a_change_queued_during_a_long_write_is_written_before_the_rest_of_it(
    db, redis_url, streamers
):
    parts = Parts(limit=10 * CHUNK)
    bus, sent_after_each_chunk, s1 = streamed(parts, redis_url, streamers)
    stored_when_sent = []  # the streams stored as it changed

    def during_the_first_chunk(_radios):  # a radio elsewhere changes, and a play follows
        if not stored_when_sent:
            parts.timelines.save("elsewhere", {"event_at": 9.0})
            bus.publish("s1", protocol.radio_stopped("elsewhere"))
            bus.flush()
            stored_when_sent.append(timelines_stored())

    parts.writer.listeners.insert(0, during_the_first_chunk)
    parts.clock.advance(DELAY)
    parts.writer.loop()
    chunks_before_it_went = next(
        number for number, sent in enumerate(sent_after_each_chunk) if sent.get("radio_stopped")
    )
    assert chunks_before_it_went < 2  # not after the last of the turn's three chunks
    assert RadioTimeline.objects(uuid="elsewhere").count() == 1
    assert received_until_synced(bus, s1) == [("radio_stopped", "elsewhere")]
    parts.clock.advance(DELAY)
    parts.writer.loop()  # a turn that finds nothing left to write: all of it was
    assert parts.writer.caught_up() and timelines_stored() == len(RADIOS)
