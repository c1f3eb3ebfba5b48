"""Delivering the web app outbox: in seq order, at least once, one bad item never blocking.

Every answer of the web app is classified (YAAPP.md, "How the web app
answers, in production"): accepted, temporary (the head is tried again
after a capped backoff, so that order holds) or final (a 4xx but 408 and
429: the same request will never succeed). A final refusal of one item
parks it and delivery goes on with the next at once; a `songs_started`
batch refused for good is sent again by halves until the bad songs park
alone.
"""

import enum
import logging
from collections import deque
from itertools import takewhile
from urllib.parse import quote, quote_plus

import requests
import ujson

from yascheduler.support.errors import StoreError

from .outbox import Item
from .notifier import RADIO_KINDS, SONGS_STARTED, Notifier, http_request, webapp_session, with_key

log = logging.getLogger("yascheduler.yaapp")

MAX_SONGS_PER_REQUEST = 100
FIRST_RETRY_DELAY = 0.5
# seconds before the queue is read again from a store that did not answer
STORE_RETRY_DELAY = 1.0
TEMPORARY_REFUSALS = frozenset({408, 429})  # Request Timeout, Too Many Requests
ANSWER_EXCERPT = 200  # characters of a refusal's body kept with the parked item
HIDDEN = "***"


class Verdict(enum.Enum):
    ACCEPTED = "accepted"
    TEMPORARY = "temporary"
    FINAL = "final"


def classify(kind: str, status: int | None, body: bytes = b"") -> Verdict:
    """What the web app's answer means for the item; status None: no answer (a timeout,
    a refused connection)."""
    if status is None:
        return Verdict.TEMPORARY
    if 200 <= status < 300:
        if kind == SONGS_STARTED and not took_songs(body):
            return Verdict.TEMPORARY  # YAAPP.md: not taken, to be sent again
        return Verdict.ACCEPTED
    if 400 <= status < 500 and status not in TEMPORARY_REFUSALS:
        return Verdict.FINAL
    return Verdict.TEMPORARY


def took_songs(body: bytes) -> bool:
    try:
        answer = ujson.loads(body)
    except ValueError:
        return False
    return isinstance(answer, dict) and answer.get("success") is True


def why_not_taken(response: requests.Response) -> str:
    if 200 <= response.status_code < 300:
        return "songs_started answered without success true"
    return f"HTTP {response.status_code}"


def backoff_delay(failures: int, max_backoff: float) -> float:
    """Seconds to wait after `failures` failures in a row (1 or more)."""
    doublings = min(failures - 1, 32)  # past the cap anyway; keeps the float finite
    return min(max_backoff, FIRST_RETRY_DELAY * 2.0**doublings)


def describe(batch: list[Item]) -> str:
    head = batch[0]
    if len(batch) > 1:
        return f"songs_started seq {head.seq}..{batch[-1].seq} ({len(batch)} songs)"
    song = f" song {head.params.get('song_id')}" if head.kind == SONGS_STARTED else ""
    return f"{head.kind} seq {head.seq} radio {head.radio_uuid}{song}"


def undecodable(item: Item) -> str:
    """Why a stored item cannot be sent; empty if it can."""
    if not isinstance(item.radio_uuid, str):
        return "no radio uuid"
    if item.kind == SONGS_STARTED:
        complete = {"song_id", "play_date"} <= item.params.keys()
        return "" if complete else "songs_started lacks song_id or play_date"
    return "" if item.kind in RADIO_KINDS else f"unknown kind {item.kind!r}"


def excerpt(text: str, secrets: list[str]) -> str:
    """The start of an answer, the secrets sent with the request hidden: an error page
    (Django's, in debug) may quote the request's URL, and with it the key."""
    for secret in secrets:
        for written in {secret, quote(secret, safe=""), quote_plus(secret)}:  # as in a URL
            text = text.replace(written, HIDDEN)
    return text[:ANSWER_EXCERPT]


class OutboxSender:
    """Greenlet body delivering the outbox, in seq order, at least once.

    `on_park(kind, status)` is told of each item parked, if given.
    """

    def __init__(
        self,
        notifier: Notifier,
        session: requests.Session | None = None,
        timeout: float = 5.0,
        max_backoff: float = 30.0,
        observe=None,
        on_park=None,
    ):
        self.observe = observe
        self.on_park = on_park
        self.notifier = notifier
        self.outbox = notifier.outbox
        self.session = session or webapp_session(notifier.base_url or "")
        self.timeout = timeout
        self.max_backoff = max_backoff
        self.failures = 0  # in a row, on the current head of the outbox
        self._last_failure = ""
        # Sizes of the next songs_started batches while one refused for good is
        # sent by halves. Only a hint: a batch refused for good is split again
        # whatever its size, and a single song refused for good parks.
        self._halves: deque[int] = deque()

    name = "outbox-sender"  # as a part of the service (support.supervisor)

    @property
    def wakeup(self):
        """New items wake it, but not while it backs off: they queue behind the failing
        head, so waking for them would only defeat the backoff."""
        return None if self.failures else self.notifier.wakeup

    def loop(self) -> float | None:
        """One request; then the wait before the next: none after a delivery, the backoff
        after a failure, until an item is written when the outbox is empty."""
        # Cleared before reading the outbox: an item written after the
        # read sets it again, so the wait cannot miss it.
        self.notifier.wakeup.clear()
        try:
            moved = self.deliver_once()
        except StoreError as error:  # the items past the window wait in the store
            log.warning("outbox: %s; retrying in %.1fs", error, STORE_RETRY_DELAY)
            return STORE_RETRY_DELAY
        if moved:
            return 0
        if self.failures:
            return self._backoff()
        return None

    def deliver_once(self) -> bool:
        """Try the head of the outbox once (one request); True if it moved on: the head
        was delivered, parked, split in halves or discarded."""
        batch = self._head_batch()
        if not batch:
            return False
        if self._discarded_undecodable(batch):
            return True
        response, failure = self._send(batch)
        answer = (None, b"") if response is None else (response.status_code, response.content)
        verdict = classify(batch[0].kind, *answer)
        if verdict is Verdict.TEMPORARY:
            self._record_failure(batch, failure or why_not_taken(response))
            return False
        if self.failures:  # a refusal for good is an answer too: no backoff after it
            log.info("web app reachable again after %d failed attempts", self.failures)
        self.failures = 0
        if verdict is Verdict.ACCEPTED:
            self._delivered(batch)
        else:
            self._refused(batch, response)
        return True

    def _delivered(self, batch: list[Item]) -> None:
        self._done_with(batch)
        self.outbox.remove(batch)
        log.debug("delivered %s", describe(batch))

    def _head_batch(self) -> list[Item]:
        """The head item, or the run of songs_started items the outbox starts with."""
        if not self.notifier.enabled:
            return []
        size = self._halves[0] if self._halves else MAX_SONGS_PER_REQUEST
        head = self.outbox.head(size)
        if not head or head[0].kind != SONGS_STARTED:
            return head[:1]
        return list(takewhile(lambda item: item.kind == SONGS_STARTED, head))

    def _discarded_undecodable(self, batch: list[Item]) -> bool:
        # Such an item could never be sent and would block the outbox forever.
        bad = [item for item in batch if undecodable(item)]
        for item in bad:
            log.error("outbox: discarding seq %d: %s", item.seq, undecodable(item))
        if bad:
            self.outbox.remove(bad)
        return bool(bad)

    def _send(self, batch: list[Item]) -> tuple[requests.Response | None, str]:
        """The web app's answer, or None and why there was none."""
        try:
            return self._post(batch), ""
        except requests.RequestException as exc:
            return None, type(exc).__name__

    def _post(self, batch: list[Item]) -> requests.Response:
        base, key, head = self.notifier.base_url, self.notifier.key, batch[0]
        if head.kind == SONGS_STARTED:
            data = [[i.radio_uuid, i.params["song_id"], i.params["play_date"]] for i in batch]
            url = f"{base}/api/v1/songs_started/"
            body = with_key(key, {"data": data})
            return http_request(
                self.session, "POST", url, self.timeout, self.observe, SONGS_STARTED, json=body
            )
        url = f"{base}/api/v1/radio/{quote(head.radio_uuid, safe='')}/{head.kind}/"
        query = with_key(key, head.params)
        return http_request(
            self.session, "POST", url, self.timeout, self.observe, head.kind, params=query
        )

    def _refused(self, batch: list[Item], response: requests.Response) -> None:
        """The web app refused the batch for good: split it, or park its one item."""
        self.outbox.record_attempt(batch)
        self._done_with(batch)
        if len(batch) == 1:
            self._park(batch[0], response)
            return
        log.debug(
            "outbox: %s refused with HTTP %d: sending it by halves",
            describe(batch),
            response.status_code,
        )
        half = len(batch) // 2
        self._halves.extendleft((len(batch) - half, half))  # extendleft: the first half first

    def _park(self, item: Item, response: requests.Response) -> None:
        secrets = [str(s) for s in (self.notifier.key, item.params.get("api_key")) if s]
        self.outbox.park(
            item,
            {
                "at": self.notifier.clock.now(),
                "status": response.status_code,
                "answer": excerpt(response.text, secrets),
                "attempts": item.attempts,
            },
        )
        log.warning("outbox: parked %s: HTTP %d (final)", describe([item]), response.status_code)
        if self.on_park is not None:
            self.on_park(item.kind, response.status_code)

    def _done_with(self, batch: list[Item]) -> None:
        if batch[0].kind == SONGS_STARTED and self._halves:
            self._halves.popleft()

    def _record_failure(self, batch: list[Item], failure: str) -> None:
        self.failures += 1
        self.outbox.record_attempt(batch)
        self._last_failure = f"{failure} ({describe(batch)}, attempt {batch[0].attempts})"

    def _backoff(self) -> float:
        delay = backoff_delay(self.failures, self.max_backoff)
        log.warning("web app unreachable, retrying in %.1fs: %s", delay, self._last_failure)
        return delay
