"""The web app: what the scheduler tells it, and what it asks of it.

Notifications go through a durable outbox (outbox.Outbox) so that none is
lost while the web app is down or the scheduler restarts: the Notifier
writes, the OutboxSender (outbox_sender.py) delivers in seq order and
removes an item only once the web app took it, or parks it if it refused
it for good. Token checks are asked live by the TokenChecker.

Neither the scheduler key nor a user's api_key or auth token ever goes to
a log line: requests' own error messages carry the URL, so failures are
described by their exception class only.
"""

import logging
import os
import time
from collections import OrderedDict, deque
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import gevent
import gevent.event
import gevent.pool
import requests
from requests.adapters import HTTPAdapter

from yascheduler.support.clock import SystemClock
from yascheduler.support.errors import ConfigError, StoreError
from .outbox import Outbox

if TYPE_CHECKING:
    from yascheduler.store.tokens import StoredTokens

log = logging.getLogger("yascheduler.yaapp")

START_LISTENING = "start_listening"
STOP_LISTENING = "stop_listening"
STOPPED = "stopped"
SONGS_STARTED = "songs_started"
RADIO_KINDS = (START_LISTENING, STOP_LISTENING, STOPPED)

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
        outbox: Outbox,
    ):
        try:
            self.zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"timezone: unknown time zone {timezone!r}") from None
        self.clock = clock
        self.base_url = base_url.rstrip("/") if base_url else None
        self.key = key
        self.enabled = self.base_url is not None
        self.outbox = outbox
        self.wakeup = gevent.event.Event()
        outbox.on_stored = self.wakeup.set  # what is stored may be sent

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
        self.outbox.append(kind, radio_uuid, params, self.clock.now())
        log.debug("outbox: %s radio %s queued", kind, radio_uuid)


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
        store: "StoredTokens",
        timeout: float = 3.0,
        concurrency: int = 20,
        remembered: int = 100_000,
        observe=None,
        clock=None,
    ):
        self.observe = observe
        self._store = store
        self.clock = clock or SystemClock()
        self.base_url = base_url.rstrip("/")
        self.key = key
        self.timeout = timeout
        self.max_remembered = remembered
        self._answers: OrderedDict[str, tuple] = OrderedDict()  # LRU: oldest first
        self._pending: dict[str, list] = {}  # token -> callbacks waiting for it
        self._queued: deque[str] = deque()  # tokens waiting for a free worker
        self.queued = gevent.event.Event()
        self.concurrency = concurrency
        self._session = webapp_session(self.base_url)
        # One kept-alive connection per worker; the default pool of 10 would
        # open and discard extra connections above that.
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=concurrency)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)

    def load(self) -> set[int]:
        """Take back the answers stored before a restart; the user ids they vouch for."""
        for token, user_id, hd in self._store.newest(self.max_remembered):
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
        self._queued.append(token)
        self.queued.set()

    def workers(self) -> list["TokenWorker"]:
        """The parts that ask the web app, `concurrency` of them (support.supervisor)."""
        return [TokenWorker(self, number) for number in range(1, self.concurrency + 1)]

    def ask_next(self) -> bool:
        """Ask about the next queued token and settle it; False if none was queued."""
        if not self._queued:
            return False
        token = self._queued.popleft()
        self._settle(token, self._ask_safely(token))
        return True

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
            self._store.save(token, *answer, at=self.clock.now())
        except StoreError as error:  # the listener is answered anyway; a restart would ask again
            # the driver's own message may quote the token: its class only
            log.warning("web app token answer not stored: %s", type(error.__cause__).__name__)
        if len(self._answers) > self.max_remembered:
            self._answers.popitem(last=False)


class TokenWorker:
    """One of the token checker's parts: asks about queued tokens, one at a time."""

    def __init__(self, checker: TokenChecker, number: int):
        self.name = f"token-checker-{number}"
        self.checker = checker
        self.wakeup = checker.queued

    def loop(self) -> float | None:
        self.wakeup.clear()  # before looking: a token queued after the look sets it again
        return 0 if self.checker.ask_next() else None
