"""What writing behind must never break, seen from outside the service: nothing reaches
the web app that the store does not hold, and a `play` a streamer was sent is in the
store before it is sent, so that a restart never sends another track for that slot.
A long write_delay makes any breach show."""

from tests.catalogs import basic_catalog
from tests.harness import hard_kill, stored_timeline, wait_for
from tests.resilience.conftest import KEY, start_radio
from yascheduler.store.outbox import OutboxItem
from yascheduler.store.sessions import ListenerSession

SLOW_WRITES = 0.3


def unheld(request) -> list[str]:
    """What a notification reports that the store does not hold as it arrives."""
    if request.path.endswith("/songs_started/"):
        return [
            f"songs_started {radio_uuid} {song_id}"
            for radio_uuid, song_id, play_date in request.json["data"]
            if not OutboxItem.objects(
                kind="songs_started",
                radio_uuid=radio_uuid,
                params__song_id=song_id,
                params__play_date=play_date,
            ).count()
        ]
    _, _, _, _, radio_uuid, kind, _ = request.path.split("/")
    params = {name: value for name, value in request.query.items() if name != "key"}
    items = OutboxItem.objects(kind=kind, radio_uuid=radio_uuid)
    if not any({k: str(v) for k, v in item.params.items()} == params for item in items):
        return [f"{kind} {radio_uuid} {params}"]
    sessions = ListenerSession.objects(radio_uuid=radio_uuid)
    if kind == "start_listening" and not sessions.count():
        return [f"{kind} {radio_uuid}: no session stored"]
    if kind == "stop_listening" and not sessions.filter(ended_at__ne=None).count():
        return [f"{kind} {radio_uuid}: no session stored closed"]
    return []


def test_nothing_reaches_the_web_app_that_the_store_does_not_hold(make_service, streamers, webapp):
    breaches, answer = [], webapp.answer

    def checking(request):
        breaches.extend(unheld(request))
        return answer(request)

    webapp.answer = checking
    service = make_service(
        basic_catalog(), yaapp_url=webapp.url, yaapp_key=KEY, write_delay=SLOW_WRITES
    )
    s1 = streamers("s1")
    start_radio(s1, "radio-1")
    for number in range(6):
        s1.send(type="register_listener", radio_uuid="radio-1", session_id=f"l{number}")
    for number in range(0, 6, 2):
        s1.send(type="unregister_listener", session_id=f"l{number}")
    s1.send(type="stop_radio", radio_uuid="radio-1")
    s1.expect("radio_stopped")
    wait_for(lambda: service.notifier.backlog() == 0, "the outbox to drain")
    kinds = [request.path.split("/")[-2] for request in webapp.accepted()]
    # two first songs, six listeners come, three go, then the radio stops: three more
    # sessions closed, and the total
    assert sorted(kinds) == sorted(
        ["songs_started"] + ["start_listening"] * 6 + ["stop_listening"] * 6 + ["stopped"]
    )
    assert breaches == []


def test_a_play_sent_is_stored_first_and_a_restart_plays_that_same_track_in_its_slot(
    make_service, streamers
):
    options = {"write_delay": SLOW_WRITES, "prepare_seconds": 1.5}
    first = make_service(basic_catalog(duration=4.0), **options)
    s1 = streamers("s1")
    start_radio(s1, "radio-1")
    prepared = s1.expect("play", timeout=6)  # the next track, chosen 1.5 s ahead
    sent_at = s1.last_arrival
    stored = stored_timeline("radio-1")
    assert prepared["filename"] in (stored.current.filename, stored.next.filename)
    hard_kill(first)  # at once: whatever was not written is lost

    make_service(**options)
    s1.send(type="play_radio", radio_uuid="radio-1")
    plays = []  # (when the track starts, as the play says; its file)
    for last in ("radio_started", "test"):
        while (message := s1.next())["type"] != last:
            if message["type"] == "play":
                starts_at = s1.last_arrival + message["delay"] - message["offset"]
                plays.append((starts_at, message["filename"]))
        if last == "radio_started":  # answered after the plays sent with radio_started
            s1.send(type="test", info="joined")
    slot = sent_at + prepared["delay"]
    # the slot's track again, never another: its play may come twice (the restart's
    # `send`, its sent mark lost with the kill, then the join's), as a resync sends it
    in_slot = {name for starts_at, name in plays if abs(starts_at - slot) < 0.5}
    assert in_slot == {prepared["filename"]}
