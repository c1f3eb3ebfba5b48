"""Listener authentication: auth token, username + api key, or anonymous."""

import hmac
from collections.abc import Callable

from . import models

Answer = Callable[[int | None, bool], None]


class Authenticator:
    def __init__(self, token_checker=None):
        self.token_checker = token_checker

    def authenticate(self, credentials: dict, answer: Answer) -> None:
        """Call answer(user_id, hd) now, or later when the web app has answered."""
        if "auth_token" in credentials:
            self._by_token(credentials["auth_token"], answer)
        elif "username" in credentials:
            answer(*self._by_api_key(credentials["username"], credentials["api_key"]))
        else:
            answer(None, False)

    def _by_token(self, token: str, answer: Answer) -> None:
        user = models.User.objects(auth_tokens=token).only("id", "hd").first()
        if user is not None:
            answer(user.id, bool(user.hd))
        elif self.token_checker is not None:
            self.token_checker.check(token, answer)
        else:
            answer(None, False)

    @staticmethod
    def _by_api_key(username: str, api_key: str) -> tuple[int | None, bool]:
        user = models.User.objects(username=username).only("id", "hd", "api_key").first()
        if user is None or not hmac.compare_digest(user.api_key.encode(), api_key.encode()):
            return None, False
        return user.id, bool(user.hd)


def catalog_user(user_id: int | None) -> models.User | None:
    """The catalog user a listener session belongs to, if it is one."""
    if user_id is None:
        return None
    return models.User.objects(id=user_id).first()
