"""The dashboard: its assets, and the page rendered by a real headless Chromium
(tests/browser.py), with screenshots for review in tests/artifacts/ (not committed).
"""

import http.client
import re

import pytest
import requests

from tests.browser import ARTIFACTS, chart_points, run_chromium
from tests.dashboard_scene import QUICK, scene_catalog, start_scene
from tests.harness import http_base, wait_for
from yascheduler.webapp.outbox import Selection


@pytest.fixture
def scene(make_service, streamers):
    return start_scene(make_service, streamers)


# --- assets -------------------------------------------------------------------------------


@pytest.fixture
def service(make_service):
    return make_service({"radios": []})


@pytest.mark.parametrize(
    "path, content_type, marker",
    [
        ("/", "text/html; charset=utf-8", b"<title>yascheduler</title>"),
        ("/static/index.html", "text/html; charset=utf-8", b"<!doctype html>"),
        ("/static/app.css", "text/css; charset=utf-8", b":root"),
        ("/static/app.js", "text/javascript; charset=utf-8", b"/api/radios"),
    ],
)
def test_the_dashboard_assets_are_served_from_the_package(service, path, content_type, marker):
    response = requests.get(http_base(service) + path, timeout=5)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == content_type
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert marker in response.content


@pytest.mark.parametrize(
    "raw_path",
    [
        "/static/../service.py",
        "/static/..%2fservice.py",
        "/static/%2e%2e/service.py",
        "/static/%2e%2e%2fhttp_api.py",
        "/static/dashboard/app.js",
        "/static//etc/passwd",
        "/static/",
        "/static/missing.js",
        "/static/app.py",
        "/static/.hidden.css",
        "/static/app.js%00.css",
        "/static/..",
    ],
)
def test_no_file_outside_the_dashboard_assets_is_served(service, raw_path):
    # http.client sends the path as given: no client-side normalisation of dots
    connection = http.client.HTTPConnection("127.0.0.1", service.http_server.server_port, timeout=5)
    try:
        connection.request("GET", raw_path)
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    assert response.status in (400, 404), (raw_path, response.status)
    assert b"import" not in body and b"root:" not in body


def test_only_get_is_allowed_on_the_dashboard(service):
    assert requests.post(http_base(service) + "/", timeout=5).status_code == 405


# --- the page in a real browser --------------------------------------------------------------


def test_the_rendered_dashboard_shows_radios_tracks_and_streamers(scene, tmp_path):
    base = http_base(scene)
    radios = requests.get(base + "/api/radios", timeout=5).json()["radios"]
    playing = {r["uuid"]: r for r in radios if r["filename"]}
    assert set(playing) == {"radio-1", "radio-2", "radio-3", "radio-4", "radio-5", QUICK}
    del playing[QUICK]  # its track changes while the page is drawn

    dom = run_chromium(base + "/", tmp_path, "--dump-dom")

    assert 'id="radios"' in dom
    for uuid, now in playing.items():
        assert f'<a href="/radios/{uuid}">' in dom  # its page
        track = f"{now['artist']} – {now['title']}"
        assert track in dom, f"{uuid} plays {track}, not on the page"
        assert now["filename"] in dom, f"{uuid} plays {now['filename']}, not on the page"
    assert "radio-silent" in dom and "nothing playable" in dom
    # broken first
    assert dom.index("radio-silent") < dom.index("radio-1")
    for text in ("streamer-alpha", "streamer-beta", "Radio One", "Late Night Jazz", "l-3"):
        assert text in dom
    assert 'class="pill ok">live<' in dom
    assert "left</span>" in dom  # the progress bars got their time left


def test_the_dashboard_filters_server_side_from_the_url(scene, tmp_path):
    dom = run_chromium(http_base(scene) + "/#state=streaming&q=radio-", tmp_path, "--dump-dom")
    table = dom[dom.index('id="radios"') : dom.index('id="page-info"')]
    for uuid in ("radio-1", "radio-2", "radio-3"):
        assert f'data-uuid="{uuid}"' in table
    for uuid in ("radio-4", "radio-5", QUICK, "radio-silent"):
        assert f'data-uuid="{uuid}"' not in table


def test_the_dashboard_shows_parked_notifications_only_when_there_are(
    make_service, webapp, tmp_path
):
    webapp.refused_radios.add("radio-2")  # unknown to the web app: its first song parks
    service = make_service(scene_catalog(), yaapp_url=webapp.url, yaapp_key="k")
    wait_for(lambda: service.notifier.outbox.parked_count() == 1, "radio-2's song parked")
    dom = run_chromium(http_base(service) + "/", tmp_path, "--dump-dom")
    card = dom[dom.index('id="c-outbox-sub"') : dom.index('id="c-messages"')]
    assert "all delivered" in card and "1 parked" in card
    panel = dom[dom.index('id="parked-panel"') : dom.index('id="listeners-info"')]
    assert "hidden" not in panel.split(">", 1)[0]
    rows = panel[panel.index('id="parked"') :]
    for text in ("songs_started", "radio-2", "HTTP 404"):
        assert text in rows
    assert "radio-1" not in rows

    service.notifier.outbox.discard(Selection())
    dom = run_chromium(http_base(service) + "/", tmp_path, "--dump-dom")
    card = dom[dom.index('id="c-outbox-sub"') : dom.index('id="c-messages"')]
    assert "parked" not in card
    assert 'id="parked-panel" hidden' in dom


def test_the_dashboard_charts_the_last_hour_and_shows_schedule_adherence(scene, tmp_path):
    series = requests.get(http_base(scene) + "/api/series", timeout=5).json()
    adherence = requests.get(http_base(scene) + "/api/status", timeout=5).json()[
        "schedule_adherence"
    ]
    assert series["listeners"][-1] == 3 and sum(series["plays"]) >= 1

    dom = run_chromium(http_base(scene) + "/", tmp_path, "--dump-dom")

    lateness = chart_points(dom, "chart-lateness")
    assert lateness["p99"] >= 1 and lateness["max"] >= 1, lateness
    assert chart_points(dom, "chart-listeners")["listeners"] == len(series["at"]) >= 2
    legend = dom[dom.index('id="legend-listeners"') : dom.index('id="chart-listeners"')]
    assert "listeners <b>3</b>" in legend
    panel = dom[dom.index('id="adherence-panel"') : dom.index('id="radios-panel"')]
    for text in ("Show starts", "Separation rules broken", "Dead air", "Repeats within 3 h"):
        assert text in panel
    # counters since the start, read before the page was: the page's are no lower
    figures = dict(re.findall(r'id="a-([\w-]+)">([\d,]+)<', panel))
    rules_broken = sum(adherence["separation_rules_broken"].values())
    assert rules_broken >= 1  # the quick radio's one song cannot keep its separation
    assert int(figures["rules"].replace(",", "")) >= rules_broken, panel
    assert int(figures["repeats"]) >= adherence["repeats_within_3h"]
    assert 'id="a-dead-air">0:00<' not in panel  # radio-silent: dead air since the start


@pytest.mark.parametrize(
    "name, size", [("dashboard.png", "1366,768"), ("dashboard-phone.png", "390,844")]
)
def test_the_dashboard_screenshots_are_written_for_review(scene, tmp_path, name, size):
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    path.unlink(missing_ok=True)
    run_chromium(http_base(scene) + "/", tmp_path, f"--screenshot={path}", f"--window-size={size}")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size > 10_000  # a rendered page, not a blank one
