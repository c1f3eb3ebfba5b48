"""Listener authentication: auth token, username + api key, or anonymous.

The production streamer sends an empty token, or an empty username and
api key, for a listener URL with no credentials: that is an anonymous
listener, answered at once (PROTOCOL.md).
"""

import hmac
from collections.abc import Callable

from .users import Users

Answer = Callable[[int | None, bool], None]


class Authenticator:
    def __init__(self, users: Users, token_checker=None):
        self.users = users
        self.token_checker = token_checker

    def authenticate(self, credentials: dict, answer: Answer) -> None:
        """Call answer(user_id, hd) now, or later when the web app has answered."""
        if credentials.get("auth_token"):
            self._by_token(credentials["auth_token"], answer)
        elif credentials.get("username") and credentials.get("api_key"):
            answer(*self._by_api_key(credentials["username"], credentials["api_key"]))
        else:
            answer(None, False)

    def _by_token(self, token: str, answer: Answer) -> None:
        user = self.users.by_token(token)
        if user is not None:
            answer(user.id, user.hd)
        elif self.token_checker is not None:
            self.token_checker.check(token, self._vouched(answer))
        else:
            answer(None, False)

    def _vouched(self, answer: Answer) -> Answer:
        def remember_and_answer(user_id: int | None, hd: bool) -> None:
            if user_id is not None:
                self.users.vouch((user_id,))
            answer(user_id, hd)

        return remember_and_answer

    def _by_api_key(self, username: str, api_key: str) -> tuple[int | None, bool]:
        user = self.users.by_username(username)
        if user is None or not hmac.compare_digest(user.api_key.encode(), api_key.encode()):
            return None, False
        return user.id, user.hd
