"""gevent must patch the standard library before anything else imports it."""

import subprocess
import sys

CHECK = """
import sys
import yascheduler.app.cli
from gevent import monkey
for name in ("socket", "ssl", "threading", "select"):
    assert monkey.is_module_patched(name), name + " is not patched"
import threading, socket
assert threading.Lock is not monkey.get_original("threading", "Lock"), "not gevent's Lock"
assert "gevent" in threading.Lock.__module__, threading.Lock.__module__
assert "gevent" in socket.socket.__module__, socket.socket.__module__
print("patched")
"""


def test_the_entry_point_patches_before_anything_imports_socket_ssl_or_threading():
    result = subprocess.run(
        [sys.executable, "-W", "error::gevent.monkey.MonkeyPatchWarning", "-c", CHECK],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "patched"


def test_nothing_the_package_root_imports_touches_socket_ssl_or_threading():
    probe = (
        "import sys, yascheduler; print(sorted({'socket','ssl','threading'} & set(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
