"""What the engine derives from a radio's catalog, remembered for the last radio asked.

The steps of one event (choose, start, plan the next) ask the same things of
the same radio several times (its shows on air, its hourly jingle, its
jingle ranges), and a preview's dry run asks them of one radio all along.
A radio is a frozen view that a catalog change replaces, so the one radio
remembered is known by identity. What is returned is shared: read it,
never change it.
"""

from collections.abc import Callable
from functools import wraps
from typing import TypeVar

T = TypeVar("T")


def remember_last_radio(derive: Callable[..., T]) -> Callable[..., T]:
    last: list = [None, None]  # (radio, what derive gave for it)

    @wraps(derive)
    def remembered(radio) -> T:
        if last[0] is not radio:
            last[1] = derive(radio)
            last[0] = radio
        return last[1]

    return remembered
