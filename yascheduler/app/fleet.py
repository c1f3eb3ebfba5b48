"""This instance in the fleet: the membership wired to the parts that keep radios.

When the membership takes shards, their radios' stored timelines, masters and
open sessions are read and programmed (what the previous owner's writer
stored: all of it after a clean hand-over, what reached the store after a
kill -9). When it loses shards, their radios stop being programmed at once
(no further play) and are dropped from memory, and the changes waiting are
written before the leases are released, so that the next owner reads them.

Shards above this instance's share are handed over radio by radio, each at a
safe moment, with the messages told on FLEET_CHANNEL as the cut between the
giver's replies and the next owner's (app/fleet_handover.py).

A streamer's death is decided by its owner (the one that pings it): it drops
the radios it owns of that streamer and tells the others on the Redis
channel FLEET_CHANNEL, and each drops the radios it owns; the same for a
streamer back in step. Redis rather than the store: the others act within a
publish, and while Redis is away nobody is pinged, so nobody is found dead.

A catalog imported through one instance (POST /api/catalog) is applied there
to the radios it programs and told on FLEET_CHANNEL (the uuids changed and
deleted): each other instance reads back from the store those it programs
and applies them. One that misses the message (Redis away) programs them as
stored when their shards next change hands.

The outbox (the web app's notifications) is sent by one instance for the
fleet: the holder of shard 0, a lease like any other. Each instance stores
the items of its radios; the sender reads the stored outbox again when it
takes shard 0, and every OUTBOX_RELOAD seconds, so it carries on the items of
an instance that died.
"""

import logging
import os
import socket

import gevent
import gevent.event
import ujson

from yascheduler.catalog.forms import forget_shared, radio_from_json
from yascheduler.catalog.importer import CatalogChange
from yascheduler.fleet.beat_first import BeatFirst
from yascheduler.fleet.dispatch import Dispatch
from yascheduler.fleet.handover import bound
from yascheduler.fleet.membership import Membership
from yascheduler.fleet.ownership import shard_of
from yascheduler.fleet.send_marks import SendMarks
from yascheduler.programming.catalog_view import radio_from_stored
from yascheduler.programming.requests import request_from_stored
from yascheduler.store.instances import StoredInstances
from yascheduler.store.shards import StoredShards
from yascheduler.streaming.bus import REDIS_ERRORS
from yascheduler.support.clock import SystemClock
from yascheduler.support.errors import StoreError
from yascheduler.support.freed_memory import collector_paused, spare_from_the_collector

from .fleet_handover import HANDOVER_KINDS, RadioHandover
from .fleet_loading import load_in_turns, recorded_published, timeline_decoder
from .fleet_parts import OUTBOX_SHARD, WhileHolding, WhileSteady
from .fleet_view import FleetView
from .play_log import gatherer_shard

log = logging.getLogger("yascheduler.fleet")

FLEET_CHANNEL = "yascheduler:fleet"
WITHOUT_STREAMER = frozenset({"catalog_changed", "instance_left", *HANDOVER_KINDS})
# seconds radios let go wait for their changes to be stored before they go all the same
# (the next owner reads what reached the store; a radio let go is off air until loaded
# there). 10 s was short at 100,000 over 2 (48,000 let go at once, ~500 documents/s)
STORED_WITHIN = 30.0


class Fleet:
    def __init__(self, service, clock=None):
        self.service = service
        settings = service.settings
        self.instance_id = settings.instance_id
        self.membership = Membership(
            clock or SystemClock(),
            settings.instance_id,
            StoredInstances(),
            StoredShards(),
            settings.lease_seconds,
            on_acquired=self.acquired,
            on_lost=self.lost,
            on_given_back=self.given_back,
            facts=self.facts,
            # a track is chosen decide_ahead_seconds before its play is due
            handover_seconds=bound(settings.prepare_seconds + settings.decide_ahead_seconds),
            on_claim_lost=self.claim_lost,
        )
        self.membership.wakeup = gevent.event.Event()
        self.membership.spawn = gevent.spawn  # a take's load, off the beat
        self.beat = BeatFirst(self.membership)  # the part: the writer gives way to its beats
        service.writer.gives_way = self.beat.gone_first
        self.handover = RadioHandover(self)
        self.send_marks = SendMarks(
            self.instance_id,
            self.membership,
            service.programmer,
            service.bus,
            service.repositories.send_marks,
            self.membership.clock,
        )
        self.dispatch = Dispatch(
            self.membership, self.holds_session, service.handlers.act, self.handover.holds_back
        )
        self.membership.on_renewed = self.renewed
        self.imported: list[dict] = []  # radios just imported at start-up: not read back
        self.only_imported = False  # imported into a store that held no radio: none other
        self._outbox_loaded = True  # by the service, at start-up: not again at the join
        repositories = service.repositories
        for repository in (repositories.timelines, repositories.streams, repositories.sessions):
            repository.epoch_of = self.membership.epoch_of
        repositories.streams.fence_of = self.membership.fence_of
        service.streamers.owns = self.membership.owns_streamer
        service.bus.sends_play_of = self.membership.sends_for
        service.bus.keeps_for = self.membership.overdue_for
        service.catalog_changes.owns = self.membership.owns_radio
        service.reader.fleet_waits = self.waits
        service.gathering.gathers = self.gathers
        service.admin.imported = self.catalog_imported
        service.reader.fleet = FleetView(self.membership, StoredShards(), self.membership.clock)
        service.metrics.instance.info({"instance": self.instance_id})

    def renewed(self) -> None:
        """A beat renewed the leases (or was refused them): what was kept for those
        overdue, incoming messages and plays, goes now or is dropped."""
        self.dispatch.overdue.release()
        self.service.bus.queued.set()  # the publisher sends or drops what it kept

    def gathers(self, bucket: int) -> bool:
        """This instance gathers the bucket's play history (app/play_log.py)."""
        return self.membership.holds(gatherer_shard(bucket))

    def holds_session(self, session_id: str, streamer: str | None) -> bool:
        return self.service.listeners.find(session_id, streamer) is not None

    def waits(self) -> str | None:
        """Why this instance is not ready yet (/healthz 503), None once it is."""
        orphans = self.membership.taking_over()
        if orphans:
            return (
                f"taking over the radios of a stopped instance ({orphans} shards without "
                "a live owner)"
            )
        if not (self.membership.leases or self.membership.handovers.incoming):
            return "no radios held yet: waiting for a share of the shards"
        return None

    def facts(self) -> dict:
        service = self.service
        http = service.http_server
        programming = service.programmer.sizes()  # each beat: no walk of every radio
        return {
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "http": None if http is None else f"{http.server_host}:{http.server_port}",
            "shards": len(self.membership.leases),
            "radios": programming["radios"],
            "streaming_radios": service.streams.count(),
            "listeners": service.listeners.count(),
            "streamers": sum(map(self.membership.owns_streamer, service.streamers.names())),
            "events": programming["events"],
            "play_lateness_p99_ms": service.programmer.lateness()["p99_ms"],
        }

    # --- shards taken and lost ------------------------------------------------------

    def acquired(self, taken: dict[int, int]) -> None:
        """Shards taken: their radios programmed, then the messages that waited for them
        acted on (the membership holds them once this returns)."""

        def owned(radio_uuid: str) -> bool:
            return shard_of(radio_uuid) in taken

        try:
            # what is read and programmed is millions of containers and no cycle: the
            # collector would walk them again and again as they come (a tenth of a
            # stored start-up of 100,000 radios); program() spares them after
            with collector_paused():
                count = self.program(owned, OUTBOX_SHARD in taken, shards=taken)
        except BaseException:
            self.handover.forget_where(owned)  # not ours: the shards expire, taken anew
            raise
        self.handover.act_held(owned)
        log.info("fleet: programming %d radios of %d shards taken", count, len(taken))

    def program(self, owned, outbox: bool = False, shards=None) -> int:
        """Program the stored radios `owned` says are this instance's now (their timelines,
        requests, masters, sessions), read from `shards` alone if given; `outbox`: the
        outbox is this instance's to send too. How many radios it programs."""
        service, stored = self.service, self.service.repositories
        imported, self.imported = self.imported, []
        only_imported, self.only_imported = self.only_imported, False
        # the stored radios and timelines of the shards taken alone are read (an index)
        # and decoded; both at once, so that the store server works while we decode
        # a send its writer's mark, or the record of plays published, says was made is
        # not made again (programming/sent_ahead.py)
        decode = timeline_decoder(
            stored.send_marks.all(), recorded_published(service.bus.client, shards)
        )
        reading = gevent.spawn(stored.timelines.load_all, decode, wanted=owned, shards=shards)
        try:
            radios = list(
                stored.catalog.radios.ready(
                    radio_from_stored, imported, owned, shards, only_imported, radio_from_json
                )
            )
        except BaseException:
            reading.kill()
            raise
        finally:
            forget_shared()  # the views keep their shared copies; the table goes
        timelines = reading.get()
        requests = [
            request
            for request in stored.requests.load_all(request_from_stored)
            if owned(request.radio_uuid)
        ]
        if outbox and service.notifier.enabled and not self._outbox_loaded:
            service.notifier.outbox.load()  # the items of the instance that held it
        self._outbox_loaded = False
        # what reads the store comes first: from the load on, nothing here waits, so
        # that the radios are held (membership) as soon as they are programmed
        service.streams.adopt(owned, shards)
        service.listeners.adopt(owned)
        load_in_turns(service.programmer, radios, timelines)
        service.programmer.requests.load(requests)
        for radio_uuid in [r for r in service.streams.masters if owned(r)]:
            if not service.programmer.is_programmed(radio_uuid):
                service.stations.stop_stream(
                    radio_uuid, "no longer in the catalog", tell_master=True
                )
        spare_from_the_collector()  # the radios programmed, and what reading them freed
        return len(radios)

    def lost(self, shards: set[int]) -> None:
        """Shards another took: let go in the beat, their writes not waited for (fenced off
        by then; at 100,000 over 2 such a wait let every other lease expire)."""
        radios = self.let_go(lambda radio_uuid: shard_of(radio_uuid) in shards)
        if self.service.bus.connected:
            self.service.bus.flush()  # the membership says no to their plays held
        log.info("fleet: %d radios of %d shards taken by another let go", len(radios), len(shards))

    def given_back(self, shards: set[int]) -> None:
        """Shards handed over: what their radios changed stored first, for the next owner."""
        radios = self.let_go(lambda radio_uuid: shard_of(radio_uuid) in shards)
        self.store_and_send(radios)
        log.info("fleet: %d radios of %d shards given back let go", len(radios), len(shards))

    def claim_lost(self, radios: set[str]) -> None:
        """Radios handed here whose giver lost its lease first: another has them now."""
        self.handover.forget(radios)
        gone = self.let_go(radios.__contains__, among=radios)
        self.store_and_send(gone)
        log.warning("fleet: %d radios handed here let go: their shard is another's", len(gone))

    def let_go(self, lost_radio, among=None) -> list[str]:
        """No longer program the radios `lost_radio` says another instance has now (only
        those `among`, if given), nor keep their masters and sessions (in memory only:
        they stay stored); which."""
        service = self.service
        programmer = service.programmer
        # a share-out's cut names its 2,000 radios: not a walk of the 100,000 programmed
        # (their listing built anew after each removal) for each of a burst's 24 cuts
        listed = programmer.radio_uuids() if among is None else among
        radios = [uuid for uuid in listed if lost_radio(uuid) and programmer.is_programmed(uuid)]
        for radio_uuid in radios:
            programmer.remove_radio(radio_uuid, forget_stored=False)
        masters = [r for r in service.streams.masters if lost_radio(r)]
        service.streams.release(masters)
        sessions = [r for r in list(service.listeners.by_radio) if lost_radio(r)]
        service.listeners.release(sessions)
        return list({*radios, *masters, *sessions})

    def store_and_send(self, radios: list[str]) -> None:
        """What the radios let go changed into the store, then their last plays out."""
        service = self.service
        # theirs alone, ahead of the backlog (the first timelines of 100,000 radios took
        # minutes to write, and the next owner read none of the radios handed meanwhile)
        if not service.writer.store_radios(radios, STORED_WITHIN):
            why = service.writer.last_error or f"not within {STORED_WITHIN:g} s"
            log.warning("fleet: changes of %d radios let go not all stored: %s", len(radios), why)
        # the plays held until their state was stored: the next owner reads them as sent
        # (given back, they go; a shard taken by another: the membership says no), by the
        # send marks written once they are out
        if service.bus.connected:
            service.bus.flush()
        try:
            self.send_marks.write_now()
        except StoreError as error:  # the next owner sends their last plays again
            log.warning("fleet: send marks of %d radios let go not written: %s", len(radios), error)

    def outbox_taken(self, shards) -> None:
        """Shards handed here: with the outbox's, the items its last sender stored."""
        if OUTBOX_SHARD in shards and self.service.notifier.enabled:
            self.service.notifier.outbox.load()

    def leave(self) -> None:
        """A clean stop: every shard released, and the others told, to take them at once
        rather than at their next beat."""
        self.membership.leave()
        if self.service.bus.connected:
            self.publish({"type": "instance_left"})

    # --- streamers dead or back, told to the others ----------------------------------

    def streamer_dead(self, name: str, why: str) -> None:
        self.service.drop_streamer(name, why)
        self._tell("streamer_dead", name, why)

    def streamer_back(self, name: str) -> None:
        self.service.stations.resync(name)
        if self.membership.owns_streamer(name):
            self._tell("streamer_back", name, "")

    def _tell(self, kind: str, streamer: str, why: str) -> None:
        self.publish({"type": kind, "streamer": streamer, "why": why})

    def catalog_imported(self, change) -> None:
        """An import through this instance: the others take in the radios they program."""
        radios = [stored["_id"] for stored in change.stored_radios]
        self.publish(
            {
                "type": "catalog_changed",
                "radios": radios,
                "deleted": change.deleted,
                "users": change.users,
            }  # fmt: skip
        )

    def _catalog_changed(self, event: dict, sender: str) -> None:
        owns = self.membership.owns_radio
        radios = [uuid for uuid in event.get("radios") or () if owns(uuid)]
        deleted = [uuid for uuid in event.get("deleted") or () if owns(uuid)]
        users = int(event.get("users") or 0)
        log.info(
            "fleet: catalog imported through %s: %d of its radios programmed here",
            sender, len(radios) + len(deleted),
        )  # fmt: skip
        if not (radios or deleted or users):
            return
        try:
            stored = self.service.repositories.catalog.radios.among(radios, ())
        except StoreError as error:  # taken in when their shards next change hands
            log.error("fleet: the radios of an import not read: %s", error)
            return
        self.service.catalog_changes.apply(CatalogChange(stored, deleted, users))

    def publish(self, event: dict) -> bool:
        event = {**event, "from": self.instance_id}
        kind = event["type"]
        try:
            self.service.bus.client.publish(FLEET_CHANNEL, ujson.dumps(event))
        except REDIS_ERRORS as error:
            log.warning("fleet: could not tell the others %s: %s", kind, error)
            return False
        return True

    def heard(self, raw: bytes) -> None:
        """What another instance told on FLEET_CHANNEL."""
        try:
            event = ujson.loads(raw)
            kind, sender = event["type"], event["from"]
            streamer = event["streamer"] if kind not in WITHOUT_STREAMER else None
        except (ValueError, TypeError, KeyError) as error:
            log.warning("fleet: a message on %s dropped: %r", FLEET_CHANNEL, error)
            return
        if kind in HANDOVER_KINDS:  # read back by the giver too: the cut in the messages
            self.handover.heard(event)
        elif sender == self.instance_id:
            return
        elif kind == "catalog_changed":
            self._catalog_changed(event, sender)
        elif kind == "instance_left":
            log.info("fleet: %s left: taking its share now", sender)
            self.membership.wakeup.set()
        elif kind == "streamer_dead":
            log.info("fleet: streamer %s dead, says %s", streamer, sender)
            self.service.drop_streamer(streamer, str(event.get("why", "")))
        elif kind == "streamer_back":
            self.service.stations.resync(streamer)

    # --- parts that run only while the fleet lets them ----------------------------------

    def steady(self, part) -> WhileSteady:
        return WhileSteady(part, self.membership)

    def outbox_sender(self, sender) -> WhileHolding:
        return WhileHolding(sender, self.membership, self.service.notifier.outbox)
