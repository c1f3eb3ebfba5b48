"""The token checker: asks the web app once a token, remembers its answer."""

import gevent
import gevent.event
import pytest

from yascheduler.store.tokens import StoredTokens
from yascheduler.webapp.notifier import TokenChecker


from tests.webapp.conftest import DEADLINE, KEY, SHORT_TIMEOUT


# --- token checks -----------------------------------------------------------------------------


class Answers:
    def __init__(self):
        self.received = []
        self.event = gevent.event.Event()

    def __call__(self, user_id, hd):
        self.received.append((user_id, hd))
        self.event.set()

    def wait(self, count):
        with gevent.Timeout(DEADLINE, AssertionError("no answer in time")):
            while len(self.received) < count:
                self.event.clear()
                self.event.wait()
        return self.received


@pytest.fixture
def checker(webapp, db, run_parts):  # the answers are stored; its workers run
    checker = TokenChecker(webapp.url, KEY, StoredTokens(), timeout=SHORT_TIMEOUT, concurrency=2)
    run_parts(*checker.workers())
    return checker


def token_requests(webapp):
    return [r for r in webapp.requests if r[1].startswith("/api/v1/check_streamer_auth_token/")]


def test_a_valid_token_gives_its_user_and_is_remembered(checker, webapp):
    webapp.tokens["tok1"] = 12
    answers = Answers()
    checker.check("tok1", answers)
    assert answers.wait(1) == [(12, True)]
    checker.check("tok1", answers)
    assert answers.received == [(12, True), (12, True)]  # at once, from memory
    assert token_requests(webapp) == [
        ("GET", "/api/v1/check_streamer_auth_token/tok1/", {"key": KEY}, None, "user")
    ]


def test_an_unknown_token_is_remembered(checker, webapp):
    answers = Answers()
    checker.check("nope", answers)
    answers.wait(1)
    checker.check("nope", answers)
    assert answers.wait(2) == [(None, False), (None, False)]
    assert len(token_requests(webapp)) == 1


@pytest.mark.parametrize("failure", ["500", "hang", "refuse"])
def test_a_failed_check_is_not_remembered(checker, webapp, failure):
    webapp.tokens["tok1"] = 12
    if failure == "refuse":
        webapp.stop()
    webapp.mode = "500"
    webapp.token_delay = SHORT_TIMEOUT * 3 if failure == "hang" else 0.0
    answers = Answers()
    checker.check("tok1", answers)
    assert answers.wait(1) == [(None, False)]
    if failure == "refuse":
        webapp.start()
    webapp.mode, webapp.token_delay = "ok", 0.0
    checker.check("tok1", answers)
    assert answers.wait(2) == [(None, False), (12, True)]


def test_concurrent_checks_of_one_token_make_one_request(checker, webapp):
    webapp.tokens["tok1"] = 12
    webapp.token_delay = SHORT_TIMEOUT / 3
    answers = Answers()
    for _ in range(3):
        checker.check("tok1", answers)
    assert answers.wait(3) == [(12, True)] * 3
    assert len(token_requests(webapp)) == 1


def test_checks_beyond_the_concurrency_wait_their_turn(checker, webapp):
    webapp.token_delay = SHORT_TIMEOUT / 3
    webapp.tokens.update({f"tok{n}": n for n in range(5)})
    answers = Answers()
    for n in range(5):
        checker.check(f"tok{n}", answers)  # never blocks, though only 2 run at a time
    assert sorted(answers.wait(5)) == [(n, True) for n in range(5)]
    assert len(token_requests(webapp)) == 5
