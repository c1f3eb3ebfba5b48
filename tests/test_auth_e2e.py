"""Listeners' users follow the catalog: what an import adds, changes or takes away
counts from the next message on, for authentication and for the web app."""

import pytest
import requests

from tests.catalogs import basic_catalog
from tests.harness import http_base

ADMIN = "admin-test-token"
KEY = "test-scheduler-key"
EVE = {"id": 3, "username": "eve", "api_key": "key-eve", "hd": True, "auth_tokens": ["tok-eve"]}


@pytest.fixture
def service(make_service):
    return make_service(basic_catalog(), admin_token=ADMIN)


def import_users(service, users):
    response = requests.post(
        f"{http_base(service)}/api/catalog",
        json={"users": users},
        timeout=10,
        headers={"Authorization": f"Bearer {ADMIN}"},
    )
    assert response.status_code == 200, response.text
    return response.json()


def authenticate(streamer, **credentials):
    streamer.send(type="user_authentication", **credentials)
    reply = streamer.expect("user_authentication")
    return reply["user_id"], reply["hd"]


def test_a_user_added_by_an_import_authenticates_right_after_it(service, streamers):
    s1 = streamers("s1")
    assert authenticate(s1, auth_token="tok-eve") == (None, False)
    assert authenticate(s1, username="eve", api_key="key-eve") == (None, False)
    assert import_users(service, [EVE])["users"] == 1
    assert authenticate(s1, auth_token="tok-eve") == (3, True)
    assert authenticate(s1, username="eve", api_key="key-eve") == (3, True)
    assert authenticate(s1, username="eve", api_key="key-mat") == (None, False)
    assert authenticate(s1, auth_token="tok-mat") == (1, True)  # the others are still there


def test_a_token_or_username_an_import_takes_away_no_longer_authenticates(service, streamers):
    s1 = streamers("s1")
    assert authenticate(s1, auth_token="tok-mat") == (1, True)
    matthew = {"id": 1, "username": "matthew", "api_key": "key-2", "auth_tokens": ["tok-2"]}
    import_users(service, [matthew])
    assert authenticate(s1, auth_token="tok-mat") == (None, False)
    assert authenticate(s1, username="mat", api_key="key-mat") == (None, False)
    assert authenticate(s1, username="matthew", api_key="key-mat") == (None, False)
    assert authenticate(s1, auth_token="tok-2") == (1, False)
    assert authenticate(s1, username="matthew", api_key="key-2") == (1, False)
    assert authenticate(s1, auth_token="tok-zoe") == (2, False)


def test_a_token_taken_away_is_asked_of_the_web_app(make_service, webapp, streamers):
    service = make_service(basic_catalog(), admin_token=ADMIN, yaapp_url=webapp.url, yaapp_key=KEY)
    s1 = streamers("s1")
    assert authenticate(s1, auth_token="tok-zoe") == (2, False)
    assert webapp.paths("/check_streamer_auth_token/") == []
    import_users(service, [{"id": 2, "username": "zoe", "api_key": "key-zoe"}])
    webapp.tokens["tok-zoe"] = (20, True)
    assert authenticate(s1, auth_token="tok-zoe") == (20, True)
    assert webapp.paths("/check_streamer_auth_token/") == [
        "/api/v1/check_streamer_auth_token/tok-zoe/"
    ]


def test_the_web_app_hears_of_listeners_as_the_last_import_named_them(
    make_service, webapp, streamers
):
    service = make_service(basic_catalog(), admin_token=ADMIN, yaapp_url=webapp.url, yaapp_key=KEY)
    s1 = streamers("s1")
    s1.send(type="play_radio", radio_uuid="radio-1")
    s1.expect("radio_started")
    mat = {"id": 1, "username": "mat", "api_key": "new-key-mat", "auth_tokens": ["tok-mat"]}
    import_users(service, [EVE, mat])
    for session_id, user_id in (("l1", 3), ("l2", 1), ("l3", 2)):
        s1.send(
            type="register_listener", radio_uuid="radio-1", session_id=session_id, user_id=user_id
        )
    starts = webapp.wait_for(3, "/start_listening/")
    assert [request.query for request in starts] == [
        {"key": KEY, "username": "eve", "api_key": "key-eve", "user_id": "3"},
        {"key": KEY, "username": "mat", "api_key": "new-key-mat", "user_id": "1"},
        {"key": KEY, "username": "zoe", "api_key": "key-zoe", "user_id": "2"},
    ]
