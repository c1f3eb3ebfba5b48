"""The giver tells the radios of a share-out TELL_AT_ONCE to a message; a shard that a
beat lets go while one of them is published (lost, or handed away) is not told in the
next ones, and the handover part goes on (it died of a KeyError at 100,000 radios over
2 instances). The membership on the real store, the fleet's telling recorded."""

import types

import gevent.event

from yascheduler.app.fleet_handover import TELL_AT_ONCE, RadioHandover
from yascheduler.support.clock import FakeClock

from tests.test_fleet_membership import handing_over, radios_in


class Telling:
    """What RadioHandover asks of the fleet to tell: the events told, in order; while
    the first is published, the beat lets `lost` go."""

    instance_id = "a"

    def __init__(self, membership, lost: int):
        self.membership, self.lost, self.told = membership, lost, []

    def publish(self, event: dict) -> bool:
        if not self.told:
            del self.membership.leases[self.lost], self.membership.handovers.outgoing[self.lost]
        self.told.append(event)
        return True


def test_a_shard_let_go_between_two_messages_is_told_no_more(db):
    a, _ = handing_over(FakeClock())
    kept, lost = sorted(a.handovers.outgoing)[:2]
    radios = {shard: radios_in(shard, 10) for shard in (kept, lost)}
    # the first message the lost shard's radios alone, the second both shards'
    going = radios[lost][:10] * (TELL_AT_ONCE // 10) + radios[kept][:10] + radios[lost][:5]
    fleet = Telling(a, lost)
    handover = RadioHandover(fleet)
    handover._announce("b", going)
    told = [set(event["radios"]) for event in fleet.told]
    assert told == [set(radios[lost][:10]), set(radios[kept][:10])]  # no more of the lost
    assert a.handovers.outgoing[kept].announced == set(radios[kept][:10])


class Giving(Telling):
    """A fleet whose programmer has `radios`, each at a safe moment, and whose start-up
    import is `stored` or not yet."""

    def __init__(self, membership, radios: list[str], stored: gevent.event.Event):
        super().__init__(membership, lost=None)
        inserts = types.SimpleNamespace(stored=stored)
        programmer = types.SimpleNamespace(
            radio_uuids=lambda: tuple(radios), next_event=lambda radio: None
        )
        self.service = types.SimpleNamespace(
            programmer=programmer, repositories=types.SimpleNamespace(radio_inserts=inserts)
        )

    def publish(self, event: dict) -> bool:
        self.told.append(event)
        return True


def test_no_radio_is_handed_before_the_start_up_import_is_stored(db):
    a, _ = handing_over(FakeClock())
    radios = radios_in(sorted(a.handovers.outgoing)[0], 5)
    stored = gevent.event.Event()  # the import's radios still being written
    fleet = Giving(a, radios, stored)
    handover = RadioHandover(fleet)
    handover.loop()
    assert fleet.told == []  # b would read them from a store that lacks them
    stored.set()
    handover.loop()
    assert set(radios) <= {radio for event in fleet.told for radio in event.get("radios", [])}
