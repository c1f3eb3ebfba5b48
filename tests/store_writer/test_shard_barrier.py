"""The barrier per radio, with the masters one document a shard (store/streams.py): a
radio's message waits for its shard's document, and goes as soon as that lands, with
every other radio's whose master it holds."""

from tests.store_contract.conftest import stored_masters
from tests.store_writer.test_writer import DELAY, Parts
from yascheduler.store.pending import write_taken

ONE, SAME_SHARD, OTHER = "radio-1", "radio-116", "radio-2"  # shards 79, 79, 245


def test_each_radio_of_a_shard_document_is_stored_once_it_lands_and_told(db):
    parts = Parts()
    told = []
    parts.writer.listeners.append(told.append)
    for radio in (ONE, SAME_SHARD, OTHER):
        parts.streams.add(radio, "s1", 1.0)
    marks = {radio: parts.writer.mark(radio) for radio in (ONE, SAME_SHARD, OTHER)}
    assert not any(parts.writer.stored(mark) for mark in marks.values())
    assert parts.backlog.pending() == 2  # two documents wait, for three radios

    parts.clock.advance(DELAY)
    parts.writer.write_pending()

    assert all(parts.writer.stored(mark) for mark in marks.values())
    assert {ONE, SAME_SHARD, OTHER} <= set().union(*[radios for radios in told if radios])
    assert parts.backlog.radios.documents_of(SAME_SHARD) == ()  # forgotten: all landed
    assert stored_masters() == {radio: ("s1", 1.0) for radio in (ONE, SAME_SHARD, OTHER)}


def test_a_radio_queued_into_its_shard_while_it_is_written_goes_before_the_turn_ends(db):
    parts = Parts()
    parts.streams.add(ONE, "s1", 1.0)
    later = []

    def during_the_write(_radios):  # the shard's document in flight: another radio of it
        if not later:
            parts.streams.add(SAME_SHARD, "s2", 2.0)
            later.append(parts.writer.mark(SAME_SHARD))

    parts.writer.listeners.insert(0, during_the_write)
    parts.clock.advance(DELAY)
    parts.writer.write_pending()
    assert stored_masters() == {ONE: ("s1", 1.0), SAME_SHARD: ("s2", 2.0)}  # put first
    assert parts.writer.stored(later[0])


def test_a_radio_whose_master_is_stored_waits_for_no_other_radio_of_its_shard(db):
    parts = Parts()
    parts.streams.add(ONE, "s1", 1.0)
    taken = parts.streams.take()  # being written...
    parts.streams.add(SAME_SHARD, "s2", 2.0)  # ...while another radio of its shard waits
    write_taken(parts.streams, taken)
    one_now, same_now = parts.writer.mark(ONE), parts.writer.mark(SAME_SHARD)
    assert parts.writer.stored(one_now)  # ONE's own entry is stored
    assert not parts.writer.stored(same_now)
    assert parts.backlog.radios.documents_of(ONE) == ()  # nothing of ONE's to put first
