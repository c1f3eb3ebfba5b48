"""The outbox sender when the web app fails: nothing lost, order kept, backoff."""

import logging

import gevent
import gevent.event
import pytest

from yascheduler.store.outbox import OutboxItem
from yascheduler.webapp.sender import backoff_delay
from yascheduler.webapp.notifier import webapp_session


from tests.webapp.conftest import KEY, SHORT_TIMEOUT, deliver_all, epoch, taken_songs, user


# --- failures -----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["500", "hang", "no_success", "refuse"])
def test_an_item_stays_until_it_is_taken(notifier, sender, webapp, mode):
    notifier.song_started("r1", 1, epoch(2027, 1, 1))
    if mode == "refuse":
        webapp.stop()
    webapp.mode = mode
    assert sender.deliver_once() is False
    assert sender.deliver_once() is False
    assert notifier.backlog() == 1
    assert OutboxItem.objects.get().attempts == 2
    assert sender.failures == 2
    if mode == "refuse":
        webapp.start()
    webapp.mode = "ok"
    assert sender.deliver_once() is True
    assert notifier.backlog() == 0
    assert sender.failures == 0
    assert [item[1] for item in taken_songs(webapp)] == [1]


@pytest.mark.parametrize("mode", ["hang", "trickle"])
def test_a_slow_web_app_is_given_up_on_after_the_timeout(notifier, sender, webapp, mode):
    notifier.song_started("r1", 1, epoch(2027, 1, 1))
    webapp.mode = mode
    started = gevent.get_hub().loop.now()
    assert sender.deliver_once() is False
    assert gevent.get_hub().loop.now() - started < SHORT_TIMEOUT * 2


def test_backoff_doubles_from_half_a_second_up_to_the_cap():
    assert [backoff_delay(n, 30.0) for n in range(1, 10)] == [
        0.5,
        1.0,
        2.0,
        4.0,
        8.0,
        16.0,
        30.0,
        30.0,
        30.0,
    ]
    assert backoff_delay(10_000, 30.0) == 30.0


def test_nothing_is_lost_and_order_is_kept_through_an_outage(
    notifier, sender, webapp, caplog, run_parts
):
    caplog.set_level(logging.DEBUG, logger="yascheduler.yaapp")
    supervisor = run_parts(sender)
    try:
        expected = []

        def notify(n):
            radio = f"r{n % 3}"
            if n % 2:
                notifier.song_started(radio, n, epoch(2027, 1, 1))
                expected.append(("/api/v1/songs_started/", radio, n))
            else:
                notifier.stop_listening(radio, n, user())
                expected.append((f"/api/v1/radio/{radio}/stop_listening/", radio, n))

        for outage in ["500", "hang", "refuse", "no_success"]:
            if outage == "refuse":
                webapp.stop()
            else:
                webapp.mode = outage
            for _ in range(4):
                notify(len(expected))
            webapp.wait_for(lambda: sender.failures >= 2)
            assert notifier.backlog() > 0
            if outage == "refuse":
                webapp.start()
        webapp.mode = "ok"
        webapp.wait_for(lambda: notifier.backlog() == 0)
    finally:
        supervisor.stop(1.0)
    assert taken_in_order(webapp) == expected
    assert "web app unreachable, retrying in " in caplog.text
    assert KEY not in caplog.text
    assert "alice-api-key" not in caplog.text


def taken_in_order(webapp):
    taken = []
    for _method, path, query, body, _answer in webapp.taken():
        if body:
            taken.extend((path, radio, song_id) for radio, song_id, _date in body["data"])
        else:
            taken.append((path, path.split("/")[4], int(query["listening_duration"])))
    return taken


def test_run_delivers_as_soon_as_an_item_is_written(notifier, sender, webapp, run_parts):
    supervisor = run_parts(sender)
    try:
        gevent.idle()  # it runs until it waits on the empty outbox: nothing else is ready
        assert not supervisor.greenlets["outbox-sender"].dead and notifier.backlog() == 0
        notifier.start_listening("r1", None)
        webapp.wait_for(lambda: notifier.backlog() == 0)
        notifier.stopped("r1", 9)
        webapp.wait_for(lambda: notifier.backlog() == 0)
    finally:
        supervisor.stop(1.0)
    assert [r[1] for r in webapp.taken()] == [
        "/api/v1/radio/r1/start_listening/",
        "/api/v1/radio/r1/stopped/",
    ]


@pytest.mark.parametrize(
    "stored",
    [
        {"kind": "mystery", "radio_uuid": "r1"},
        {"kind": "stopped", "params": {"listening_duration": 5}},
        {"kind": "songs_started", "radio_uuid": "r1", "params": {"song_id": 1}},
    ],
)
def test_an_undecodable_item_is_discarded_not_retried_forever(notifier, sender, webapp, stored):
    OutboxItem._get_collection().insert_one({"_id": 0, "created_at": 0.0, **stored})
    notifier.outbox.load()  # stored by another version, found at start-up
    notifier.start_listening("r1", None)
    deliver_all(sender)
    assert notifier.backlog() == 0
    assert [r[1] for r in webapp.requests] == ["/api/v1/radio/r1/start_listening/"]


def test_the_proxy_and_ca_bundle_of_the_environment_are_used(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "intranet.example")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/our-ca.pem")
    session = webapp_session("https://radio.example.com")
    assert session.proxies["https"] == "http://proxy.internal:3128"
    assert session.verify == "/etc/ssl/our-ca.pem"
    assert "https" not in webapp_session("https://intranet.example").proxies
