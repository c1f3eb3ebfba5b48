"""The store server stopped for 30 s under load, then started again on the same port and
data: the radios stay on air and the streamers are answered from memory, /healthz says
503 and then 200, nothing is lost, and the service never restarts."""

import time

import gevent
import gevent.event
import requests

from tests.catalogs import basic_catalog
from tests.harness import (
    http_base,
    start_service,
    stored,
    stored_timeline,
    stored_timeline_uuids,
    wait_for,
)
from tests.resilience.conftest import KEY, start_radio
from yascheduler.store import connection as store
from yascheduler.store.sessions import ListenerSession

OUTAGE = 30.0
LISTENERS_A_SECOND = 5  # each one a start_listening and a stop_listening


def health(service) -> tuple[int, str]:
    answer = requests.get(http_base(service) + "/healthz", timeout=2)
    return answer.status_code, answer.text.strip()


def status(service) -> dict:
    return requests.get(http_base(service) + "/api/status", timeout=2).json()


def handled(streamer) -> None:
    """Wait until the service handled what the streamer sent (plays may come meanwhile)."""
    streamer.send(type="test", info="last")
    while streamer.next()["type"] != "test":
        pass


class Listeners:
    """Listeners coming and going on a radio, LISTENERS_A_SECOND of them, each for a few
    seconds, until stopped."""

    def __init__(self, streamer, radio_uuid):
        self.streamer, self.radio_uuid = streamer, radio_uuid
        self.opened: list[str] = []
        self.closed: list[str] = []
        self.stopping = gevent.event.Event()
        self.greenlet = gevent.spawn(self._run)

    def _run(self):
        while not self.stopping.wait(1 / LISTENERS_A_SECOND):
            session_id = f"l{len(self.opened)}"
            self.streamer.send(
                type="register_listener", radio_uuid=self.radio_uuid, session_id=session_id
            )
            self.opened.append(session_id)
            if len(self.opened) > 3 * LISTENERS_A_SECOND:
                gone = self.opened[len(self.closed)]
                self.streamer.send(type="unregister_listener", session_id=gone)
                self.closed.append(gone)

    def stop(self):
        self.stopping.set()
        self.greenlet.join()


def test_the_store_away_for_30s_under_load_loses_nothing(own_store, redis_url, streamers, webapp):
    store.connect(own_store.database_url)  # as the service connects: 5 s to find the server
    catalog = basic_catalog(duration=6.0)
    service = start_service(
        redis_url, own_store.database_url, catalog, yaapp_url=webapp.url, yaapp_key=KEY
    )
    try:
        outage(service, own_store, streamers, webapp)
    finally:
        service.stop()


def outage(service, own_store, streamers, webapp):
    s1, s2, prober = streamers("s1"), streamers("s2"), streamers("prober")
    start_radio(s1, "radio-1")
    load = Listeners(s1, "radio-1")
    wait_for(lambda: len(load.opened) > LISTENERS_A_SECOND, "listeners to come")
    assert health(service) == (200, "ok")
    greenlets = dict(service.supervisor.greenlets)

    own_store.stop()
    stopped_at = time.time()
    wait_for(lambda: health(service)[0] == 503, "/healthz to say the store is away")
    assert health(service)[1].startswith("store unreachable (")
    started_meanwhile = False
    while time.time() - stopped_at < OUTAGE:
        prober.roundtrip()  # streamers are answered
        if not started_meanwhile:  # and a radio started meanwhile is on air at once
            start_radio(s2, "radio-2")
            started_meanwhile = True
        assert health(service)[0] == 503
        gevent.sleep(1.0)
    during = status(service)
    assert during["store"]["reachable"] is False and during["store"]["pending"] > 0
    assert during["store"]["messages_sent_unstored"].get("play", 0) >= 1  # radio-2's

    own_store.start()
    wait_for(lambda: health(service) == (200, "ok"), "/healthz to be ok again", timeout=30)
    load.stop()
    handled(s1)
    stored(service)
    wait_for(lambda: service.notifier.backlog() == 0, "the outbox to drain", timeout=60)

    # the service never restarted: the same parts, none died
    assert service.failure is None and service.supervisor.greenlets == greenlets
    assert not any(greenlet.dead for greenlet in greenlets.values())
    # nothing lost: every session opened and closed while the store was away is stored
    sessions = {s.session_id: s.ended_at for s in ListenerSession.objects}
    assert sorted(sessions) == sorted(load.opened)
    assert sorted(name for name, ended in sessions.items() if ended is not None) == sorted(
        load.closed
    )
    # and the web app was told of each
    kinds = [request.path.split("/")[-2] for request in webapp.accepted()]
    assert kinds.count("start_listening") == len(load.opened)
    assert kinds.count("stop_listening") == len(load.closed)
    # the radios went on: several tracks since, each stored as it was chosen (its start
    # is written with the next choice: one write a track)
    timeline = stored_timeline("radio-1")
    chosen = [timeline.current] + ([timeline.next] if timeline.next else [])
    assert max(segment.starts_at for segment in chosen) > stopped_at + OUTAGE - 6.0
    view = requests.get(http_base(service) + "/api/radios/radio-1", timeout=2).json()
    assert view["filename"] in [segment.filename for segment in chosen]
    assert "radio-2" in stored_timeline_uuids()
