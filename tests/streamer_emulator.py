"""A streamer that speaks like the C++ one, for end-to-end tests.

It PSUBSCRIBEs to `yastream.<name>`, PUBLISHes JSON to `yascheduler`, and
answers `ping` with `pong` (unless told to play dead).

With `production=True` it also behaves as the production streamer does
(PROTOCOL.md, "The production streamer, as it behaves"): it does not read
`radio_exists` or `radio_unknown` (only the misspelt `radio_unkown`), sends
`user_id` 0 for an anonymous listener and empty credentials for a listener
without any, loses a message it writes to a dead connection, and after a
Redis outage subscribes again with a backoff doubling from 1 ms up to 10 s,
saying nothing when it is back.
"""

import time

import gevent
import gevent.queue
import redis
import ujson
from redis.backoff import NoBackoff
from redis.retry import Retry

UNREAD_BY_PRODUCTION = ("radio_exists", "radio_unknown")
FIRST_BACKOFF = 0.001
MAX_BACKOFF = 10.0


class StreamerEmulator:
    def __init__(
        self, redis_url: str, name: str, answer_pings: bool = True, production: bool = False
    ):
        self.name = name
        self.answer_pings = answer_pings
        self.production = production
        self.pings = 0
        self.last_arrival: float | None = None
        self.subscribed_at: list[float] = []  # each (re)subscription, confirmed by Redis
        self.lost_sends: list[dict] = []  # written to a dead connection (production mode)
        self.unread: list[dict] = []  # what the production streamer does not understand
        self.backoff = 0.0  # its wait before the next attempt to subscribe again, if any
        # production mode: redis-py neither retries nor resubscribes by itself
        options = {"retry": Retry(NoBackoff(), 0)} if production else {}
        self.client = redis.Redis.from_url(redis_url, **options)
        self.inbox: gevent.queue.Queue = gevent.queue.Queue()
        self.pubsub = self._subscribe()
        self.reader = gevent.spawn(self._read)

    def _subscribe(self):
        pubsub = self.client.pubsub()
        pubsub.psubscribe("yastream." + self.name)
        while pubsub.get_message(timeout=5) is None:
            pass
        self.subscribed_at.append(time.time())
        return pubsub

    def _read(self) -> None:
        while True:
            try:
                for item in self.pubsub.listen():
                    if item["type"] == "pmessage":
                        self._receive(ujson.loads(item["data"]))
            except redis.ConnectionError:
                if not self.production:
                    raise
                self._resubscribe()

    def _resubscribe(self) -> None:
        """As the production streamer: try again after 1 ms, 2 ms, 4 ms... at most 10 s."""
        self.pubsub.close()
        self.backoff = FIRST_BACKOFF
        while True:
            gevent.sleep(self.backoff)
            try:
                self.pubsub = self._subscribe()
                self.backoff = 0.0
                return
            except redis.ConnectionError:
                self.backoff = min(MAX_BACKOFF, self.backoff * 2)

    def _receive(self, message: dict) -> None:
        if message["type"] == "ping":
            self.pings += 1
            if self.answer_pings:
                self.send(type="pong")
            return
        if self.production and message["type"] in UNREAD_BY_PRODUCTION:
            self.unread.append(message)
            return
        self.inbox.put((time.time(), message))

    def send(self, **fields) -> None:
        fields.setdefault("streamer", self.name)
        payload = ujson.dumps(fields)
        if not self.production:
            self.client.publish("yascheduler", payload)
            return
        try:
            self.client.publish("yascheduler", payload + "\n")  # its messages end with one
        except redis.ConnectionError:
            self.lost_sends.append(fields)  # the next message gets a new connection

    def send_raw(self, raw: bytes) -> None:
        self.client.publish("yascheduler", raw)

    def register_listener(self, radio_uuid: str, session_id: str, user_id: int | None) -> None:
        """As the streamer does: an anonymous listener is user 0 in production mode."""
        if self.production and user_id is None:
            user_id = 0
        self.send(
            type="register_listener", radio_uuid=radio_uuid, session_id=session_id, user_id=user_id
        )

    def authenticate(self, **credentials) -> None:
        """user_authentication; without credentials, the production streamer sends empty ones."""
        if self.production and not credentials:
            credentials = {"username": "", "api_key": ""}
        self.send(type="user_authentication", **credentials)

    def next(self, timeout: float = 2.0) -> dict:
        """The next message (pings excepted); fails the test if none comes in time."""
        try:
            self.last_arrival, message = self.inbox.get(timeout=timeout)
        except gevent.queue.Empty:
            raise AssertionError(f"{self.name}: no message within {timeout}s") from None
        return message

    def expect(self, kind: str, timeout: float = 2.0) -> dict:
        message = self.next(timeout)
        assert message["type"] == kind, f"{self.name}: expected {kind}, got {message}"
        return message

    def roundtrip(self, info: str = "sync") -> None:
        """Send `test` and check its reply is the next message: nothing else came in between."""
        self.send(type="test", info=info)
        assert self.expect("test")["info"] == info

    def drain(self) -> list[dict]:
        messages = []
        while not self.inbox.empty():
            messages.append(self.inbox.get()[1])
        return messages

    def unsubscribe(self) -> None:
        """Stop listening, as a streamer whose subscription is lost (it can still send)."""
        self.reader.kill()
        self.pubsub.close()

    def subscribe_again(self) -> None:
        self.pubsub = self._subscribe()
        self.reader = gevent.spawn(self._read)

    def close(self) -> None:
        self.reader.kill()
        self.pubsub.close()
        self.client.close()
