"""What the notifier writes and the sender sends (YAAPP.md), against a real HTTP server."""

from yascheduler.store.counters import Counter
from yascheduler.support.clock import FakeClock
from yascheduler.webapp.sender import OutboxSender
from yascheduler.webapp.notifier import Notifier


from tests.webapp.conftest import KEY, deliver_all, epoch, stored_outbox, taken_songs, user


# --- what is sent -----------------------------------------------------------------------


def test_start_listening_anonymous_sends_only_the_key(notifier, sender, webapp):
    notifier.start_listening("r1", None)
    deliver_all(sender)
    assert webapp.requests == [
        ("POST", "/api/v1/radio/r1/start_listening/", {"key": KEY}, None, "taken")
    ]


def test_start_listening_known_user_sends_username_and_api_key(notifier, sender, webapp):
    notifier.start_listening("r1", user())
    deliver_all(sender)
    query = {"key": KEY, "username": "alice", "api_key": "alice-api-key"}
    assert webapp.requests == [("POST", "/api/v1/radio/r1/start_listening/", query, None, "taken")]


def test_stop_listening_sends_whole_seconds(notifier, sender, webapp):
    notifier.stop_listening("r1", 42, None)
    notifier.stop_listening("r2", 43, user())
    deliver_all(sender)
    assert [r[1:3] for r in webapp.requests] == [
        ("/api/v1/radio/r1/stop_listening/", {"key": KEY, "listening_duration": "42"}),
        (
            "/api/v1/radio/r2/stop_listening/",
            {
                "key": KEY,
                "listening_duration": "43",
                "username": "alice",
                "api_key": "alice-api-key",
            },
        ),
    ]


def test_stopped_sends_the_total_duration(notifier, sender, webapp):
    notifier.stopped("r1", 3600)
    deliver_all(sender)
    assert webapp.requests == [
        (
            "POST",
            "/api/v1/radio/r1/stopped/",
            {"key": KEY, "listening_duration": "3600"},
            None,
            "taken",
        )
    ]


def test_songs_started_play_date_is_wall_clock_in_the_zone(notifier, sender, webapp):
    notifier.song_started("r1", 11, epoch(2027, 1, 15, 12, 0, 0, 250000))  # CET, +1
    notifier.song_started("r2", 12, epoch(2027, 7, 15, 23, 30, 5))  # CEST, +2, next day
    deliver_all(sender)
    assert webapp.requests == [
        (
            "POST",
            "/api/v1/songs_started/",
            {},
            {
                "key": KEY,
                "data": [
                    ["r1", 11, "2027-01-15T13:00:00.250000"],
                    ["r2", 12, "2027-07-16T01:30:05.000000"],
                ],
            },
            "taken",
        )
    ]


def test_songs_go_in_batches_of_at_most_100(notifier, sender, webapp):
    for song_id in range(250):
        notifier.song_started("r1", song_id, epoch(2027, 1, 1))
    deliver_all(sender)
    assert [len(r[3]["data"]) for r in webapp.requests] == [100, 100, 50]
    assert [item[1] for item in taken_songs(webapp)] == list(range(250))


def test_a_batch_of_songs_stops_at_another_kind(notifier, sender, webapp):
    notifier.song_started("r1", 1, epoch(2027, 1, 1))
    notifier.song_started("r2", 2, epoch(2027, 1, 1))
    notifier.start_listening("r1", None)
    notifier.song_started("r1", 3, epoch(2027, 1, 1))
    deliver_all(sender)
    assert [r[1] for r in webapp.requests] == [
        "/api/v1/songs_started/",
        "/api/v1/radio/r1/start_listening/",
        "/api/v1/songs_started/",
    ]
    assert [len(r[3]["data"]) for r in webapp.requests if r[3]] == [2, 1]


def test_without_a_web_app_nothing_is_written(db):
    disabled = Notifier(FakeClock(), None, None, "UTC", stored_outbox())
    disabled.start_listening("r1", user())
    disabled.stop_listening("r1", 5, None)
    disabled.stopped("r1", 5)
    disabled.song_started("r1", 1, epoch(2027, 1, 1))
    assert not disabled.enabled
    assert disabled.backlog() == 0
    assert Counter.objects.count() == 0
    assert not disabled.wakeup.is_set()
    assert OutboxSender(disabled).deliver_once() is False


def test_writing_an_item_sets_wakeup(notifier):
    assert not notifier.wakeup.is_set()
    notifier.start_listening("r1", None)
    assert notifier.wakeup.is_set()
    assert notifier.backlog() == 1
