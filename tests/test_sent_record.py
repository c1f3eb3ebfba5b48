"""The record of the plays decided ahead that went out, kept in Redis by the transaction
that publishes them (streaming/sent_record.py): what a taker reads to know whether such
a play went out after its sender's last send mark."""

import redis

from yascheduler.app.fleet_loading import recorded_published
from yascheduler.programming import PlayCommand
from yascheduler.streaming import sent_record
from yascheduler.streaming.bus import Bus
from yascheduler.support.clock import FakeClock
from yascheduler.support.metrics import Metrics
from yascheduler.support.shards import shard_of

NOW = 1_800_000_000.0


def test_a_play_decided_ahead_is_recorded_as_it_is_published_and_no_other(redis_url, streamers):
    bus = Bus(redis_url, Metrics(), FakeClock(NOW))
    s1 = streamers("s1")
    start = NOW + 5.0
    bus.play("s1", "r1", PlayCommand("b.mp3", start, 0.0, 0.0, ends_at=start + 200), due_at=NOW)
    bus.play("s1", "r2", PlayCommand("a.mp3", NOW - 30, 30.0, 0.0, ends_at=NOW + 170))  # a join
    bus.flush()
    assert [play["radio_uuid"] for play in (s1.expect("play"), s1.expect("play"))] == ["r1", "r2"]
    recorded = sent_record.read(bus.client, {shard_of("r1"), shard_of("r2")})
    assert recorded == {"r1": start}
    assert sent_record.is_recorded(recorded, "r1", start)
    assert not sent_record.is_recorded(recorded, "r1", start + 200)  # the track after
    assert not sent_record.is_recorded(recorded, "r2", NOW - 30)
    ttl = redis.Redis.from_url(redis_url).ttl(sent_record.KEY.format(shard_of("r1")))
    assert 0 < ttl <= sent_record.KEEP_SECONDS


def test_a_taker_that_cannot_read_the_record_loads_on_the_marks_alone(caplog):
    nobody = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
    assert recorded_published(nobody, [shard_of("r1")]) == {}
    assert "the record of the plays published unread" in caplog.text
