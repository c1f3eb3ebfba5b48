"""Radio masters: what memory says is what the store says, across restarts."""

from yascheduler.store.streams import RadioStream, StoredStreams
from yascheduler.support.clock import FakeClock
from yascheduler.streaming.masters import Streams


def stored_masters():
    return {stream.uuid: stream.master for stream in RadioStream.objects}


def test_masters_are_stored_and_loaded_back(db):
    streams = Streams(FakeClock(1000.0), StoredStreams())
    streams.start("r1", "s1")
    streams.start("r2", "s1")
    streams.start("r2", "s2")  # a new master takes over
    streams.stop("r1")

    assert stored_masters() == {"r2": "s2"}
    assert streams.radios_of("s1") == [] and streams.radios_of("s2") == ["r2"]
    again = Streams(FakeClock(2000.0), StoredStreams())
    again.load()
    assert again.master("r2") == "s2" and again.master("r1") is None
    assert again.radios_of("s2") == ["r2"]


def test_a_stream_document_left_behind_is_replaced(db):
    RadioStream(uuid="r1", master="gone", since=1.0).save()  # a delete that failed
    streams = Streams(FakeClock(1000.0), StoredStreams())

    streams.start("r1", "s1")

    assert stored_masters() == {"r1": "s1"}
    assert RadioStream.objects.get(uuid="r1").since == 1000.0
