"""The last hour in figures (app.series) and GET /api/series, which the charts draw."""

import pytest
import requests

from tests.catalogs import basic_catalog
from tests.harness import http_base
from yascheduler.app.series import Series
from yascheduler.programming.lateness import LatenessMeter
from yascheduler.support.clock import FakeClock


def series_of(clock, listened: dict, **options) -> tuple[Series, LatenessMeter]:
    meter = LatenessMeter(clock=clock)
    return Series(clock, meter.after, lambda: dict(listened), **options), meter


def test_a_sample_summarises_the_plays_sent_since_the_one_before():
    clock = FakeClock()
    series, meter = series_of(clock, {})
    for late in (0.002, 0.004):
        meter.add(late)
    first = series.sample()
    clock.advance(4)
    meter.add(0.250)
    second = series.sample()
    clock.advance(10)
    third = series.sample()
    assert (first.plays, first.lateness_max_ms) == (2, pytest.approx(4.0))
    assert (second.plays, second.lateness_p99_ms) == (1, pytest.approx(250.0))
    assert (third.plays, third.lateness_p99_ms) == (0, None)  # nothing sent: no figure


def test_an_hour_of_samples_is_kept_and_no_more():
    clock = FakeClock()
    series, _ = series_of(clock, {"r1": 1}, interval=10, window=3600)
    started = clock.now()
    for _ in range(500):
        series.sample()
        clock.advance(10)
    kept = series.samples()
    assert len(kept) == 360
    assert kept[0].at == clock.now() - 3600 and kept[-1].at == started + 499 * 10
    clock.advance(3600)
    assert series.samples() == []  # an hour later, nothing sampled since


def test_a_sample_keeps_the_listeners_of_the_most_listened_radios():
    clock = FakeClock()
    listened = {"big": 50, "small": 1, "mid": 7}
    series, _ = series_of(clock, listened, radios_kept=2)
    crowded = series.sample()
    del listened["small"]
    roomy = series.sample()
    assert crowded.listeners == 58 and roomy.listeners == 57
    assert [crowded.listeners_of(uuid) for uuid in ("big", "mid", "small", "none")] == [
        50,
        7,
        None,  # left out: unknown, not none
        None,
    ]
    assert [roomy.listeners_of(uuid) for uuid in ("big", "mid", "none")] == [50, 7, 0]


def test_a_turn_of_the_sampler_takes_one_and_waits_its_interval():
    clock = FakeClock()
    series, _ = series_of(clock, {}, interval=10)
    assert series.loop() == 10 and len(series.samples()) == 1


@pytest.fixture
def service(make_service):
    return make_service(basic_catalog(), clock=FakeClock())


def start(streamer, uuid):
    streamer.send(type="play_radio", radio_uuid=uuid)
    streamer.expect("radio_started")
    streamer.expect("play")


def test_the_api_serves_the_hour_a_column_a_figure(service, streamers):
    s1 = streamers("s1")
    start(s1, "radio-1")
    start(s1, "radio-2")
    for session, uuid in [("a", "radio-1"), ("b", "radio-1"), ("c", "radio-2")]:
        s1.send(type="register_listener", radio_uuid=uuid, session_id=session, user_id=None)
    s1.roundtrip()
    service.clock.advance(10)
    service.series.sample()
    response = requests.get(http_base(service) + "/api/series?radio=radio-1", timeout=5)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["interval"], answer["window"], answer["radio"]) == (10, 3600, "radio-1")
    assert answer["at"][-1] == service.clock.now() == answer["server_time"]
    columns = ("plays", "lateness_p50_ms", "lateness_p99_ms", "lateness_max_ms", "listeners")
    for column in (*columns, "radio_listeners"):
        assert len(answer[column]) == len(answer["at"]) >= 2
    assert (answer["listeners"][-1], answer["radio_listeners"][-1]) == (3, 2)
    everyone = requests.get(http_base(service) + "/api/series", timeout=5).json()
    assert everyone["radio_listeners"] is None and everyone["listeners"] == answer["listeners"]


def test_the_series_of_a_radio_not_programmed_is_a_400_naming_it(service):
    response = requests.get(http_base(service) + "/api/series?radio=radio-off", timeout=5)
    assert response.status_code == 400
    assert response.json() == {
        "error": "radio: not a programmed radio: 'radio-off'",
        "parameter": "radio",
    }
