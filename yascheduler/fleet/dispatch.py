"""Which instance acts on a streamer message: every instance receives every message on
`yascheduler`, and exactly one of them acts and replies.

- a radio's messages: the owner of its shard (an `unregister_listener` that names no
  radio: the instance holding that session, sessions being kept by their radio's owner);
- a streamer's requests and pongs: its owner among the live instances (rendezvous);
- `register_streamer`, `unregister_streamer`: every instance, each for the radios it
  owns (they reply nothing; what they stop is per radio).
"""

from collections.abc import Callable

RADIO_MESSAGES = frozenset({"play_radio", "stop_radio", "register_listener", "unregister_listener"})
STREAMER_MESSAGES = frozenset({"test", "user_authentication", "pong"})


class Dispatch:
    def __init__(self, membership, holds_session: Callable[[str, str | None], bool]):
        self.membership = membership
        self.holds_session = holds_session  # (session id, streamer or None)

    def acts_on(self, message: dict) -> bool:
        kind = message["type"]
        if kind in RADIO_MESSAGES:
            radio_uuid = message.get("radio_uuid")
            if radio_uuid is None:
                return self.holds_session(message["session_id"], message.get("streamer"))
            return self.membership.owns_radio(radio_uuid)
        if kind in STREAMER_MESSAGES:
            return self.membership.owns_streamer(message["streamer"])
        return True
