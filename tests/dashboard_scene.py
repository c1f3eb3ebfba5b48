"""The dashboard's scene: radios playing on two streamers, with listeners (tests of
the dashboard and of the page of one radio)."""

from tests.catalogs import USERS, radio
from tests.harness import wait_for

QUICK = "radio-quick"


def scene_catalog() -> dict:
    """Radios of varied track lengths, one with a show on air, one with nothing to play."""
    radios = [
        radio("radio-1", 100, 10, duration=95.0),
        radio("radio-2", 200, 20, duration=40.0),
        radio("radio-3", 300, 30, duration=210.0),
        radio("radio-4", 400, 40, duration=61.0),
        radio("radio-5", 500, 50, duration=130.0),
        radio(QUICK, 600, 60, duration=1.5),  # plays sent all the time: lateness to chart
    ]
    quick = radios[-1]["playlists"][0]
    quick["songs"] = quick["songs"][:1]  # again and again: separation rules broken
    radios[0]["name"] = "Radio One"
    radios[2]["name"] = "Jazz Corner"
    radios[2]["playlists"].append(
        {
            "id": 31,
            "name": "Late Night Jazz",
            "show": {
                "days": ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"],
                "time": "00:00:00",
                "duration": 86400,
            },
            "songs": [
                {
                    "id": 3100 + i,
                    "filename": f"jazz/{3100 + i}.mp3",
                    "duration": 210.0,
                    "artist": "Blue Note Trio",
                    "title": f"Nocturne No. {i + 1}",
                }
                for i in range(3)
            ],
        }
    )
    empty = {
        "uuid": "radio-silent",
        "name": "Silent Radio",
        "playlists": [{"id": 90, "name": "default", "songs": []}],
    }
    return {"users": USERS, "radios": [*radios, empty]}


def start_scene(make_service, streamers):
    """A running scheduler with two streamers holding radios, listeners on them, and a
    sample of the last hour's figures taken since (the charts have data)."""
    service = make_service(scene_catalog(), ping_interval=30)
    alpha, beta = streamers("streamer-alpha"), streamers("streamer-beta")
    for streamer, uuid in [(alpha, "radio-1"), (alpha, "radio-3"), (beta, "radio-2")]:
        streamer.send(type="play_radio", radio_uuid=uuid)
        streamer.expect("radio_started")
        streamer.expect("play")
    for session, uuid, user in [
        ("l-1", "radio-1", 1),
        ("l-2", "radio-1", None),
        ("l-3", "radio-3", 2),
    ]:
        alpha.send(type="register_listener", radio_uuid=uuid, session_id=session, user_id=user)
    alpha.roundtrip()
    beta.roundtrip()
    wait_for(lambda: service.programmer.recent_lateness()["count"], "a play sent at its time")
    service.series.sample()
    return service
