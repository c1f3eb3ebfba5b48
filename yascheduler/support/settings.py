"""Every setting, declared once: the CLI flags, the environment variables,
the config file keys, the README table and the example config file all come
from `SETTINGS` (config.py resolves them, setting_docs.py shows them).

A value comes from, in this order: its command-line flag, its environment
variable (YASCHEDULER_ + NAME), the TOML file named by --config, its default.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .setting_values import (
    base_url,
    default_instance_id,
    host_port,
    listen_address,
    machine_timezone,
    one_of,
    optional,
    path,
    redis_url,
    seconds,
    text,
    timezone,
    url,
    whole_number,
)

ENV_PREFIX = "YASCHEDULER_"
LOG_LEVELS = ("debug", "info", "warning", "error")
LOG_FORMATS = ("text", "json")
MASTER_POLICIES = ("proxy", "takeover")
UNSET_SHOWN = "unset"


@dataclass(frozen=True)
class Setting:
    name: str
    parse: Callable[[Any], Any]
    # In the form a user writes it, so that it goes through `parse` too; a
    # callable is given the environment and computes it at start-up.
    default: Any
    doc: str
    metavar: str
    secret: bool = False
    in_file: bool = True
    # What the example config file shows when the default is unset or computed.
    example: Any = None
    # How the documentation shows a computed default.
    default_text: str | None = None

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.name.upper()

    @property
    def shown_default(self) -> str:
        if self.default_text is not None:
            return self.default_text
        return UNSET_SHOWN if self.default is None else str(self.default)


SETTINGS: tuple[Setting, ...] = (
    Setting(
        name="config",
        parse=optional(path),
        default=None,
        metavar="PATH",
        in_file=False,
        doc="TOML file to read settings from; flags and environment variables override it",
    ),
    Setting(
        name="redis_url",
        parse=optional(redis_url),
        default=None,
        metavar="URL",
        example="redis://127.0.0.1:6379/0",
        doc="Redis URL (redis://, rediss://, unix://), or "
        "redis+sentinel://[:PASSWORD@]HOST:26379[,HOST:26379...]/SERVICE[/DB] for the master "
        "that sentinels name (README: Redis through Sentinel); unset: start an embedded "
        "redis-server",
    ),
    Setting(
        name="mongo_url",
        parse=optional(url("mongodb", "mongodb+srv", "mongomock", database=True)),
        default=None,
        metavar="URL",
        example="mongodb://mongo.internal/yascheduler",
        doc="store URL: mongodb://, mongodb+srv://, or mongomock:// (in memory, lost on exit); "
        "unset: an embedded store server keeping its data in data_dir",
    ),
    Setting(
        name="data_dir",
        parse=path,
        default="./yascheduler-data",
        metavar="PATH",
        doc="where the embedded store server keeps its data (created if missing), when no "
        "mongo_url is set; one service at a time may use it",
    ),
    Setting(
        name="store_listen",
        parse=optional(listen_address),
        default=None,
        metavar="HOST:PORT",
        example="0.0.0.0:27017",
        doc="serve the embedded store to other instances on this address (they start with "
        "--mongo-url mongodb://HOST:PORT/yascheduler; it goes with this one); unset: a free "
        "loopback port for this instance alone; not with mongo_url",
    ),
    Setting(
        name="write_delay",
        parse=seconds(0, inclusive=True),
        default=0.05,
        metavar="SECONDS",
        doc="changes are written to the store in bulk, at most this long after they happen "
        "(plus one write); a crash loses no change older",
    ),
    Setting(
        name="catalog",
        parse=optional(path),
        default=None,
        metavar="PATH",
        example="/etc/yascheduler/catalog.json",
        doc="catalog JSON file loaded at start-up",
    ),
    Setting(
        name="http",
        parse=host_port,
        default="127.0.0.1:9000",
        metavar="HOST:PORT",
        doc="where the HTTP API listens; an IPv6 address goes in brackets: [::1]:9000",
    ),
    Setting(
        name="instance_id",
        parse=text,
        default=default_instance_id,
        default_text="host name-process id",
        metavar="ID",
        example="sched-1",
        doc="this instance's name among those sharing one Redis and one store; a second "
        "instance with the id of a live one refuses to start",
    ),
    Setting(
        name="lease_seconds",
        parse=seconds(0, inclusive=False),
        default=3,
        metavar="SECONDS",
        doc="how long an instance's hold on its radios outlives its last heartbeat: within "
        "this, another instance takes over the radios of one that died",
    ),
    Setting(
        name="ping_interval",
        parse=seconds(0, inclusive=False),
        default=15,
        metavar="SECONDS",
        doc="seconds between two pings of a streamer; one that a ping reaches and that has not "
        "answered by the next ping is dropped",
    ),
    Setting(
        name="master_policy",
        parse=one_of(*MASTER_POLICIES),
        default="proxy",
        metavar="POLICY",
        doc="a second streamer asking for a streamed radio: proxy (it is told the master, "
        "radio_exists) or takeover (it becomes the master; what the production streamer expects)",
    ),
    Setting(
        name="unreachable_timeout",
        parse=seconds(0, inclusive=False),
        default=300,
        metavar="SECONDS",
        doc="seconds a streamer that no publish reaches (not subscribed) is kept before it is "
        "dropped",
    ),
    Setting(
        name="max_session_seconds",
        parse=seconds(0, inclusive=False),
        default=86400,
        metavar="SECONDS",
        doc="a listener session open longer is closed and accounted up to this limit (the "
        "streamer forgets some listeners)",
    ),
    Setting(
        name="prepare_seconds",
        parse=seconds(0, inclusive=True),
        default=5,
        metavar="SECONDS",
        doc="seconds before the end of a track that the next is sent "
        "(chosen and stored decide_ahead_seconds before)",
    ),
    Setting(
        name="decide_ahead_seconds",
        parse=seconds(0, inclusive=True),
        default=1,
        metavar="SECONDS",
        doc="seconds before its play is due that a track is chosen and stored, so that "
        "the play waits for no write (3 on a store that takes seconds to write, as "
        "nx-27017 at 100,000 radios; 0: chosen and sent at once)",
    ),
    Setting(
        name="crossfade_seconds",
        parse=seconds(0, inclusive=True),
        default=0,
        metavar="SECONDS",
        doc="seconds each track crossfades with the previous one",
    ),
    Setting(
        name="timezone",
        parse=timezone,
        default=machine_timezone,
        default_text="the machine's zone",
        metavar="ZONE",
        example="Europe/Paris",
        doc="IANA time zone of radios that name none, and of the dates sent to the web app",
    ),
    Setting(
        name="yaapp_url",
        parse=optional(base_url),
        default=None,
        metavar="URL",
        example="https://radio.example.com",
        doc="base URL of the web app; unset: notify no web app",
    ),
    Setting(
        name="yaapp_key",
        parse=optional(text),
        default=None,
        metavar="KEY",
        secret=True,
        example="change-me",
        doc="the scheduler's key to the web app (secret)",
    ),
    Setting(
        name="admin_token",
        parse=optional(text),
        default=None,
        metavar="TOKEN",
        secret=True,
        example="change-me",
        doc="bearer token for the HTTP API's POST endpoints; unset: they are off (secret)",
    ),
    Setting(
        name="title_separation",
        parse=seconds(0, inclusive=True),
        default=10800,
        metavar="SECONDS",
        doc="seconds before a song title may be played again on a radio, if others remain",
    ),
    Setting(
        name="artist_separation",
        parse=seconds(0, inclusive=True),
        default=1800,
        metavar="SECONDS",
        doc="seconds before an artist may be played again on a radio, if others remain",
    ),
    Setting(
        name="history_days",
        parse=seconds(0, inclusive=False, unit="days"),
        default=30,
        metavar="DAYS",
        doc="days the play history keeps each track started (a TTL index, and an hourly "
        "deletion of what is older)",
    ),
    Setting(
        name="request_repeat_minutes",
        parse=seconds(0, inclusive=True, unit="minutes"),
        default=15,
        metavar="MINUTES",
        doc="a listener request of a song played, or requested, this recently is refused",
    ),
    Setting(
        name="requests_per_user",
        parse=whole_number(1),
        default=1,
        metavar="COUNT",
        doc="pending listener requests a user may have, on all radios",
    ),
    Setting(
        name="requests_per_radio",
        parse=whole_number(1),
        default=5,
        metavar="COUNT",
        doc="pending listener requests a radio may have",
    ),
    Setting(
        name="log_level",
        parse=one_of(*LOG_LEVELS),
        default="info",
        metavar="LEVEL",
        doc="least severe log records written: " + ", ".join(LOG_LEVELS),
    ),
    Setting(
        name="log_format",
        parse=one_of(*LOG_FORMATS),
        default="text",
        metavar="FORMAT",
        doc="log line format: text, or json (an object a line: time, level, logger, message)",
    ),
)
BY_NAME = {setting.name: setting for setting in SETTINGS}


@dataclass(frozen=True)
class Settings:
    """The resolved settings; a test checks the fields match `SETTINGS`."""

    config: Path | None
    redis_url: str | None
    mongo_url: str | None
    data_dir: Path
    store_listen: tuple[str, int] | None
    write_delay: float
    catalog: Path | None
    http: tuple[str, int]
    instance_id: str
    lease_seconds: float
    ping_interval: float
    master_policy: str
    unreachable_timeout: float
    max_session_seconds: float
    prepare_seconds: float
    decide_ahead_seconds: float
    crossfade_seconds: float
    timezone: str
    yaapp_url: str | None
    yaapp_key: str | None = field(repr=False)
    admin_token: str | None = field(repr=False)
    title_separation: float
    artist_separation: float
    history_days: float
    request_repeat_minutes: float
    requests_per_user: int
    requests_per_radio: int
    log_level: str
    log_format: str
