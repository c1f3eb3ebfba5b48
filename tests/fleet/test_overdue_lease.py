"""An instance whose leases are overdue for renewal (a store saturated by a join burst
answers the renewal late; a paused process): the streamer messages read meanwhile are
answered once the leases are renewed, none dropped (bench/README.md, "Overdue leases").
The leases are counted by a fake clock, moved past their margin right after a beat: the
next beat, a third of the lease later, renews them."""

import gevent

from tests.catalogs import USERS, radio
from tests.harness import wait_for
from yascheduler.fleet.leases import MARGIN
from yascheduler.support.clock import FakeClock

LEASE = 15.0  # s: a beat every 5 s, long after the messages are read
RADIOS = [f"radio-{n}" for n in range(30)]


class Replies:
    """Every message the streamer gets but plays, as they come."""

    def __init__(self, streamer):
        self.messages: list[dict] = []
        self.greenlet = gevent.spawn(self._collect, streamer)

    def _collect(self, streamer):
        while True:
            _, message = streamer.inbox.get()
            if message["type"] != "play":
                self.messages.append(message)

    def of(self, kind: str) -> list[dict]:
        return [message for message in self.messages if message["type"] == kind]


def overdue(membership, clock: FakeClock) -> None:
    """Move the leases' clock past their margin just after a beat (one begun in time and
    still waiting on the store would count them until it is answered)."""
    clock.advance(0.001)
    wait_for(lambda: membership.last_beat_at == clock.now(), "a beat", LEASE)
    clock.advance(LEASE * (1 - MARGIN) + 0.1)
    wait_for(lambda: not membership.steady(), "the leases overdue")


def test_messages_read_while_the_leases_are_overdue_are_answered_once_renewed(
    make_service, streamers
):
    clock = FakeClock()
    catalog = {
        "users": USERS,
        "radios": [radio(u, 10 * (n + 1), n + 1) for n, u in enumerate(RADIOS)],
    }
    service = make_service(catalog, fleet_clock=clock, lease_seconds=LEASE)
    membership = service.fleet.membership
    s1 = streamers("s1")
    s1.roundtrip("before")
    replies = Replies(s1)
    try:
        overdue(membership, clock)
        for uuid in RADIOS:
            s1.send(type="play_radio", radio_uuid=uuid)
        s1.send(type="test", info="while overdue")
        wait_for(lambda: len(replies.of("radio_started")) >= len(RADIOS), "radios started", LEASE)
        wait_for(lambda: replies.of("test"), "the reply to the test")
        assert membership.steady()  # renewed: what was kept went then
        s1.send(type="test", info="after")  # its reply last: none sent twice before it
        wait_for(lambda: len(replies.of("test")) == 2, "the reply to the test after")
        started = [reply["radio_uuid"] for reply in replies.of("radio_started")]
        assert sorted(started) == sorted(RADIOS)
        assert [reply["info"] for reply in replies.of("test")] == ["while overdue", "after"]
    finally:
        replies.greenlet.kill()
