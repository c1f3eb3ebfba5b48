"""The fleet as this instance sees it: every instance and its load, as their
heartbeats last told the store (read by the membership at each beat, so that
no request waits for the store), and the fleet's totals.

A radio is programmed by one instance only: asked about a radio it does not
program, an instance names the holder of the radio's shard (one read of the
store).
"""

from yascheduler.fleet.ownership import shard_of

# what each instance tells of itself at its heartbeat (app/fleet.py's facts), summed
# over the live ones for the fleet's totals; streamers: those it answers and pings,
# so that each streamer counts once
SUMMED = ("shards", "radios", "streaming_radios", "listeners", "streamers", "events")


class FleetView:
    def __init__(self, membership, shards, clock):
        self.membership = membership
        self._shards = shards
        self.clock = clock

    def instances(self) -> list[dict]:
        """Every instance recorded, alive or not, by id: its heartbeat and its load."""
        me, now = self.membership.instance_id, self.clock.now()
        lease = self.membership.lease_seconds
        return [
            {
                "id": record["id"],
                "alive": now - record["heartbeat_at"] <= lease,
                "this": record["id"] == me,
                "started_at": record["started_at"],
                "last_heartbeat_at": record["heartbeat_at"],
                **record["facts"],
            }
            for record in sorted(self.membership.instances, key=lambda r: r["id"])
        ]

    def totals(self) -> dict:
        """The live instances' counts summed."""
        alive = [i for i in self.instances() if i["alive"]]
        summed = {name: sum(int(i.get(name) or 0) for i in alive) for name in SUMMED}
        return {
            "instances": len(self.membership.instances),
            "instances_alive": len(alive),
            **summed,
        }

    def owner_of(self, radio_uuid: str) -> dict:
        """Who programs the radio: {"instance", "alive", "http"} (instance None: nobody)."""
        shard = shard_of(radio_uuid)
        if self.membership.holds(shard):
            owner = self.membership.instance_id
        else:
            owner = self._shards.owner_of(shard, self.clock.now())
        known = {i["id"]: i for i in self.instances()}.get(owner, {})
        return {
            "instance": owner,
            "alive": bool(known.get("alive")),
            "http": known.get("http"),
        }
