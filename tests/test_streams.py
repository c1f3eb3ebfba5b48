"""Radio masters: what memory says is what the store says, across restarts."""

from tests.store_contract.conftest import raw, stored_masters as stored
from yascheduler.store.streams import ShardMasters, StoredStreams
from yascheduler.support.clock import FakeClock
from yascheduler.streaming.masters import Streams


def masters() -> dict[str, str]:
    return {radio: master for radio, (master, _) in stored().items()}


def test_masters_are_stored_and_loaded_back(db):
    streams = Streams(FakeClock(1000.0), StoredStreams())
    streams.start("r1", "s1")
    streams.start("r2", "s1")
    streams.start("r2", "s2")  # a new master takes over
    streams.stop("r1")

    assert masters() == {"r2": "s2"}
    assert streams.radios_of("s1") == [] and streams.radios_of("s2") == ["r2"]
    again = Streams(FakeClock(2000.0), StoredStreams())
    again.load()
    assert again.master("r2") == "s2" and again.master("r1") is None
    assert again.radios_of("s2") == ["r2"]


def test_a_stream_entry_left_behind_is_replaced(db):
    StoredStreams().add("r1", "gone", 1.0)  # a stop that failed left it
    streams = Streams(FakeClock(1000.0), StoredStreams())

    streams.start("r1", "s1")

    assert masters() == {"r1": "s1"}
    assert raw(ShardMasters).find_one()["radios"]["r1"] == ["s1", 1000.0]


def test_every_uuid_comes_back_from_its_field_name_and_none_holds_a_dot_or_dollar():
    from yascheduler.store.streams import field_name, radio_of

    for uuid in ["radio-1", "a.b$c%d", "%2E", "%252E", "nul\0.%24", "ünï.cødé%"]:
        name = field_name(uuid)
        assert radio_of(name) == uuid and "." not in name and "$" not in name, uuid
