"""The dashboard: its assets, and the page rendered by a real headless Chromium.

The Chromium tests need Debian's `chromium` (CI installs it); without it they
fail, naming what is missing. They write screenshots for review to
tests/artifacts/ (not committed).
"""

import http.client
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import requests

from tests.catalogs import USERS, radio
from tests.harness import http_base, wait_for
from yascheduler.webapp.outbox import Selection

ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
)


def chromium() -> str:
    """The Chromium binary, or a failure saying how to get it (not a skip: CI has it)."""
    given = os.environ.get("YASCHEDULER_TEST_CHROMIUM")
    for candidate in ([given] if given else []) + [shutil.which(n) for n in CHROMIUM_NAMES]:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    pytest.fail(
        "the dashboard test needs a headless Chromium: install Debian's `chromium` "
        "(apt-get install chromium) or set YASCHEDULER_TEST_CHROMIUM to its path"
    )


def run_chromium(url: str, tmp_path: Path, *args: str) -> str:
    profile = tmp_path / f"chromium-profile-{len(list(tmp_path.iterdir()))}"
    command = [
        chromium(),
        *CHROMIUM_FLAGS,
        f"--user-data-dir={profile}",
        "--virtual-time-budget=5000",
        *args,
        url,
    ]
    # gevent's subprocess (the test process is monkey-patched): the service keeps serving
    done = subprocess.run(command, capture_output=True, timeout=90, check=False)
    assert done.returncode == 0, f"chromium failed ({done.returncode}): {done.stderr[-2000:]!r}"
    return done.stdout.decode("utf-8", "replace")


def scene_catalog() -> dict:
    """Radios of varied track lengths, one with a show on air, one with nothing to play."""
    radios = [
        radio("radio-1", 100, 10, duration=95.0),
        radio("radio-2", 200, 20, duration=40.0),
        radio("radio-3", 300, 30, duration=210.0),
        radio("radio-4", 400, 40, duration=61.0),
        radio("radio-5", 500, 50, duration=130.0),
    ]
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
                {"id": 3100 + i, "filename": f"jazz/{3100 + i}.mp3", "duration": 210.0}
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


@pytest.fixture
def scene(make_service, streamers):
    """A running scheduler with two streamers holding radios, and listeners on them."""
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
    return service


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
    playing = {r["uuid"]: r["filename"] for r in radios if r["filename"]}
    assert set(playing) == {"radio-1", "radio-2", "radio-3", "radio-4", "radio-5"}

    dom = run_chromium(base + "/", tmp_path, "--dump-dom")

    assert 'id="radios"' in dom
    for uuid, filename in playing.items():
        assert uuid in dom
        assert filename in dom, f"{uuid} plays {filename}, not on the page"
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
    for uuid in ("radio-4", "radio-5", "radio-silent"):
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


@pytest.mark.parametrize(
    "name, size", [("dashboard.png", "1280,900"), ("dashboard-phone.png", "390,844")]
)
def test_the_dashboard_screenshots_are_written_for_review(scene, tmp_path, name, size):
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    path.unlink(missing_ok=True)
    run_chromium(http_base(scene) + "/", tmp_path, f"--screenshot={path}", f"--window-size={size}")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size > 10_000  # a rendered page, not a blank one
