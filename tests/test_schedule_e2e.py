"""The programme through a running service: GET /api/radios/<uuid>/schedule, `yascheduler
preview`, and the schedule adherence of /api/status and /metrics."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.catalogs import USERS, songs
from tests.harness import http_base
from yascheduler.app import cli
from yascheduler.support.clock import FakeClock

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 6, 1, 19, 50, tzinfo=PARIS).timestamp()  # a Monday
SHOW_AT = datetime(2026, 6, 1, 20, 0, tzinfo=PARIS).timestamp()


def catalog() -> dict:
    news = {"days": ["MON"], "time": "20:00:00", "duration": 1800, "start": "hard"}
    return {
        "users": USERS,
        "radios": [
            {
                "uuid": "radio-1",
                "name": "Radio One",
                "timezone": "Europe/Paris",
                "playlists": [
                    {"id": 10, "name": "default", "songs": songs("pop", 100, 8, 700.0)},
                    {"id": 11, "name": "News", "show": news, "songs": songs("news", 200, 3)},
                ],
                "jingles": [
                    {
                        "id": "hour",
                        "name": "Top of the hour",
                        "filename": "jingles/hour.mp3",
                        "duration": 8.0,
                        "schedule": [{"type": "hourly"}],
                    }
                ],
            },
            {
                "uuid": "radio-show-only",
                "playlists": [
                    {"id": 20, "name": "Late", "show": news, "songs": songs("l", 300, 2)}
                ],
            },
        ],
    }


@pytest.fixture
def service(make_service):
    return make_service(catalog(), clock=FakeClock(NOW))


def schedule(service, uuid="radio-1", **params):
    url = f"{http_base(service)}/api/radios/{uuid}/schedule"
    return requests.get(url, params=params, timeout=10)


def test_the_schedule_lists_what_the_radio_will_play_with_its_marks(service):
    response = schedule(service, hours=2)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["from"], answer["until"], answer["hours"]) == (NOW, NOW + 7200, 2)
    assert "prediction" in answer["prediction"]
    items = answer["items"]
    assert items[0]["start"] <= NOW < items[0]["end"]
    news = next(item for item in items if item["start"] == SHOW_AT)
    assert (news["kind"], news["show"]["name"], news["start_local"]) == (
        "show song",
        "News",
        "2026-06-01T20:00:00+02:00",
    )
    assert news["artist"] == "news artist 0" and news["file"] == "news/200.mp3"
    assert [m["cut"] for m in news["marks"] if m["mark"] == "show_start"] == ["hard"]
    cut = items[items.index(news) - 1]
    assert [m["by"] for m in cut["marks"] if m["mark"] == "cut"] == ["hard"]
    hourly = [item["start_local"] for item in items if item["kind"] == "hourly jingle"]
    assert hourly == ["2026-06-01T21:00:00+02:00"]  # at 20:00 the show takes its place


def test_the_schedule_from_a_local_time(service):
    answer = schedule(service, hours=1, **{"from": "2026-06-01T20:30:00"}).json()
    assert answer["from"] == SHOW_AT + 1800
    assert answer["from_local"] == "2026-06-01T20:30:00+02:00"


@pytest.mark.parametrize(
    "params, parameter",
    [
        ({"hours": "0"}, "hours"),
        ({"hours": "169"}, "hours"),
        ({"hours": "two"}, "hours"),
        ({"from": "tomorrow"}, "from"),
        ({"from": "2026-06-30T00:00:00+00:00"}, "from"),
    ],
)
def test_a_bad_schedule_parameter_is_a_400_naming_it(service, params, parameter):
    response = schedule(service, **params)
    assert response.status_code == 400
    assert response.json()["parameter"] == parameter
    assert response.json()["error"].startswith(f"{parameter}: ")


def test_the_schedule_of_an_unknown_radio_is_a_404(service):
    response = schedule(service, uuid="nope")
    assert response.status_code == 404
    assert response.json()["error"] == "unknown radio nope"


def test_yascheduler_preview_prints_the_programme(service, capsys):
    args = ["preview", "--radio", "radio-1", "--hours", "2", "--url", http_base(service)]
    assert cli.main(args) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (
        "radio radio-1 (Radio One), Europe/Paris: "
        "2026-06-01 19:50:00 +0200 to 2026-06-01 21:50:00 +0200"
    )
    assert out[1].startswith("note: ") and "prediction" in out[1]
    assert out[2].split() == ["time", "kind", "show", "what"]
    (news,) = [line for line in out if line.startswith("2026-06-01 20:00:00 +0200")]
    assert news.split()[3:] == [
        "show", "song", "News", "news", "artist", "0", "-", "news", "title", "0", "(news/200.mp3)"
    ]  # fmt: skip
    assert any("! show 'News' starts at 20:00:00: hard start" in line for line in out)


def test_yascheduler_preview_of_an_unknown_radio_says_so(service, cli_in_process):
    result = cli_in_process("preview", "--radio", "nope", "--url", http_base(service))
    assert result.returncode == 1
    assert "unknown radio nope" in result.stderr


def test_status_and_metrics_show_the_schedule_adherence(service):
    service.clock.advance(120)  # radio-show-only has had nothing to play for two minutes
    status = requests.get(f"{http_base(service)}/api/status", timeout=5).json()
    adherence = status["schedule_adherence"]
    assert adherence["broken_radio_seconds"] == 120
    assert adherence["separation_rules_broken"] == {"repeat_window": 0, "title": 0, "artist": 0}
    assert (adherence["repeats_within_3h"], adherence["show_start_lateness"]["count"]) == (0, 0)
    text = requests.get(f"{http_base(service)}/metrics", timeout=5).text
    samples = {
        (sample.name, tuple(sample.labels.values())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    assert samples[("yascheduler_broken_radio_seconds_total", ())] == 120
    assert samples[("yascheduler_separation_rules_broken_total", ("artist",))] == 0
    assert samples[("yascheduler_repeats_within_3h_total", ())] == 0
    assert samples[("yascheduler_show_start_lateness_seconds_count", ())] == 0
