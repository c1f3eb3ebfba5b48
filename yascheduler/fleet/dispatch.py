"""Which instance acts on a streamer message: every instance receives every message on
`yascheduler`, and exactly one of them acts and replies.

- a radio's messages: the owner of its shard (an `unregister_listener` that names no
  radio: the instance holding that session, sessions being kept by their radio's owner);
- a streamer's requests and pongs: the holder of the streamer's shard (a lease);
- `register_streamer`, `unregister_streamer`: every instance, each for the radios it
  owns (they reply nothing; what they stop is per radio).

A radio being handed over (app/fleet_handover.py): its messages read before the
`radios_handed` that names it are the giver's, those after it the next owner's,
which holds them back until it has loaded the radio, then acts on them in order.

A radio's or a streamer's message whose shard's lease here is overdue for renewal is
kept until a beat renews it, then acted on (fleet/overdue.py), not dropped.
"""

from collections.abc import Callable

from .overdue import Overdue
from .ownership import shard_of

RADIO_MESSAGES = frozenset({"play_radio", "stop_radio", "register_listener", "unregister_listener"})
STREAMER_MESSAGES = frozenset({"test", "user_authentication", "pong"})


class Dispatch:
    def __init__(
        self,
        membership,
        holds_session: Callable[[str, str | None], bool],
        act: Callable[[dict], None],  # acts on a message kept (Handlers.act)
        holds_back: Callable[[dict], bool] = lambda message: False,
    ):
        self.membership = membership
        self.holds_session = holds_session  # (session id, streamer or None)
        self.holds_back = holds_back  # kept to act on later: its radio is being handed here
        self.overdue = Overdue(membership, act)  # kept until the lease is renewed

    def acts_on(self, message: dict) -> bool:
        kind = message["type"]
        if kind in RADIO_MESSAGES:
            if self.holds_back(message):
                return False
            radio_uuid = message.get("radio_uuid")
            if radio_uuid is None:
                return self.holds_session(message["session_id"], message.get("streamer"))
            return self._owned(message, radio_uuid, self.membership.owns_radio)
        if kind in STREAMER_MESSAGES:
            return self._owned(message, message["streamer"], self.membership.owns_streamer)
        return True

    def _owned(self, message: dict, name: str, owns: Callable[[str], bool]) -> bool:
        """Whether this instance acts on the message about `name` (a radio, a streamer)
        now: not if it is kept for its overdue lease, to act on once renewed."""
        if self.overdue.keeps(message, shard_of(name), lambda: owns(name)):
            return False
        return owns(name)
