"""The one shape of every long-running part, and its two-stage stop."""

import logging

import gevent
import gevent.event
import pytest

from yascheduler.support.supervisor import Supervisor


class Ticker:
    """A part that counts its turns and waits `wait` between them."""

    name = "ticker"

    def __init__(self, wait):
        self.wait = wait
        self.turns = 0
        self.wakeup = gevent.event.Event()
        self.events = []

    def initialize(self):
        self.events.append("initialize")

    def loop(self):
        self.wakeup.clear()
        self.turns += 1
        return self.wait

    def shutdown(self):
        self.events.append("shutdown")


class Writer:
    """A part whose turn is a write that takes as long as the test says."""

    name = "writer"

    def __init__(self):
        self.inside = gevent.event.Event()
        self.release = gevent.event.Event()
        self.written = 0
        self.told_to_stop = False

    def loop(self):
        self.inside.set()
        self.release.wait()
        self.written += 1
        return None

    def stop_taking_work(self):
        self.told_to_stop = True


@pytest.fixture
def supervisor():
    failures = []
    supervisor = Supervisor(failures.append)
    supervisor.failures = failures
    yield supervisor
    supervisor.group.kill()


def test_a_part_runs_turn_after_turn_and_is_woken_early(supervisor):
    ticker = Ticker(wait=None)  # until woken
    greenlet = supervisor.run(ticker)
    assert greenlet.name == "ticker"
    gevent.idle()
    assert (ticker.turns, ticker.events) == (1, ["initialize"])
    ticker.wakeup.set()
    gevent.idle()
    assert ticker.turns == 2


def test_a_part_that_raises_stops_the_service_saying_which(supervisor, caplog):
    class Broken:
        name = "scheduler-loop"

        def loop(self):
            raise ValueError("bug")

    supervisor.run(Broken())
    gevent.idle()
    assert supervisor.failures == ["scheduler-loop died: ValueError('bug')"]
    assert "stopping: scheduler-loop died: ValueError('bug')" in caplog.text


def test_stop_cuts_waits_short_and_lets_a_write_in_progress_complete(supervisor):
    ticker, writer = Ticker(wait=3600), Writer()
    supervisor.run(ticker)
    supervisor.run(writer)
    writer.inside.wait(timeout=1)
    stopper = gevent.spawn(supervisor.stop, 5.0)
    gevent.idle()
    assert not stopper.ready() and writer.told_to_stop  # the write is still in hand
    writer.release.set()
    assert stopper.get(timeout=1) == []  # nothing had to be killed
    assert writer.written == 1
    assert ticker.events == ["initialize", "shutdown"] and ticker.turns == 1


def test_a_part_still_busy_after_the_grace_is_killed(supervisor, caplog):
    caplog.set_level(logging.WARNING)
    writer = Writer()  # never released
    supervisor.run(writer)
    writer.inside.wait(timeout=1)
    assert supervisor.stop(0.05) == ["writer"]
    assert "still busy after 0.05s, stopped now: writer" in caplog.text
    assert not supervisor.group and writer.written == 0
    assert supervisor.failures == []  # a kill at stop is no failure


def test_a_one_shot_job_is_supervised_too(supervisor):
    def job():
        raise RuntimeError("boom")

    supervisor.spawn("wsgi-watch", job)
    gevent.idle()
    assert supervisor.failures == ["wsgi-watch died: RuntimeError('boom')"]
