"""redis_url in its redis+sentinel:// form: what it names, what it refuses, and its
passwords kept out of what is shown."""

import pytest

from yascheduler.support import config
from yascheduler.support.config import resolve
from yascheduler.support.errors import ConfigError
from yascheduler.support.sentinel_url import SentinelAddress, sentinel_address

NO_ENV: dict[str, str] = {}


def test_the_full_form_names_sentinels_service_database_and_credentials():
    address = sentinel_address(
        "redis+sentinel://app:p%40ss@10.0.0.1:26380,sentinel-b,[::1]:5000/radio-master/3"
        "?sentinel_username=watcher&sentinel_password=s%26cret"
    )
    assert address == SentinelAddress(
        sentinels=(("10.0.0.1", 26380), ("sentinel-b", 26379), ("::1", 5000)),
        service="radio-master",
        db=3,
        username="app",
        password="p@ss",
        sentinel_username="watcher",
        sentinel_password="s&cret",
    )


def test_the_short_form_takes_the_defaults():
    address = sentinel_address("redis+sentinel://sentinel.internal/mymaster")
    assert address == SentinelAddress(sentinels=(("sentinel.internal", 26379),), service="mymaster")
    assert sentinel_address("redis+sentinel://:pw@h/m").password == "pw"
    assert sentinel_address("redis+sentinel://:pw@h/m").username is None


def test_passwords_are_out_of_the_address_repr():
    address = sentinel_address("redis+sentinel://:hunter2@h/m?sentinel_password=s3cret")
    assert "hunter2" not in repr(address) and "s3cret" not in repr(address)


SENTINEL_REJECTED = [
    ("redis+sentinel://h1:26379", "names no service (the master's name to the sentinels)"),
    ("redis+sentinel://h1:26379/", "names no service"),
    ("redis+sentinel://h1:26379/mymaster/one", "has a database that is not a number"),
    ("redis+sentinel://h1:26379/mymaster/0/x", "has a path other than /SERVICE or /SERVICE/DB"),
    ("redis+sentinel://h1:26379,,h2/mymaster", "names an empty sentinel address"),
    ("redis+sentinel://h1:26379,:26379/mymaster", "names a sentinel without its host"),
    ("redis+sentinel://h1,h2:99999/mymaster", "has a sentinel port that is not a number"),
    ("redis+sentinel://h1,h2:0/mymaster", "has a sentinel port that is not a number"),
    ("redis+sentinel://h1,::1:26379/mymaster", "must put a sentinel IPv6 address in brackets"),
    ("redis+sentinel://h1,[::1]26379/mymaster", "has a sentinel address that is not HOST, "),
    ("redis+sentinel://h1,[::1:26379/mymaster", "is not a valid URL (Invalid IPv6 URL)"),
    ("redis+sentinel://h1/mymaster?password=x", "has an unknown option 'password' (known: "),
    ("redis+sentinel:///mymaster", "names no host"),
]


@pytest.mark.parametrize(("raw", "reason"), SENTINEL_REJECTED)
def test_a_wrong_sentinel_url_is_refused_saying_what_is_wrong(raw, reason):
    with pytest.raises(ConfigError) as caught:
        resolve({}, {"YASCHEDULER_REDIS_URL": raw})
    message = str(caught.value)
    assert message.startswith(f"redis_url: {reason}")
    assert message.endswith("(from YASCHEDULER_REDIS_URL)")


def test_a_refused_sentinel_url_shows_no_password():
    raw = "redis+sentinel://:hunter2@h1,h2:99999/m?sentinel_password=s3cret"
    with pytest.raises(ConfigError) as caught:
        resolve({"redis_url": raw}, NO_ENV)
    message = str(caught.value)
    assert "hunter2" not in message and "s3cret" not in message
    assert "redis+sentinel://:***@h1,h2:99999/m?sentinel_password=***" in message


def test_an_accepted_sentinel_url_is_described_without_its_passwords():
    raw = "redis+sentinel://:hunter2@h1:26379,h2:26379/m/0?sentinel_password=s3cret"
    resolved = resolve({"redis_url": raw}, NO_ENV)
    assert resolved.redis_url == raw
    described = config.describe(resolved)["redis_url"]
    assert described == "redis+sentinel://:***@h1:26379,h2:26379/m/0?sentinel_password=***"
