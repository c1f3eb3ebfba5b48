"""The lateness meter's recent window, over many sends: what an operator reads on the
dashboard (the last minute's count and percentiles) after the window has rolled on."""

from yascheduler.programming import lateness
from yascheduler.programming.lateness import LatenessMeter
from yascheduler.support.clock import FakeClock


def test_the_last_minute_counts_only_its_own_sends_after_many_have_gone_by():
    clock = FakeClock()
    meter = LatenessMeter(clock=clock)
    for second in range(300):  # five windows of one send a second, 1 ms to 300 ms late
        meter.add((second + 1) / 1000)
        clock.advance(1)
    recent = meter.recent()
    # sent at 0..299, now 300: the window keeps those sent at 240 and after
    assert (recent["count"], recent["p50_ms"], recent["max_ms"]) == (60, 271.0, 300.0)
    assert meter.after(clock.now() - 2)["count"] == 1  # the send at that instant is not counted


def test_the_window_holds_at_most_its_cap_of_sends(monkeypatch):
    monkeypatch.setattr(lateness, "RECENT_CAP", 5)
    clock = FakeClock()
    meter = LatenessMeter(clock=clock)
    for late in range(1, 13):
        meter.add(late / 1000)
    recent = meter.recent()
    assert (recent["count"], recent["p50_ms"], recent["max_ms"]) == (5, 10.0, 12.0)
