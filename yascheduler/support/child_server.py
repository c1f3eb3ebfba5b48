"""A server run as a child process (redis-server, the store server): started, waited
for until it answers, stopped; its output kept in a log whose tail explains a failure."""

import ctypes
import logging
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from .errors import YaschedulerError

log = logging.getLogger("yascheduler.servers")

LOG_TAIL_LINES = 20
POLL_SECONDS = 0.05


class ChildServer:
    def __init__(
        self,
        name: str,
        command: list[str],
        answers: Callable[[], bool],
        probe: str,
        log_path: Path | None = None,
        own_session: bool = True,
        die_with_parent: bool = True,
    ):
        self.name = name
        self.command = command
        self.answers = answers  # True once the server answers `probe`
        self.probe = probe
        self.log_path = log_path
        # In its own session, a Ctrl-C meant for the service does not kill the
        # server while the service still needs it to shut down.
        self.own_session = own_session
        # A scheduler killed with -9 takes its servers along: an orphan would hold the
        # port and the data directory that the next start needs.
        self.die_with_parent = die_with_parent
        self.process: subprocess.Popen | None = None

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid

    def start(self, timeout: float) -> None:
        """Start it and wait until it answers; YaschedulerError with its log's tail if not."""
        output = open(self.log_path, "wb") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        try:
            self.process = subprocess.Popen(
                self.command,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=self.own_session,
                preexec_fn=_terminated_with_parent if self.die_with_parent else None,
            )
        finally:
            if self.log_path:
                output.close()
        deadline = time.monotonic() + timeout
        while not self.answers():
            if self.process.poll() is not None:
                self._fail(f"{self.name} exited with status {self.process.returncode}")
            if time.monotonic() > deadline:
                self._fail(f"{self.name} did not answer {self.probe} within {timeout:g}s")
            time.sleep(POLL_SECONDS)

    def _fail(self, problem: str) -> None:
        tail = self.log_tail()
        self.stop(timeout=0)
        raise YaschedulerError(f"{problem}; its log ends with:\n{tail}")

    def log_tail(self) -> str:
        if self.log_path is None:
            return "(no log kept)"
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError as error:
            return f"(no log: {error.strerror})"
        return "\n".join(lines[-LOG_TAIL_LINES:]) or "(empty log)"

    def stop(self, timeout: float = 3.0) -> None:
        """Terminate it, and kill it if it lingers past `timeout` (at once with 0)."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        if timeout > 0:
            process.terminate()
            try:
                process.wait(timeout)
                return
            except subprocess.TimeoutExpired:
                log.warning(
                    "%s (pid %d) still running after %gs: killing it",
                    self.name, process.pid, timeout,
                )  # fmt: skip
        process.kill()
        process.wait()


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _terminated_with_parent() -> None:
    """In the child, before it runs: SIGTERM when the parent dies (Linux only)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
