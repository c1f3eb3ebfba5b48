import argparse
import dataclasses
import re
import tomllib
from pathlib import Path

import pytest

from yascheduler.support import config, setting_docs, setting_values
from yascheduler.support.errors import ConfigError
from yascheduler.support.config import resolve
from yascheduler.support.settings import BY_NAME, SETTINGS, Settings

EXAMPLE_FILE = Path(__file__).parent.parent / "config" / "yascheduler.example.toml"
NO_ENV: dict[str, str] = {}


def parse_flags(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    config.add_arguments(parser)
    return parser.parse_args(argv)


def write_config(tmp_path: Path, body: str) -> Path:
    config = tmp_path / "yascheduler.toml"
    config.write_text(body)
    return config


# --- declarations ----------------------------------------------------------------


def test_settings_fields_are_the_declared_settings():
    assert [f.name for f in dataclasses.fields(Settings)] == [s.name for s in SETTINGS]


def test_flag_and_environment_names_follow_the_setting_name():
    setting = BY_NAME["redis_url"]
    assert setting.flag == "--redis-url"
    assert setting.env == "YASCHEDULER_REDIS_URL"


def test_defaults():
    resolved = resolve({}, {"TZ": "Europe/Paris"})
    assert resolved.config is None
    assert resolved.redis_url is None
    assert resolved.mongo_url is None  # the embedded store server, on data_dir
    assert resolved.data_dir == Path("yascheduler-data")
    assert resolved.catalog is None
    assert resolved.http == ("127.0.0.1", 9000)
    assert resolved.ping_interval == 15.0
    assert resolved.prepare_seconds == 5.0
    assert resolved.decide_ahead_seconds == 1.0
    assert resolved.crossfade_seconds == 0.0
    assert resolved.timezone == "Europe/Paris"
    assert resolved.yaapp_url is None
    assert resolved.yaapp_key is None
    assert resolved.admin_token is None
    assert resolved.title_separation == 10800.0
    assert resolved.artist_separation == 1800.0
    assert resolved.log_level == "info"


def test_machine_timezone_is_a_valid_zone_without_tz():
    zone = resolve({}, NO_ENV).timezone
    assert setting_values.timezone(zone) == zone


def test_machine_timezone_ignores_a_posix_tz_string():
    assert (
        setting_values.machine_timezone({"TZ": "EST5EDT,M3.2.0,M11.1.0"})
        != "EST5EDT,M3.2.0,M11.1.0"
    )


# --- precedence ------------------------------------------------------------------


def test_flag_beats_environment_and_file(tmp_path):
    config = write_config(tmp_path, "ping_interval = 30\n")
    environ = {"YASCHEDULER_PING_INTERVAL": "20", "YASCHEDULER_CONFIG": str(config)}
    assert resolve(parse_flags("--ping-interval", "10"), environ).ping_interval == 10.0


def test_environment_beats_file(tmp_path):
    config = write_config(tmp_path, "ping_interval = 30\n")
    environ = {"YASCHEDULER_PING_INTERVAL": "20"}
    assert resolve(parse_flags("--config", str(config)), environ).ping_interval == 20.0


def test_file_beats_default(tmp_path):
    config = write_config(tmp_path, 'ping_interval = 30\nhttp = "[::1]:8080"\n')
    resolved = resolve(parse_flags("--config", str(config)), NO_ENV)
    assert resolved.ping_interval == 30.0
    assert resolved.http == ("::1", 8080)
    assert resolved.config == config


def test_config_path_from_the_environment(tmp_path):
    config = write_config(tmp_path, 'log_level = "debug"\n')
    assert resolve({}, {"YASCHEDULER_CONFIG": str(config)}).log_level == "debug"


def test_unset_flags_are_not_in_the_namespace():
    assert vars(parse_flags()) == {}


def test_a_dict_of_flags_ignores_other_arguments_and_none():
    resolved = resolve({"command": "run", "ping_interval": None, "http": "0.0.0.0:80"}, NO_ENV)
    assert resolved.ping_interval == 15.0
    assert resolved.http == ("0.0.0.0", 80)


def test_an_empty_environment_variable_clears_an_optional_setting(tmp_path):
    config = write_config(tmp_path, 'redis_url = "redis://example.com/0"\n')
    environ = {"YASCHEDULER_CONFIG": str(config), "YASCHEDULER_REDIS_URL": ""}
    assert resolve({}, environ).redis_url is None
    store = write_config(tmp_path, 'mongo_url = "mongodb://db.example.com/radio"\n')
    environ = {"YASCHEDULER_CONFIG": str(store), "YASCHEDULER_MONGO_URL": ""}
    assert resolve({}, environ).mongo_url is None


# --- values ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "raw", "value"),
    [
        ("redis_url", "redis://:pw@localhost:6380/2", "redis://:pw@localhost:6380/2"),
        ("redis_url", "rediss://cache.example.com", "rediss://cache.example.com"),
        ("redis_url", "unix:///run/redis.sock?db=1", "unix:///run/redis.sock?db=1"),
        ("mongo_url", "mongodb://h1:27017,h2:27017/radio", "mongodb://h1:27017,h2:27017/radio"),
        (
            "mongo_url",
            "mongodb+srv://u:p@cluster.example.com/radio",
            "mongodb+srv://u:p@cluster.example.com/radio",
        ),
        ("catalog", "~/catalog.json", Path("~/catalog.json").expanduser()),
        ("http", "localhost:0", ("localhost", 0)),
        ("http", "[::]:65535", ("::", 65535)),
        ("store_listen", "0.0.0.0:27017", ("0.0.0.0", 27017)),
        ("store_listen", "[::1]:1", ("::1", 1)),
        ("store_listen", "", None),
        ("ping_interval", "0.5", 0.5),
        ("crossfade_seconds", "0", 0.0),
        ("decide_ahead_seconds", "3", 3.0),
        ("timezone", "America/New_York", "America/New_York"),
        ("yaapp_url", "https://radio.example.com/", "https://radio.example.com"),
        ("yaapp_key", "k3y", "k3y"),
        ("log_level", "WARNING", "warning"),
    ],
)
def test_accepted_values(name, raw, value):
    assert getattr(resolve({name: raw}, NO_ENV), name) == value


def test_toml_numbers_are_seconds(tmp_path):
    config = write_config(tmp_path, "prepare_seconds = 2.5\ntitle_separation = 0\n")
    resolved = resolve({"config": str(config)}, NO_ENV)
    assert (resolved.prepare_seconds, resolved.title_separation) == (2.5, 0.0)


REJECTED = [
    (
        "redis_url",
        "http://localhost",
        "must be a redis:// or rediss:// or unix:// or redis+sentinel:// URL",
    ),
    ("redis_url", "redis://localhost:http/0", "is not a valid URL"),
    ("redis_url", "redis:///0", "names no host"),
    ("redis_url", "unix://", "names no socket path"),
    (
        "mongo_url",
        "mysql://localhost/db",
        "must be a mongodb:// or mongodb+srv:// or mongomock:// URL",
    ),
    ("mongo_url", "mongodb://localhost", "names no database"),
    ("mongo_url", "mongodb://[::1/db", "is not a valid URL"),
    ("http", "9000", "must be HOST:PORT"),
    ("http", ":9000", "must be HOST:PORT"),
    ("http", "::1:9000", "must put an IPv6 address in brackets"),
    ("http", "localhost:65536", "must have a port from 0 to 65535"),
    ("http", "localhost:-1", "must have a port from 0 to 65535"),
    ("store_listen", "27017", "must be HOST:PORT"),
    ("store_listen", "localhost:0", "must have a port from 1 to 65535"),
    ("store_listen", "localhost:65536", "must have a port from 0 to 65535"),
    ("ping_interval", "0", "must be > 0"),
    ("ping_interval", "-1", "must be > 0"),
    ("ping_interval", "soon", "must be a number of seconds"),
    ("ping_interval", "inf", "must be a finite number of seconds"),
    ("prepare_seconds", "-0.1", "must be >= 0"),
    ("decide_ahead_seconds", "-1", "must be >= 0"),
    ("crossfade_seconds", "nan", "must be a finite number of seconds"),
    ("title_separation", "-1", "must be >= 0"),
    ("artist_separation", "", "must be a number of seconds"),
    ("timezone", "Mars/Olympus", "must be an IANA time zone"),
    ("timezone", "/etc/passwd", "must be an IANA time zone"),
    ("timezone", "", "must not be empty"),
    ("yaapp_url", "ftp://radio.example.com", "must be a http:// or https:// URL"),
    ("log_level", "verbose", "must be one of debug, info, warning, error"),
    ("data_dir", "", "must not be empty"),
]


@pytest.mark.parametrize(("name", "raw", "reason"), REJECTED)
def test_rejected_flag_names_setting_reason_and_flag(name, raw, reason):
    flag = BY_NAME[name].flag
    with pytest.raises(ConfigError) as caught:
        resolve(parse_flags(flag + "=" + raw), NO_ENV)
    message = str(caught.value)
    assert message.startswith(f"{name}: {reason}")
    assert message.endswith(f", got {raw!r} (from {flag})")


@pytest.mark.parametrize(("name", "raw", "reason"), REJECTED)
def test_rejected_environment_names_setting_reason_and_variable(name, raw, reason):
    env = BY_NAME[name].env
    with pytest.raises(ConfigError) as caught:
        resolve({}, {env: raw})
    assert str(caught.value).startswith(f"{name}: {reason}")
    assert str(caught.value).endswith(f"(from {env})")


def test_the_message_of_the_brief():
    with pytest.raises(ConfigError) as caught:
        resolve({}, {"YASCHEDULER_PING_INTERVAL": "-1"})
    assert (
        str(caught.value) == "ping_interval: must be > 0, got '-1' (from YASCHEDULER_PING_INTERVAL)"
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "ping_interval = true",
            "ping_interval: must be a number of seconds, not a TOML bool, got True",
        ),
        (
            "ping_interval = [1]",
            "ping_interval: must be a number of seconds, not a TOML list, got [1]",
        ),
        ("http = 9000", "http: must be a string, not a TOML int, got 9000"),
        ("log_level = 3", "log_level: must be a string, not a TOML int, got 3"),
    ],
)
def test_rejected_file_value_names_setting_and_file(tmp_path, line, message):
    config = write_config(tmp_path, line + "\n")
    with pytest.raises(ConfigError) as caught:
        resolve({"config": str(config)}, NO_ENV)
    assert str(caught.value) == f"{message} (from {config})"


def test_unknown_key_in_the_file_is_named(tmp_path):
    config = write_config(tmp_path, 'redis_ulr = "redis://localhost"\n')
    with pytest.raises(
        ConfigError, match=r"unknown setting 'redis_ulr'; did you mean 'redis_url'\?"
    ) as caught:
        resolve({"config": str(config)}, NO_ENV)
    assert str(config) in str(caught.value)


def test_a_table_in_the_file_is_an_unknown_key(tmp_path):
    config = write_config(tmp_path, "[redis]\nurl = 'redis://localhost'\n")
    with pytest.raises(ConfigError, match="unknown setting 'redis'"):
        resolve({"config": str(config)}, NO_ENV)


def test_the_file_cannot_name_another_file(tmp_path):
    config = write_config(tmp_path, 'config = "other.toml"\n')
    with pytest.raises(
        ConfigError, match="cannot name 'config'; use --config or YASCHEDULER_CONFIG"
    ):
        resolve({"config": str(config)}, NO_ENV)


def test_invalid_toml_names_the_file(tmp_path):
    config = write_config(tmp_path, "ping_interval = = 3\n")
    with pytest.raises(ConfigError, match=f"config: {re.escape(str(config))} is not valid TOML"):
        resolve({"config": str(config)}, NO_ENV)


def test_missing_file_names_the_file(tmp_path):
    missing = tmp_path / "nowhere.toml"
    with pytest.raises(
        ConfigError, match=f"config: cannot read {re.escape(str(missing))}: No such file"
    ):
        resolve({}, {"YASCHEDULER_CONFIG": str(missing)})


# --- secrets ---------------------------------------------------------------------


def test_secrets_never_appear_in_errors(tmp_path):
    config = write_config(tmp_path, "admin_token = 123456789\n")
    with pytest.raises(ConfigError) as caught:
        resolve({"config": str(config)}, NO_ENV)
    assert str(caught.value) == f"admin_token: must be a string, not a TOML int (from {config})"


def test_url_passwords_never_appear_in_errors():
    with pytest.raises(ConfigError) as caught:
        resolve({"redis_url": "http://user:hunter2@localhost/0"}, NO_ENV)
    assert "hunter2" not in str(caught.value)
    assert "http://user:***@localhost/0" in str(caught.value)


def test_an_unparseable_url_loses_its_credentials_in_errors():
    with pytest.raises(ConfigError) as caught:
        resolve({"mongo_url": "mongodb://user:hunter2@[::1/db"}, NO_ENV)
    assert "hunter2" not in str(caught.value)


def test_describe_hides_secrets_and_passwords():
    resolved = resolve(
        {
            "redis_url": "redis://:hunter2@localhost/0",
            "mongo_url": "mongodb://app:s3cret@db.example.com/radio",
            "yaapp_key": "the-key",
            "admin_token": "the-token",
            "http": "[::1]:9000",
        },
        NO_ENV,
    )
    described = config.describe(resolved)
    assert described["redis_url"] == "redis://:***@localhost/0"
    assert described["mongo_url"] == "mongodb://app:***@db.example.com/radio"
    assert described["yaapp_key"] == described["admin_token"] == "***"
    assert described["http"] == "[::1]:9000"
    assert described["catalog"] is None
    assert set(described) == {s.name for s in SETTINGS}
    for secret in ("hunter2", "s3cret", "the-key", "the-token"):
        assert secret not in repr(described)


def test_describe_hides_a_password_in_the_query():
    resolved = resolve({"redis_url": "unix:///run/redis.sock?db=1&password=hunter2"}, NO_ENV)
    assert config.describe(resolved)["redis_url"] == "unix:///run/redis.sock?db=1&password=***"


def test_repr_of_settings_hides_secrets():
    resolved = resolve({"yaapp_key": "the-key", "admin_token": "the-token"}, NO_ENV)
    assert "the-key" not in repr(resolved)
    assert "the-token" not in repr(resolved)


# --- documentation ---------------------------------------------------------------


def test_example_file_does_not_drift():
    assert EXAMPLE_FILE.read_text() == setting_docs.example_toml(), (
        "regenerate: python -c 'import sys; from yascheduler.support.setting_docs import"
        " example_toml; sys.stdout.write(example_toml())' > config/yascheduler.example.toml"
    )


def test_example_file_uncommented_is_a_valid_config(tmp_path):
    assignments = [
        line.removeprefix("# ")
        for line in setting_docs.example_toml().splitlines()
        if re.match(r"# \w+ = ", line)
    ]
    config = write_config(tmp_path, "\n".join(assignments) + "\n")
    assert set(tomllib.loads(config.read_text())) == {s.name for s in SETTINGS if s.in_file}
    # store_listen and mongo_url exclude one another: each example in a file of its own
    for left_out in ("store_listen", "mongo_url"):
        kept = [line for line in assignments if not line.startswith(left_out + " ")]
        (tmp_path / "example.toml").write_text("\n".join(kept) + "\n")
        resolved = resolve({"config": str(tmp_path / "example.toml")}, NO_ENV)
        assert resolved.redis_url == "redis://127.0.0.1:6379/0"
        assert resolved.timezone == "Europe/Paris"
    assert resolved.store_listen == ("0.0.0.0", 27017)
    with pytest.raises(ConfigError, match="store_listen: serves the embedded store, and mongo_url"):
        resolve({"config": str(config)}, NO_ENV)


def test_markdown_table_lists_every_setting():
    lines = setting_docs.markdown_table().splitlines()
    assert lines[0] == "| setting | flag | environment | default | description |"
    rows = lines[2:]
    assert len(rows) == len(SETTINGS)
    for row, setting in zip(rows, SETTINGS, strict=True):
        assert row.startswith(f"| `{setting.name}` | `{setting.flag}` | `{setting.env}` | ")
        assert row.endswith(f" | {setting.doc} |")
        assert row.count(" | ") == 4


def test_help_shows_doc_environment_and_default():
    parser = argparse.ArgumentParser()
    config.add_arguments(parser)
    text = " ".join(parser.format_help().split())
    assert "--ping-interval SECONDS" in text
    assert "[YASCHEDULER_PING_INTERVAL; default: 15]" in text
    assert "default: the machine's zone" in text


def test_the_readme_shows_the_current_settings_table():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    assert setting_docs.markdown_table() in readme, "regenerate the README's settings table"
