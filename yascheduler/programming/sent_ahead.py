"""A stored timeline whose play decided ahead may have gone out: told by a send mark,
or by the record of the plays published.

The send of a track chosen ahead is not written (transitions.py: its changes wait
for the next prepare's write), so a timeline read back may still name that send
as its pending event though the play went out. Its writer's send mark
(store/send_marks.py) tells: a send due before the mark went out; and so did one
the record of the plays published names (streaming/sent_record.py: what went out
since the mark's last write). Either way the timeline resumes waiting for that
track's start, as it did in memory; otherwise the play is sent again at once (the
same track for the same slot, at the offset reached).
"""

from collections.abc import Callable

from .persistence import StoredTimeline
from .transitions import SEND, START

# the stored timeline's document -> the instant its writer's sends are known made
# through, None if unknown
SentThrough = Callable[[dict], float | None]
# (radio uuid, a track's start) -> whether its play is recorded published
Published = Callable[[str, float], bool]


def settled(
    found: StoredTimeline, stored: dict, sent_through: SentThrough, published: Published
) -> StoredTimeline:
    """`found` (decoded from `stored`), its send marked made if its writer's mark says
    so, or `published` (the radio's uuid and its chosen track's start) does."""
    event, timeline = found.event, found.timeline
    chosen = timeline.next
    if event is None or event[1] != SEND or chosen is None or chosen.sent:
        return found
    if timeline.boundary is None:
        return found
    through = sent_through(stored)
    if (through is not None and event[0] < through) or published(
        stored.get("_id"), chosen.starts_at
    ):
        chosen.sent = True
        found.event = (timeline.boundary, START)
    return found
