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
"""

from collections.abc import Callable

RADIO_MESSAGES = frozenset({"play_radio", "stop_radio", "register_listener", "unregister_listener"})
STREAMER_MESSAGES = frozenset({"test", "user_authentication", "pong"})


class Dispatch:
    def __init__(
        self,
        membership,
        holds_session: Callable[[str, str | None], bool],
        holds_back: Callable[[dict], bool] = lambda message: False,
    ):
        self.membership = membership
        self.holds_session = holds_session  # (session id, streamer or None)
        self.holds_back = holds_back  # kept to act on later: its radio is being handed here

    def acts_on(self, message: dict) -> bool:
        kind = message["type"]
        if kind in RADIO_MESSAGES:
            if self.holds_back(message):
                return False
            radio_uuid = message.get("radio_uuid")
            if radio_uuid is None:
                return self.holds_session(message["session_id"], message.get("streamer"))
            return self.membership.owns_radio(radio_uuid)
        if kind in STREAMER_MESSAGES:
            return self.membership.owns_streamer(message["streamer"])
        return True
