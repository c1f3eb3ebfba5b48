"""Parked notifications end to end: a real service, streamers on Redis, a web app that
does not know one radio, and the operator's API, status, metrics and a restart."""

import pytest
import requests

from tests.catalogs import basic_catalog
from tests.harness import hard_kill, http_base, stored, wait_for
from tests.test_metrics import scrape
from yascheduler.support.clock import FakeClock

KEY = "test-scheduler-key"
ADMIN = "admin-secret"
AUTH = {"Authorization": f"Bearer {ADMIN}"}
MAT = (("api_key", "key-mat"), ("user_id", "1"), ("username", "mat"))


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def options(webapp, clock):
    webapp.refused_radios.add("radio-2")  # deleted on the web app's side
    return {"clock": clock, "yaapp_url": webapp.url, "yaapp_key": KEY, "admin_token": ADMIN}


@pytest.fixture
def service(make_service, options):
    return make_service(basic_catalog(), **options)


def get(service, path, **params):
    answer = requests.get(http_base(service) + path, params=params, timeout=5)
    assert answer.status_code == 200, answer.text
    return answer.json()


def post(service, action, body, headers=AUTH):
    url = f"{http_base(service)}/api/outbox/parked/{action}"
    return requests.post(url, data=body, headers=headers, timeout=5)


def notifications(webapp, radio_uuid) -> list[tuple]:
    """What the web app took about one radio, in order: (kind, query or song id)."""
    taken = []
    for request in webapp.accepted():
        if request.path.endswith("/songs_started/"):
            data = request.json["data"]
            taken.extend(("songs_started", song) for radio, song, _ in data if radio == radio_uuid)
        elif request.radio_uuid == radio_uuid:
            query = {k: v for k, v in request.query.items() if k != "key"}
            taken.append((request.path.split("/")[5], tuple(sorted(query.items()))))
    return taken


def start_radio(streamer, uuid):
    streamer.send(type="play_radio", radio_uuid=uuid)
    streamer.expect("radio_started")
    streamer.expect("play")


def listen_on_both_radios(streamer, clock):
    """On radio-1 and radio-2: a session of mat (5 s), then radio-2 stopped, then one more
    session opening on radio-1."""
    start_radio(streamer, "radio-1")
    start_radio(streamer, "radio-2")
    streamer.send(type="register_listener", radio_uuid="radio-1", session_id="a", user_id=1)
    streamer.send(type="register_listener", radio_uuid="radio-2", session_id="b", user_id=1)
    streamer.roundtrip()
    clock.advance(5)
    streamer.send(type="unregister_listener", session_id="a")
    streamer.send(type="unregister_listener", session_id="b")
    streamer.send(type="stop_radio", radio_uuid="radio-2")
    streamer.expect("radio_stopped")
    streamer.send(type="register_listener", radio_uuid="radio-1", session_id="c", user_id=None)
    streamer.roundtrip()


def first_song(service, radio_uuid):
    return service.programmer.radio_view(radio_uuid)["song_id"]


RADIO_2_PARKED = ["songs_started", "start_listening", "stop_listening", "stopped"]
ALL_OF_RADIO_2 = len(RADIO_2_PARKED)


def wait_settled(service, parked=ALL_OF_RADIO_2):
    wait_for(
        lambda: (
            service.notifier.backlog() == 0 and service.notifier.outbox.parked_count() == parked
        ),
        "the outbox to settle",
    )


def test_a_radio_the_web_app_does_not_know_is_parked_and_retried_once_it_does(
    service, streamers, webapp, clock
):
    song_1 = first_song(service, "radio-1")
    listen_on_both_radios(streamers("s1"), clock)
    wait_settled(service)

    assert notifications(webapp, "radio-1") == [
        ("songs_started", song_1),
        ("start_listening", MAT),
        ("stop_listening", tuple(sorted((("listening_duration", "5"), *MAT)))),
        ("start_listening", ()),
    ]
    assert notifications(webapp, "radio-2") == []
    status = get(service, "/api/status")
    assert (status["outbox"], status["outbox_parked"]) == (0, 4)
    listed = get(service, "/api/outbox/parked")
    assert listed["total"] == 4
    assert [item["kind"] for item in listed["items"]] == RADIO_2_PARKED
    assert {item["radio_uuid"] for item in listed["items"]} == {"radio-2"}
    assert {item["status"] for item in listed["items"]} == {404}
    assert listed["items"][1]["params"] == {"username": "mat", "api_key": "***", "user_id": 1}
    assert get(service, "/api/outbox/parked", radio="radio-1")["total"] == 0
    page = get(service, "/api/outbox/parked", page=2, per_page=3)
    assert [item["kind"] for item in page["items"]] == ["stopped"]
    raw = requests.get(http_base(service) + "/api/outbox/parked", timeout=5).text
    assert "key-mat" not in raw and KEY not in raw
    metrics = scrape(service)
    assert metrics[("yascheduler_outbox_parked", ())] == 4
    parked_total = "yascheduler_outbox_items_parked_total"
    assert metrics[(parked_total, (("kind", "stop_listening"), ("status", "404")))] == 1
    assert metrics[(parked_total, (("kind", "songs_started"), ("status", "404")))] == 1

    webapp.refused_radios.clear()  # the web app learns the radio
    answer = post(service, "retry", '{"radio": "radio-2"}')
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"retried": [i["seq"] for i in listed["items"]], "outbox_parked": 0}
    wait_settled(service, parked=0)
    assert [kind for kind, _ in notifications(webapp, "radio-2")] == RADIO_2_PARKED
    assert len(notifications(webapp, "radio-1")) == 4  # nothing sent twice
    assert get(service, "/api/status")["outbox_parked"] == 0
    assert scrape(service)[("yascheduler_outbox_parked", ())] == 0


def test_parked_items_are_discarded_on_request(service, streamers, webapp, clock):
    listen_on_both_radios(streamers("s1"), clock)
    wait_settled(service)
    seqs = [item["seq"] for item in get(service, "/api/outbox/parked")["items"]]

    answer = post(service, "discard", f'{{"seqs": [{seqs[1]}, {seqs[2]}]}}')
    assert answer.json() == {"discarded": seqs[1:3], "outbox_parked": 2}
    remaining = get(service, "/api/outbox/parked")["items"]
    assert [item["kind"] for item in remaining] == ["songs_started", "stopped"]
    assert post(service, "discard", '{"all": true}').json()["discarded"] == [seqs[0], seqs[3]]
    assert get(service, "/api/outbox/parked")["total"] == 0
    assert post(service, "retry", '{"all": true}').json() == {"retried": [], "outbox_parked": 0}
    assert notifications(webapp, "radio-2") == []


@pytest.mark.parametrize(
    "body, error",
    [
        ("not json", "the body is not JSON"),
        ("[1, 2]", "the body must be a JSON object"),
        ("{}", "name the items one way"),
        ('{"seqs": [1], "all": true}', "name the items one way"),
        ('{"seq": [1]}', "unknown field 'seq'"),
        ('{"seqs": []}', "seqs: must be a non-empty list"),
        ('{"seqs": [1, "2"]}', "seqs: '2' is not a seq"),
        ('{"seqs": [true]}', "seqs: True is not a seq"),
        ('{"radio": ""}', "radio: must be a radio uuid"),
        ('{"all": false}', "all: must be true, not False"),
    ],
)
def test_a_malformed_selection_is_a_400_naming_what_is_wrong(service, body, error):
    service.notifier.stopped("radio-2", 1)
    wait_settled(service, parked=1 + 1)  # and radio-2's first song
    for action in ("retry", "discard"):
        answer = post(service, action, body)
        assert answer.status_code == 400
        assert answer.json()["error"].startswith(error), answer.json()
    assert get(service, "/api/outbox/parked")["total"] == 2


def test_a_seq_that_is_not_parked_is_a_404_and_changes_nothing(service):
    service.notifier.stopped("radio-2", 1)
    wait_settled(service, parked=2)
    seqs = [item["seq"] for item in get(service, "/api/outbox/parked")["items"]]
    answer = post(service, "discard", f'{{"seqs": [{seqs[0]}, 99999]}}')
    assert answer.status_code == 404
    assert answer.json() == {"error": "no parked item with seq 99999", "seqs": [99999]}
    assert get(service, "/api/outbox/parked")["total"] == 2


def test_retry_and_discard_need_the_admin_token(service, make_service):
    wait_settled(service, parked=1)  # radio-2's first song
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        assert post(service, "retry", '{"all": true}', headers).status_code == 401
        assert post(service, "discard", '{"all": true}', headers).status_code == 401
    retry_url = http_base(service) + "/api/outbox/parked/retry"
    assert requests.get(retry_url, timeout=5).status_code == 405
    stored(service)
    # on the same store, beside the first (a second instance of the fleet): it sees the
    # parked item too
    without_token = make_service(instance_id="second")
    assert get(without_token, "/api/status")["outbox_parked"] == 1
    answer = post(without_token, "discard", '{"all": true}')
    assert answer.status_code == 403
    assert "no admin token is configured" in answer.json()["error"]
    assert get(service, "/api/outbox/parked")["total"] == 1


def test_a_restart_finds_the_parked_items_still_parked(
    make_service, options, streamers, webapp, clock
):
    first = make_service(basic_catalog(), **options)
    s1 = streamers("s1")
    listen_on_both_radios(s1, clock)
    wait_settled(first)
    before = get(first, "/api/outbox/parked")
    hard_kill(first)

    second = make_service(**options)
    status = get(second, "/api/status")
    assert (status["outbox"], status["outbox_parked"]) == (0, 4)
    assert get(second, "/api/outbox/parked")["items"] == before["items"]
    radio_2_requests = len([r for r in webapp.requests if "radio-2" in r.path])
    s1.send(type="unregister_listener", session_id="c")
    # delivered in seq order: had they been queued again, the parked ones would go first
    wait_for(lambda: len(notifications(webapp, "radio-1")) == 5, "radio-1's stop_listening")
    assert len([r for r in webapp.requests if "radio-2" in r.path]) == radio_2_requests

    webapp.refused_radios.clear()
    assert post(second, "retry", '{"all": true}').json()["outbox_parked"] == 0
    wait_settled(second, parked=0)
    assert [kind for kind, _ in notifications(webapp, "radio-2")] == RADIO_2_PARKED
