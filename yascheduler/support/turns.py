"""Long loops that let the other greenlets run now and then.

A greenlet that never waits holds the whole process: a burst of thousands
of streamer messages, a backlog of due events or a streamer dropped with
its thousands of radios would stall the scheduler loop and the replies.
"""

from collections.abc import Iterable, Iterator
from typing import TypeVar

import gevent

T = TypeVar("T")


def take_turns(items: Iterable[T], every: int) -> Iterator[T]:
    """The items, with the other greenlets given a turn after every `every` of them.

    gevent.idle() rather than sleep(0): sleep(0) can leave expired timers
    (the scheduler loop's wake-up among them) waiting up to ~90 ms.
    """
    for count, item in enumerate(items, 1):
        yield item
        if count % every == 0:
            gevent.idle()
