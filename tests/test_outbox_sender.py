"""The outbox sender against a real HTTP server that refuses some radios and songs.

What the web app answers decides what happens to an item (YAAPP.md, "How the
web app answers, in production"): taken, tried again in order, or parked for
good while the rest goes on.
"""

import logging
from datetime import UTC, datetime

import gevent
import pytest

from tests.harness import wait_for
from yascheduler.store.outbox import OutboxItem, StoredOutbox
from yascheduler.support.clock import FakeClock
from yascheduler.webapp.sender import OutboxSender, Verdict, classify
from yascheduler.webapp.notifier import Notifier
from yascheduler.webapp.outbox import Outbox

KEY = "s3cret-scheduler-key"
API_KEY = "her api/key+1"  # in a query string: "her+api%2Fkey%2B1"
SHORT_TIMEOUT = 0.3
PLAY_DATE = datetime(2027, 1, 1, tzinfo=UTC).timestamp()


# --- classification -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind, status, body, verdict",
    [
        ("start_listening", 200, b"OK", Verdict.ACCEPTED),
        ("stopped", 201, b"", Verdict.ACCEPTED),
        ("stop_listening", 204, b"", Verdict.ACCEPTED),
        ("songs_started", 200, b'{"success": true}', Verdict.ACCEPTED),
        ("songs_started", 200, b'{"success": false}', Verdict.TEMPORARY),
        ("songs_started", 200, b"OK", Verdict.TEMPORARY),
        ("songs_started", 200, b'["success"]', Verdict.TEMPORARY),
        ("start_listening", 404, b"Not found", Verdict.FINAL),
        ("songs_started", 404, b'{"success": true}', Verdict.FINAL),
        ("stopped", 400, b"", Verdict.FINAL),
        ("stopped", 403, b"", Verdict.FINAL),
        ("stopped", 410, b"", Verdict.FINAL),
        ("stopped", 422, b"", Verdict.FINAL),
        ("stopped", 408, b"", Verdict.TEMPORARY),
        ("songs_started", 429, b"", Verdict.TEMPORARY),
        ("stopped", 500, b"", Verdict.TEMPORARY),
        ("stopped", 502, b"", Verdict.TEMPORARY),
        ("songs_started", 503, b"", Verdict.TEMPORARY),
        ("stopped", 302, b"", Verdict.TEMPORARY),
        ("stopped", None, b"", Verdict.TEMPORARY),  # timeout, refused connection
    ],
)
def test_every_answer_is_classified(kind, status, body, verdict):
    assert classify(kind, status, body) is verdict


# --- against the test web app -------------------------------------------------------------


@pytest.fixture
def clock():
    return FakeClock(start=1_800_000_000.0)


@pytest.fixture
def notifier(db, webapp, clock):
    return Notifier(clock, webapp.url, KEY, "UTC", Outbox(StoredOutbox()))


@pytest.fixture
def parks():
    return []


@pytest.fixture
def sender(notifier, parks):
    return OutboxSender(
        notifier,
        timeout=SHORT_TIMEOUT,
        max_backoff=30.0,
        on_park=lambda kind, status: parks.append((kind, status)),
    )


def write(notifier, kind, radio_uuid, **params):
    """A notification into the outbox, as the Notifier writes it."""
    notifier.outbox.append(kind, radio_uuid, params, notifier.clock.now())
    notifier.wakeup.set()


ALICE = {"username": "alice", "api_key": API_KEY}


def deliver_all(sender):
    with gevent.Timeout(5, AssertionError("the outbox did not settle")):
        while sender.deliver_once():
            pass


def accepted(webapp) -> list[tuple]:
    """(radio, what) of each notification the web app took, in order."""
    taken = []
    for request in webapp.accepted():
        if request.path.endswith("/songs_started/"):
            taken.extend((radio, song_id) for radio, song_id, _ in request.json["data"])
        else:
            taken.append((request.radio_uuid, request.path.split("/")[5]))
    return taken


def parked(notifier) -> list[dict]:
    return notifier.outbox.parked_page(None, 0, 1000)[1]


def test_a_refused_radio_is_parked_and_every_other_notification_arrives_in_order(
    notifier, sender, webapp, clock, parks, caplog
):
    caplog.set_level(logging.WARNING, logger="yascheduler.yaapp")
    webapp.refused_radios.add("r-gone")
    write(notifier, "start_listening", "r1")
    write(notifier, "start_listening", "r-gone", **ALICE)
    write(notifier, "start_listening", "r2")
    write(notifier, "stop_listening", "r-gone", listening_duration=30, **ALICE)
    write(notifier, "stop_listening", "r1", listening_duration=40)
    clock.advance(5)
    deliver_all(sender)

    assert accepted(webapp) == [
        ("r1", "start_listening"),
        ("r2", "start_listening"),
        ("r1", "stop_listening"),
    ]
    assert (notifier.backlog(), notifier.outbox.parked_count()) == (0, 2)
    first, second = parked(notifier)
    assert (first["kind"], second["kind"]) == ("start_listening", "stop_listening")
    assert first["parked"]["status"] == 404
    assert first["parked"]["at"] == clock.now()
    assert first["parked"]["attempts"] == 1
    # the 404 page quoted the URL: the secrets in it are not kept
    assert "Page not found" in first["parked"]["answer"]
    assert "key=***" in first["parked"]["answer"]
    assert "api_key=***" in first["parked"]["answer"]
    assert KEY not in first["parked"]["answer"] and "api%2Fkey" not in first["parked"]["answer"]
    assert parks == [("start_listening", 404), ("stop_listening", 404)]
    warnings = [r.getMessage() for r in caplog.records if "parked" in r.getMessage()]
    assert warnings == [
        f"outbox: parked start_listening seq {first['_id']} radio r-gone: HTTP 404 (final)",
        f"outbox: parked stop_listening seq {second['_id']} radio r-gone: HTTP 404 (final)",
    ]
    assert KEY not in caplog.text and API_KEY not in caplog.text


def test_a_final_refusal_ends_the_backoff_and_delivery_goes_on_at_once(
    notifier, sender, webapp, run_parts
):
    write(notifier, "start_listening", "r-gone")
    webapp.status = 503
    assert sender.deliver_once() is False
    assert sender.deliver_once() is False
    assert sender.failures == 2
    webapp.status = 200
    webapp.refused_radios.add("r-gone")
    for _ in range(7):
        notifier.stopped("r-gone", 1)
    notifier.stopped("r1", 1)
    supervisor = run_parts(sender)
    try:
        # backing off after each of the 8 refusals would take minutes (0.5 s, 1 s, 2 s...)
        wait_for(lambda: ("r1", "stopped") in accepted(webapp), "r1 delivered", timeout=3)
    finally:
        supervisor.stop(1.0)
    assert sender.failures == 0
    assert notifier.outbox.parked_count() == 8
    assert OutboxItem.objects.get(radio_uuid="r-gone", kind="start_listening").attempts == 3


@pytest.mark.parametrize("answer", ["503", "408", "429", "hang", "refused"])
def test_a_temporary_failure_keeps_the_head_waiting_it_is_not_parked(
    notifier, sender, webapp, answer
):
    write(notifier, "start_listening", "r1")
    write(notifier, "start_listening", "r2")
    if answer == "hang":
        webapp.delay = SHORT_TIMEOUT * 3
    elif answer == "refused":
        webapp.stop()
    else:
        webapp.status = int(answer)
    assert sender.deliver_once() is False
    assert sender.deliver_once() is False
    assert (notifier.backlog(), notifier.outbox.parked_count()) == (2, 0)
    assert sender.failures == 2
    assert accepted(webapp) == []


def test_a_songs_batch_with_one_bad_song_is_halved_until_it_parks_alone(
    notifier, sender, webapp, parks
):
    webapp.refused_songs.add(7)
    for song_id in range(1, 11):
        notifier.song_started(f"r{song_id % 3}", song_id, PLAY_DATE)
    notifier.stopped("r1", 5)
    deliver_all(sender)

    assert [song for _, song in accepted(webapp)] == [1, 2, 3, 4, 5, 6, 8, 9, 10, "stopped"]
    songs_requests = [r for r in webapp.requests if r.path.endswith("/songs_started/")]
    sizes = [(len(r.json["data"]), r.status) for r in songs_requests]
    assert sizes == [(10, 404), (5, 200), (5, 404), (2, 404), (1, 200), (1, 404), (3, 200)]
    (bad,) = parked(notifier)
    assert (bad["kind"], bad["params"]["song_id"]) == ("songs_started", 7)
    assert bad["parked"]["attempts"] == 4  # in the batch of 10, of 5, of 2, then alone
    assert parks == [("songs_started", 404)]


def test_halving_survives_an_outage_in_the_middle(notifier, sender, webapp):
    webapp.refused_songs.update({3, 90})
    for song_id in range(1, 101):
        notifier.song_started("r1", song_id, PLAY_DATE)
    assert sender.deliver_once() is True  # 100 refused: split
    webapp.status = 503
    assert sender.deliver_once() is False
    webapp.status = 200
    deliver_all(sender)
    taken = [song for _, song in accepted(webapp)]
    assert taken == [n for n in range(1, 101) if n not in (3, 90)]
    assert sorted(item["params"]["song_id"] for item in parked(notifier)) == [3, 90]
    assert notifier.backlog() == 0
