"""Starting a service in the test process, the way `yascheduler run` does."""

import gevent

from yascheduler.catalog import importer as catalog_module
from yascheduler.app.service import Service
from yascheduler.store.catalog import StoredCatalog
from yascheduler.store.instances import Instance
from yascheduler.store.packed_timelines import unpacked
from yascheduler.store.shards import Shard
from yascheduler.store.timelines import RadioTimeline
from yascheduler.support.config import resolve

TEST_SETTINGS = {
    "http": "127.0.0.1:0",
    "ping_interval": "1",
    "prepare_seconds": "1",
    "timezone": "UTC",
}


def start_service(
    redis_url: str, mongo_url: str, catalog=None, clock=None, fleet_clock=None, **overrides
) -> Service:
    """`fleet_clock`: the clock its leases are counted by (the real one if None, whatever
    `clock` is: the instances of a fleet share real time)."""
    values = {**TEST_SETTINGS, "redis_url": redis_url, "mongo_url": mongo_url}
    values.update({name: str(value) for name, value in overrides.items()})
    settings = resolve(values, environ={})
    if catalog is not None:
        catalog_module.import_catalog(catalog, StoredCatalog())
    service = Service(settings, redis_url, clock=clock)
    if fleet_clock is not None:
        service.fleet.membership.clock = fleet_clock
    service.start()
    wait_for(lambda: service.bus.connected, "the service to subscribe")
    return service


def wait_for(condition, what: str, timeout: float = 5.0):
    """Wait until condition() is true, yielding to the service's greenlets meanwhile;
    what it gave."""
    with gevent.Timeout(timeout, AssertionError(f"timed out waiting for {what}")):
        while not (value := condition()):
            gevent.sleep(0.01)
    return value


def stored(service: Service) -> None:
    """Wait until the store holds every change the service made so far (its store
    writer writes behind, at most write_delay after a change, plus one write)."""
    wait_for(service.writer.caught_up, "the service's changes to be stored")


def http_base(service: Service) -> str:
    return f"http://127.0.0.1:{service.http_server.server_port}"


def hard_kill(service: Service) -> None:
    """As if the process died: no clean-up, nothing but the store and Redis survive; its
    fleet leases and heartbeat are expired, as they are lease_seconds after a death (the
    services of one test process share their instance_id)."""
    service.http_server.stop(timeout=0)
    service.supervisor.group.kill()
    Shard.objects(owner=service.settings.instance_id).update(expires_at=0.0)
    Instance.objects(id=service.settings.instance_id).update(heartbeat_at=0.0)


def stored_timeline(radio_uuid: str) -> RadioTimeline:
    """The radio's stored timeline as a MongoEngine document (its packed fields read)."""
    found = RadioTimeline._get_collection().find_one({"_id": radio_uuid})
    assert found is not None, f"no timeline stored for {radio_uuid}"
    return RadioTimeline._from_son(unpacked(found))


def stored_timeline_uuids() -> list[str]:
    return sorted(found["_id"] for found in RadioTimeline._get_collection().find({}, {"_id": 1}))
