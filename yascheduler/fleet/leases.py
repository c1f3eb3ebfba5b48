"""What the others ask of this instance's leases: which radios and streamers are its own
now, which of their messages wait, the fencing token of a write (fleet/membership.py
keeps the leases: its docstring says when each counts)."""

from dataclasses import dataclass

from .ownership import shard_of

MARGIN = 1 / 3  # of the lease: how long before its expiry a lease stops counting


@dataclass(slots=True)
class Lease:
    epoch: int
    expires_at: float
    fence: int | None = None  # while handed over: the epoch this instance's writes carry

    def written(self) -> int:
        """The epoch this instance's writes under the lease carry."""
        return self.epoch if self.fence is None else self.fence


class Leases:
    """The leases held, loading and given back, as the membership keeps them."""

    def __init__(self, clock, lease_seconds: float):
        self.clock = clock
        self.lease_seconds = lease_seconds
        self.leases: dict[int, Lease] = {}
        self._arriving: dict[int, Lease] = {}  # taken, loading: fenced, not yet held
        self._releasing: dict[int, Lease] = {}  # given back, their last plays still to send
        self._alone_and_cut_off = False  # alone at the last beat, and the store away since
        self._alone_and_waiting = False  # alone, and a beat begun in time not yet answered
        self.handovers = None  # fleet.handover.Handovers, set by the membership

    def holds(self, shard: int) -> bool:
        lease = self.leases.get(shard)
        if lease is None:
            return False
        if self._alone_and_cut_off or self._alone_and_waiting:
            return True
        return self.clock.now() < lease.expires_at - self.lease_seconds * MARGIN

    def steady(self) -> bool:
        """Every shard leased still counts: False while renewals are overdue (the process was
        paused, or the store is slow: their messages kept) until renewed, or let go.
        Asked at every turn of the scheduler loop: the earliest expiry of all, not each
        lease asked (256 calls of holds() were a tenth of the service's time at 100,000
        radios)."""
        if self._alone_and_cut_off or self._alone_and_waiting or not self.leases:
            return True
        earliest = min(lease.expires_at for lease in self.leases.values())
        return self.clock.now() < earliest - self.lease_seconds * MARGIN

    def taking_over(self) -> int:
        """How many shards wait for a live owner while this instance is under its fair share
        (it will take them as their leases expire), and those it is loading; 0 once held."""
        held = len(self.leases) + len(self._arriving)
        return (self.orphans if held < self.share else 0) + len(self._arriving)

    def owns_radio(self, radio_uuid: str) -> bool:
        shard = shard_of(radio_uuid)
        incoming = self.handovers.incoming.get(shard)
        if incoming is not None and radio_uuid in incoming.arrived:
            return self.clock.now() < incoming.until - self.lease_seconds * MARGIN
        outgoing = self.handovers.outgoing.get(shard)
        if outgoing is not None and radio_uuid in outgoing.cut | outgoing.released:
            return False
        return self.holds(shard)

    def sends_for(self, radio_uuid: str) -> bool:
        """A play for the radio may go: it is owned, or its shard (or itself) is being
        given back and the plays its last turns computed (stored with its timeline, and
        told sent by the send marks) go out before it is told gone."""
        shard = shard_of(radio_uuid)
        outgoing = self.handovers.outgoing.get(shard)
        if outgoing is not None and radio_uuid in outgoing.cut:
            return self.holds(shard)
        incoming = self.handovers.incoming.get(shard)
        if incoming is not None and radio_uuid in incoming.waiting:  # loaded, not yet arrived
            return self.clock.now() < incoming.until - self.lease_seconds * MARGIN
        arriving = self._arriving.get(shard)  # taken, loading: its loaded radios play
        if arriving is not None:
            return self.clock.now() < arriving.expires_at - self.lease_seconds * MARGIN
        return shard in self._releasing or self.owns_radio(radio_uuid)

    def sending_shards(self) -> dict[int, int]:
        """{shard: the epoch this instance's writes carry there} of the shards whose plays
        it may send now: held, loading, given back (their last plays), handed here."""
        now, margin = self.clock.now(), self.lease_seconds * MARGIN
        shards = {
            s: lease.epoch for s, lease in self._arriving.items() if now < lease.expires_at - margin
        }
        shards.update((s, lease.written()) for s, lease in self.leases.items() if self.holds(s))
        shards.update((s, lease.written()) for s, lease in self._releasing.items())
        for shard, incoming in self.handovers.incoming.items():
            if now < incoming.until - margin:
                shards.setdefault(shard, incoming.epoch)
        return shards

    def overdue_for(self, radio_uuid: str) -> bool:
        """The radio's shard is leased here (or loading), its lease past the margin and not
        expired: what is sent for the radio waits for the next renewal (streaming/bus.py)."""
        shard = shard_of(radio_uuid)
        lease = self.leases.get(shard) or self._arriving.get(shard)
        if lease is None:
            return False
        now = self.clock.now()
        return lease.expires_at - self.lease_seconds * MARGIN <= now < lease.expires_at

    def epoch_of(self, radio_uuid: str) -> int:
        """The fencing token of a write for the radio: its shard's epoch (the one before
        while it is handed over, the next owner's once it is handed here), 0 if not
        leased (a write the store refuses once an owner has written)."""
        shard = shard_of(radio_uuid)
        incoming = self.handovers.incoming.get(shard)
        if incoming is not None and radio_uuid in incoming.waiting | incoming.arrived:
            return incoming.epoch
        lease = self.leases.get(shard) or self._arriving.get(shard)
        if lease is None:
            return 0
        return lease.written()

    def fence_of(self, radio_uuid: str) -> int:
        """The highest epoch the radio's shard's document may hold beside this instance's
        writes (store/streams.py): while this instance hands the shard over, the next
        owner's, who writes the radios arrived there; else its own."""
        lease = self.leases.get(shard_of(radio_uuid))
        if lease is not None and lease.fence is not None:
            return lease.epoch
        return self.epoch_of(radio_uuid)

    def hold(self, shard: int, epoch: int, expires_at: float) -> None:
        """A lease this instance holds from now on (a transfer to it)."""
        self.leases[shard] = Lease(epoch, expires_at)

    def waiting(self, radio_uuid: str) -> bool:
        """The radio is handed here, or its shard taken, and not loaded yet: its messages
        wait."""
        shard = shard_of(radio_uuid)
        if shard in self._arriving or radio_uuid in self.handovers.landing:
            return True
        incoming = self.handovers.incoming.get(shard)
        return incoming is not None and radio_uuid in incoming.waiting

    def awaits_any(self) -> bool:
        return bool(self.handovers.landing) or any(
            incoming.waiting for incoming in self.handovers.incoming.values()
        )

    def owns_streamer(self, streamer: str) -> bool:
        return self.holds(shard_of(streamer))
