"""Every long-running part of the service in one shape, run by one wrapper.

A part (huey's consumer processes, APScheduler's main loop) has a `name`
and a `loop()` that does one turn of its work and returns how long to wait
before the next turn: seconds, 0 for at once, or None for "until woken".
It may have a `wakeup` event (set when new work arrives: the wait ends at
once; None for a turn whose wait must not end early), `initialize()`
(before the first turn) and `shutdown()` (after the last). The supervisor
owns the `while`, the wait and the log line when a part dies: each part
runs in a greenlet of one group, named after it, and one that raises stops
the service (`<name> died: ...`), never silently.

Stopping is in two stages. `stop(grace)`: every part finishes the turn in
hand (a write in progress completes), its wait is cut short and it does
not start another; `stop_taking_work()` is called first on the parts that
have it (the subscriber stops reading); a part still busy after `grace`
seconds is killed. A second signal is the caller's: it exits the process.
"""

import logging
from collections.abc import Callable

import gevent
import gevent.event
from gevent.pool import Group

log = logging.getLogger("yascheduler.service")


class Supervisor:
    def __init__(self, on_failure: Callable[[str], None]):
        self.group = Group()
        self.stopping = gevent.event.Event()
        self._on_failure = on_failure
        self._parts = []
        self.greenlets: dict[str, gevent.Greenlet] = {}  # by name

    def run(self, part) -> gevent.Greenlet:
        """Start running a part (see the module docstring) in a greenlet named after it."""
        self._parts.append(part)
        return self.spawn(part.name, self._run, part)

    def spawn(self, name: str, function, *args) -> gevent.Greenlet:
        """Run a function that is not a part (one short job), supervised all the same."""
        greenlet = gevent.Greenlet(function, *args)
        greenlet.name = name
        greenlet.link_exception(self._died)
        self.group.start(greenlet)
        self.greenlets[name] = greenlet
        return greenlet

    def _run(self, part) -> None:
        initialize = getattr(part, "initialize", None)
        if initialize is not None:
            initialize()
        while not self.stopping.is_set():
            wait = part.loop()
            if wait is None or wait > 0:
                wakeup = getattr(part, "wakeup", None)  # a part may be deaf to it for a turn
                waits_for = [self.stopping] if wakeup is None else [self.stopping, wakeup]
                gevent.wait(waits_for, timeout=wait, count=1)
        shutdown = getattr(part, "shutdown", None)
        if shutdown is not None:
            shutdown()

    def _died(self, greenlet: gevent.Greenlet) -> None:
        failure = f"{greenlet.name} died: {greenlet.exception!r}"
        log.error("stopping: %s", failure, exc_info=greenlet.exc_info)
        self._on_failure(failure)

    def stop(self, grace: float) -> list[str]:
        """Stop every part as the module docstring says; the names of those killed."""
        self.stopping.set()
        for part in self._parts:
            stop_taking_work = getattr(part, "stop_taking_work", None)
            if stop_taking_work is not None:
                stop_taking_work()
        self.group.join(timeout=grace)
        killed = sorted(greenlet.name for greenlet in self.group)
        if killed:
            log.warning("still busy after %gs, stopped now: %s", grace, ", ".join(killed))
        self.group.kill(timeout=1.0)
        return killed
