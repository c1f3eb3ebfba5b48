"""The web app: what the scheduler tells it, and what it asks of it.

Notifications go through a durable outbox (outbox.Outbox) so that none is
lost while the web app is down or the scheduler restarts: the Notifier
writes, the OutboxSender delivers in seq order and removes an item only
once the web app took it. Token checks are asked live by the TokenChecker.

Neither the scheduler key nor a user's api_key or auth token ever goes to
a log line: requests' own error messages carry the URL, so failures are
described by their exception class only.
"""

import logging
import os
import time
from collections import OrderedDict, deque
from datetime import datetime
from itertools import takewhile
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import gevent
import gevent.event
import gevent.pool
import requests
from pymongo.errors import PyMongoError
from requests.adapters import HTTPAdapter

from . import vouched_tokens
from .clock import SystemClock
from .errors import ConfigError
from .outbox import Item, Outbox

log = logging.getLogger("yascheduler.yaapp")

START_LISTENING = "start_listening"
STOP_LISTENING = "stop_listening"
STOPPED = "stopped"
SONGS_STARTED = "songs_started"
RADIO_KINDS = (START_LISTENING, STOP_LISTENING, STOPPED)

MAX_SONGS_PER_REQUEST = 100
FIRST_RETRY_DELAY = 0.5
PLAY_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S.%f"
ANONYMOUS = (None, False)


class DeadlineExceeded(requests.Timeout):
    """A whole request took longer than its timeout."""


def http_request(session, method, url, timeout, observe=None, endpoint="", **kwargs):
    """The response; `observe(endpoint, seconds, error)` is told how it went, if given."""
    started = time.monotonic()
    error = ""
    try:
        # requests' timeout bounds each socket operation, so a server trickling
        # bytes could hold a request forever; the gevent deadline bounds it all.
        with gevent.Timeout(timeout, DeadlineExceeded):
            response = session.request(method, url, timeout=timeout, **kwargs)
        if response.status_code >= 400:
            error = f"HTTP {response.status_code}"
        return response
    except requests.RequestException as exc:
        error = type(exc).__name__
        raise
    finally:
        if observe is not None:
            observe(endpoint, time.monotonic() - started, error)


def webapp_session(base_url: str) -> requests.Session:
    """A session to the web app taking proxies and CA bundle from the environment once.

    requests reads them (and ~/.netrc) from the environment again on every
    request, which cost a tenth of the sender's time under load; the
    process environment does not change while it runs.
    """
    session = requests.Session()
    session.proxies.update(requests.utils.get_environ_proxies(base_url))
    session.verify = (
        os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
    )
    session.trust_env = False
    return session


def backoff_delay(failures: int, max_backoff: float) -> float:
    """Seconds to wait after `failures` failures in a row (1 or more)."""
    doublings = min(failures - 1, 32)  # past the cap anyway; keeps the float finite
    return min(max_backoff, FIRST_RETRY_DELAY * 2.0**doublings)


def with_key(key: str | None, fields: dict) -> dict:
    return {"key": key, **fields} if key else dict(fields)


class Notifier:
    """Writes web app notifications to the durable outbox.

    With no web app configured (base_url None) it writes nothing and sends
    nothing.
    """

    def __init__(
        self,
        clock,
        base_url: str | None,
        key: str | None,
        timezone: str,
        outbox: Outbox | None = None,
    ):
        try:
            self.zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"timezone: unknown time zone {timezone!r}") from None
        self.clock = clock
        self.base_url = base_url.rstrip("/") if base_url else None
        self.key = key
        self.enabled = self.base_url is not None
        self.outbox = outbox if outbox is not None else Outbox()
        self.wakeup = gevent.event.Event()

    def start_listening(self, radio_uuid: str, identity: dict | None) -> None:
        """`identity`: who listens, as the web app is told (Users.identity); None: anonymous."""
        self._write(START_LISTENING, radio_uuid, dict(identity or {}))

    def stop_listening(self, radio_uuid: str, duration: int, identity: dict | None) -> None:
        self._write(
            STOP_LISTENING,
            radio_uuid,
            {"listening_duration": int(duration), **(identity or {})},
        )

    def stopped(self, radio_uuid: str, duration: int) -> None:
        self._write(STOPPED, radio_uuid, {"listening_duration": int(duration)})

    def song_started(self, radio_uuid: str, song_id: int, started_at: float) -> None:
        play_date = datetime.fromtimestamp(started_at, self.zone).strftime(PLAY_DATE_FORMAT)
        self._write(SONGS_STARTED, radio_uuid, {"song_id": int(song_id), "play_date": play_date})

    def backlog(self) -> int:
        return len(self.outbox)

    def _write(self, kind: str, radio_uuid: str, params: dict) -> None:
        if not self.enabled:
            return
        item = self.outbox.append(kind, radio_uuid, params, self.clock.now())
        log.debug("outbox: %s seq %d radio %s", kind, item.seq, radio_uuid)
        self.wakeup.set()


def describe(batch: list[Item]) -> str:
    head = batch[0]
    if head.kind == SONGS_STARTED:
        return f"songs_started seq {head.seq}..{batch[-1].seq} ({len(batch)} songs)"
    return f"{head.kind} seq {head.seq} radio {head.radio_uuid}"


def undecodable(item: Item) -> str:
    """Why a stored item cannot be sent; empty if it can."""
    if not isinstance(item.radio_uuid, str):
        return "no radio uuid"
    if item.kind == SONGS_STARTED:
        complete = {"song_id", "play_date"} <= item.params.keys()
        return "" if complete else "songs_started lacks song_id or play_date"
    return "" if item.kind in RADIO_KINDS else f"unknown kind {item.kind!r}"


def took_songs(response: requests.Response) -> bool:
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("success") is True


class OutboxSender:
    """Greenlet body delivering the outbox, in seq order, at least once."""

    def __init__(
        self,
        notifier: Notifier,
        session: requests.Session | None = None,
        timeout: float = 5.0,
        max_backoff: float = 30.0,
        observe=None,
    ):
        self.observe = observe
        self.notifier = notifier
        self.session = session or webapp_session(notifier.base_url or "")
        self.timeout = timeout
        self.max_backoff = max_backoff
        self.failures = 0  # in a row, on the current head of the outbox
        self._last_failure = ""

    def run(self) -> None:
        while True:
            # Cleared before reading the outbox: an item written after the
            # read sets it again, so the wait below cannot miss it.
            self.notifier.wakeup.clear()
            if self.deliver_once():
                continue
            if self.failures:
                self._wait_before_retry()
            else:
                self.notifier.wakeup.wait()

    def deliver_once(self) -> bool:
        """Try the head of the outbox once (one request); True if delivered."""
        batch = self._head_batch()
        if not batch:
            return False
        if self._discarded_undecodable(batch):
            return True
        failure = self._send(batch)
        if failure:
            self._record_failure(batch, failure)
            return False
        self.notifier.outbox.remove(batch)
        if self.failures:
            log.info("web app reachable again after %d failed attempts", self.failures)
        self.failures = 0
        log.debug("delivered %s", describe(batch))
        return True

    def _head_batch(self) -> list[Item]:
        """The head item, or the run of songs_started items the outbox starts with."""
        if not self.notifier.enabled:
            return []
        head = self.notifier.outbox.head(MAX_SONGS_PER_REQUEST)
        if not head or head[0].kind != SONGS_STARTED:
            return head[:1]
        return list(takewhile(lambda item: item.kind == SONGS_STARTED, head))

    def _discarded_undecodable(self, batch: list[Item]) -> bool:
        # Such an item could never be sent and would block the outbox forever.
        bad = [item for item in batch if undecodable(item)]
        for item in bad:
            log.error("outbox: discarding seq %d: %s", item.seq, undecodable(item))
        if bad:
            self.notifier.outbox.remove(bad)
        return bool(bad)

    def _send(self, batch: list[Item]) -> str:
        """Why the web app did not take the batch; empty if it did."""
        try:
            response = self._post(batch)
        except requests.RequestException as exc:
            return type(exc).__name__
        if response.status_code != 200:
            return f"HTTP {response.status_code}"
        if batch[0].kind == SONGS_STARTED and not took_songs(response):
            return "songs_started answered without success true"
        return ""

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

    def _record_failure(self, batch: list[Item], failure: str) -> None:
        self.failures += 1
        self.notifier.outbox.record_attempt(batch)
        self._last_failure = f"{failure} ({describe(batch)}, attempt {batch[0].attempts})"

    def _wait_before_retry(self) -> None:
        # A plain sleep, not a wait on wakeup: new items queue behind the
        # failing head, so waking for them would only defeat the backoff.
        delay = backoff_delay(self.failures, self.max_backoff)
        log.warning("web app unreachable, retrying in %.1fs: %s", delay, self._last_failure)
        gevent.sleep(delay)


class TokenChecker:
    """Asks the web app about auth tokens the catalog does not know.

    The web app forgets a token once it has answered, so each token is asked
    at most once and its answer (a user or "unknown") is remembered; a
    failed ask (error, timeout) is not, so a later check asks again.
    """

    def __init__(
        self,
        base_url: str,
        key: str | None,
        timeout: float = 3.0,
        concurrency: int = 20,
        remembered: int = 100_000,
        observe=None,
        clock=None,
    ):
        self.observe = observe
        self.clock = clock or SystemClock()
        self.base_url = base_url.rstrip("/")
        self.key = key
        self.timeout = timeout
        self.max_remembered = remembered
        self._answers: OrderedDict[str, tuple] = OrderedDict()  # LRU: oldest first
        self._pending: dict[str, list] = {}  # token -> callbacks waiting for it
        self._queued: deque[str] = deque()  # tokens waiting for a free worker
        self._pool = gevent.pool.Pool(concurrency)
        self._session = webapp_session(self.base_url)
        # One kept-alive connection per worker; the default pool of 10 would
        # open and discard extra connections above that.
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=concurrency)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)

    def load(self) -> set[int]:
        """Take back the answers stored before a restart; the user ids they vouch for."""
        for token, user_id, hd in vouched_tokens.load(self.max_remembered):
            self._answers[token] = (user_id, hd)
        return {user_id for user_id, _ in self._answers.values() if user_id is not None}

    def check(self, token: str, callback) -> None:
        """Call callback(user_id, hd) once the answer is known (at once if it is)."""
        answer = self._answers.get(token)
        if answer is not None:
            self._answers.move_to_end(token)
            callback(*answer)
        elif token in self._pending:
            self._pending[token].append(callback)
        else:
            self._pending[token] = [callback]
            self._ask_soon(token)

    def _ask_soon(self, token: str) -> None:
        # Pool.spawn would block the caller while the pool is full; queue instead.
        if self._pool.free_count():
            self._pool.spawn(self._work, token)
        else:
            self._queued.append(token)

    def _work(self, token: str | None) -> None:
        while token is not None:
            self._settle(token, self._ask_safely(token))
            token = self._queued.popleft() if self._queued else None

    def _ask_safely(self, token: str) -> tuple | None:
        try:
            return self._ask(token)
        except Exception:  # a worker must settle its token whatever happens
            log.exception("web app token check crashed")
            return None

    def _ask(self, token: str) -> tuple | None:
        """(user_id, hd) as the web app answered, or None if it did not answer."""
        url = f"{self.base_url}/api/v1/check_streamer_auth_token/{quote(token, safe='')}/"
        try:
            response = http_request(
                self._session,
                "GET",
                url,
                self.timeout,
                self.observe,
                "check_streamer_auth_token",
                params=with_key(self.key, {}),
            )
        except requests.RequestException as exc:
            log.warning("web app token check failed: %s", type(exc).__name__)
            return None
        if response.status_code == 404:
            return ANONYMOUS
        answer = self._valid_user(response) if response.status_code == 200 else None
        if answer is None:
            log.warning("web app token check failed: HTTP %d", response.status_code)
        return answer

    @staticmethod
    def _valid_user(response: requests.Response) -> tuple | None:
        try:
            body = response.json()
        except ValueError:
            return None
        user_id = body.get("user_id") if isinstance(body, dict) else None
        if not isinstance(user_id, int) or isinstance(user_id, bool):
            return None
        return (user_id, bool(body.get("hd_enabled")))

    def _settle(self, token: str, answer: tuple | None) -> None:
        if answer is not None:
            self._remember(token, answer)
        for callback in self._pending.pop(token):
            try:
                callback(*(answer or ANONYMOUS))
            except Exception:  # one caller's bug must not starve the others
                log.exception("token check callback failed")

    def _remember(self, token: str, answer: tuple) -> None:
        self._answers[token] = answer
        try:
            vouched_tokens.save(token, *answer, at=self.clock.now())
        except PyMongoError as error:  # the listener is answered anyway; a restart would ask again
            log.warning("web app token answer not stored: %s", type(error).__name__)
        if len(self._answers) > self.max_remembered:
            self._answers.popitem(last=False)
