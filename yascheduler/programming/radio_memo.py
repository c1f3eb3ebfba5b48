"""What the engine derives from a radio's catalog, remembered for the last ones asked.

The steps of one event (choose, start, plan the next) ask the same things of
the same radio several times (its shows on air, its hourly jingle, its
jingle ranges), and a preview's dry run asks them of one radio all along.
(A playlist's weighing is kept by each radio's rotation instead: 100,000
radios take turns, which no short memory holds.) Radios and playlists are
frozen views that a catalog change replaces, so what is remembered is
known by identity (and held, so that an identity is never reused while it
is remembered). What is returned is shared: read it, never change it.
"""

from collections.abc import Callable
from functools import wraps
from typing import TypeVar

T = TypeVar("T")


def remember_recent(count: int) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """derive(view) remembered for the last `count` views asked, the latest first."""

    def decorate(derive: Callable[..., T]) -> Callable[..., T]:
        recent: list[tuple] = []  # (view, what derive gave for it)

        @wraps(derive)
        def remembered(view) -> T:
            for index, (known, derived) in enumerate(recent):
                if known is view:
                    if index:
                        recent.insert(0, recent.pop(index))
                    return derived
            derived = derive(view)
            recent.insert(0, (view, derived))
            del recent[count:]
            return derived

        return remembered

    return decorate


remember_last_radio = remember_recent(1)
