"""A streamer that speaks like the production C++ one, for end-to-end tests.

It PSUBSCRIBEs to `yastream.<name>`, PUBLISHes JSON to `yascheduler`, and
answers `ping` with `pong` (unless told to play dead).
"""

import time

import gevent
import gevent.queue
import redis
import ujson


class StreamerEmulator:
    def __init__(self, redis_url: str, name: str, answer_pings: bool = True):
        self.name = name
        self.answer_pings = answer_pings
        self.pings = 0
        self.last_arrival: float | None = None
        self.client = redis.Redis.from_url(redis_url)
        self.inbox: gevent.queue.Queue = gevent.queue.Queue()
        self.pubsub = self.client.pubsub()
        self.pubsub.psubscribe("yastream." + name)
        self._wait_subscribed()
        self.reader = gevent.spawn(self._read)

    def _wait_subscribed(self) -> None:
        while self.pubsub.get_message(timeout=5) is None:
            pass

    def _read(self) -> None:
        for item in self.pubsub.listen():
            if item["type"] != "pmessage":
                continue
            message = ujson.loads(item["data"])
            if message["type"] == "ping":
                self.pings += 1
                if self.answer_pings:
                    self.send(type="pong")
                continue
            self.inbox.put((time.time(), message))

    def send(self, **fields) -> None:
        fields.setdefault("streamer", self.name)
        self.client.publish("yascheduler", ujson.dumps(fields))

    def send_raw(self, raw: bytes) -> None:
        self.client.publish("yascheduler", raw)

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

    def close(self) -> None:
        self.reader.kill()
        self.pubsub.close()
        self.client.close()
