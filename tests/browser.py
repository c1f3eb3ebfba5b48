"""A real headless Chromium for the dashboard's tests.

The tests need Debian's `chromium` (CI installs it); without it they fail,
naming what is missing. Screenshots go to tests/artifacts/ (not committed).
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

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


def chart_points(dom: str, chart_id: str) -> dict[str, int]:
    """The points each line of a chart drew (dashboard/chart.js: its paths' data-points),
    by the line's class; {} if the chart drew no line."""
    svg = re.search(rf'<svg [^>]*id="{chart_id}".*?</svg>', dom, re.S)
    assert svg is not None, f"no chart {chart_id} on the page"
    lines = re.findall(r'<path class="line ([\w-]+)"[^>]*data-points="(\d+)"', svg[0])
    return {name: int(points) for name, points in lines}
