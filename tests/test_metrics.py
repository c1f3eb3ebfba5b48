"""/metrics as Prometheus scrapes it, and /healthz as a load balancer asks it."""

import mongoengine
import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.catalogs import basic_catalog
from tests.harness import http_base, start_service, wait_for
from tests.redis_server import RedisServer
from yascheduler.store import connection as store
from yascheduler.support.clock import FakeClock


def scrape(service) -> dict:
    """{(sample name, sorted label items): value}"""
    text = requests.get(f"{http_base(service)}/metrics", timeout=2).text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def health(service):
    answer = requests.get(f"{http_base(service)}/healthz", timeout=2)
    return answer.status_code, answer.text.strip()


def test_metrics_count_known_traffic(make_service, streamers, webapp):
    service = make_service(basic_catalog(), yaapp_url=webapp.url, yaapp_key="k")
    s1 = streamers("s1")
    s1.send(type="play_radio", radio_uuid="radio-1")
    s1.expect("radio_started")
    s1.expect("play")
    s1.send(type="register_listener", radio_uuid="radio-1", session_id="l1", user_id=None)
    s1.send_raw(b"not json")
    s1.send_raw(b'{"type": "play_radio", "streamer": "s1"}')
    s1.roundtrip()
    webapp.wait_for(1, "start_listening")
    wait_for(lambda: service.notifier.backlog() == 0, "the outbox to drain")

    metrics = scrape(service)
    assert metrics[("yascheduler_messages_received_total", (("type", "play_radio"),))] == 1
    assert metrics[("yascheduler_messages_received_total", (("type", "test"),))] == 1
    assert metrics[("yascheduler_messages_sent_total", (("type", "radio_started"),))] == 1
    assert metrics[("yascheduler_messages_sent_total", (("type", "play"),))] == 1
    assert metrics[("yascheduler_messages_rejected_total", (("reason", "not_json"),))] == 1
    assert metrics[("yascheduler_messages_rejected_total", (("reason", "missing_field"),))] == 1
    assert metrics[("yascheduler_streamers", ())] == 1
    assert metrics[("yascheduler_radios", ())] == 2
    assert metrics[("yascheduler_streaming_radios", ())] == 1
    assert metrics[("yascheduler_broken_radios", ())] == 0
    assert metrics[("yascheduler_listeners", ())] == 1
    assert metrics[("yascheduler_event_queue_depth", ())] == 2
    assert metrics[("yascheduler_outbox_backlog", ())] == 0
    endpoint = (("endpoint", "start_listening"),)
    assert metrics[("yascheduler_webapp_request_seconds_count", endpoint)] == 1
    assert ("yascheduler_play_lateness_seconds_count", ()) in metrics
    assert ("yascheduler_redis_reconnects_total", ()) in metrics


def test_webapp_errors_are_counted_by_endpoint_and_reason(make_service, webapp):
    webapp.status = 500
    service = make_service(basic_catalog(), yaapp_url=webapp.url, yaapp_key="k")
    webapp.wait_for(1, "/songs_started/")  # the first songs of the radios programmed at start
    failed = (
        "yascheduler_webapp_request_errors_total",
        (("endpoint", "songs_started"), ("reason", "HTTP 500")),
    )
    wait_for(lambda: scrape(service).get(failed, 0) >= 1, "the error to be counted")


def test_healthz_is_ok_while_everything_runs(make_service):
    service = make_service(basic_catalog())
    assert health(service) == (200, "ok")


def test_healthz_fails_while_redis_is_down(db, tmp_path):
    redis_server = RedisServer(tmp_path)
    redis_server.start()
    service = start_service(redis_server.url, db, basic_catalog())
    try:
        redis_server.stop()
        wait_for(lambda: health(service)[0] == 503, "/healthz to fail")
        assert health(service) == (503, "redis is not connected")
        redis_server.start()
        wait_for(lambda: health(service)[0] == 200, "/healthz to recover")
    finally:
        service.stop()
        redis_server.stop()


def test_healthz_fails_when_the_store_does_not_answer(make_service, mongo_url):
    service = make_service(basic_catalog())
    mongoengine.disconnect()
    try:
        # the store writer finds out (its idle ping), and the health check says it
        wait_for(lambda: health(service)[0] == 503, "/healthz to fail")
        assert health(service)[1].startswith("store unreachable (ConnectionFailure: ")
    finally:
        store.connect(mongo_url)
    wait_for(lambda: health(service) == (200, "ok"), "/healthz to recover")


def test_healthz_fails_when_the_scheduler_loop_stops(make_service):
    clock = FakeClock()
    service = make_service(basic_catalog(), clock=clock)
    service.supervisor.greenlets["scheduler-loop"].kill()
    clock.advance(10)
    assert health(service) == (503, "the scheduler loop has not run for 10.0s")


@pytest.mark.parametrize("path", ["/nope", "/api/radios/"])
def test_unknown_paths_are_404_with_a_json_reason(make_service, path):
    service = make_service(basic_catalog())
    answer = requests.get(http_base(service) + path, timeout=2)
    assert answer.status_code == 404
    assert "error" in answer.json()
