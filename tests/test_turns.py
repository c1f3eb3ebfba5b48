"""Long loops give the other greenlets a turn."""

import time

import gevent

from yascheduler.support.turns import take_turns


def test_other_greenlets_run_between_turns_and_only_then():
    others_ran = []
    gevent.spawn(others_ran.append, "other")
    seen = []
    for item in take_turns(range(10), 4):
        seen.append((item, len(others_ran)))
    # items 0-3 before the first turn; the other greenlet ran at it
    assert seen == [(i, 0) for i in range(4)] + [(i, 1) for i in range(4, 10)]


def test_an_expired_timer_fires_at_the_next_turn():
    fired = []
    gevent.spawn_later(0.001, fired.append, "timer")
    fired_at = []
    for item in take_turns(range(30), 10):
        if item == 0:
            busy_until = time.monotonic() + 0.005  # the timer expires during this item
            while time.monotonic() < busy_until:
                pass
        fired_at.append(bool(fired))
    assert fired_at == [False] * 10 + [True] * 20
