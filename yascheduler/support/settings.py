"""Every setting, declared once: the CLI flags, the environment variables,
the config file keys, the README table and the example config file all come
from `SETTINGS`.

A value comes from, in this order: its command-line flag, its environment
variable (YASCHEDULER_ + NAME), the TOML file named by --config, its default.
"""

import argparse
import difflib
import json
import math
import os
import tomllib
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ConfigError
from .redact import SECRET_SHOWN, redact

ENV_PREFIX = "YASCHEDULER_"
LOG_LEVELS = ("debug", "info", "warning", "error")
LOG_FORMATS = ("text", "json")
MASTER_POLICIES = ("proxy", "takeover")
UNSET_SHOWN = "unset"

# --- parsers: a flag or environment string, or a TOML value -> the value -----
# Each raises ValueError with a reason that does not repeat the value: the
# caller adds the value, redacted, and where it came from.


def optional(parse: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """`parse`, except that an empty string means unset (YASCHEDULER_X= clears X)."""

    def parse_optional(value: Any) -> Any:
        return None if value == "" else parse(value)

    return parse_optional


def text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"must be a string, not a TOML {type(value).__name__}")
    if not value:
        raise ValueError("must not be empty")
    return value


def path(value: Any) -> Path:
    return Path(text(value)).expanduser()


def url(*schemes: str, database: bool = False) -> Callable[[Any], str]:
    """A parser of URLs with one of `schemes`; `database`: the path names one."""
    allowed = " or ".join(scheme + "://" for scheme in schemes)

    def parse_url(value: Any) -> str:
        address = text(value)
        parts = _split_url(address)
        if parts.scheme not in schemes:
            raise ValueError(f"must be a {allowed} URL")
        if parts.scheme == "unix":
            if not parts.path:
                raise ValueError("names no socket path")
        elif not parts.hostname:
            raise ValueError("names no host")
        if database and not parts.path.strip("/"):
            raise ValueError(f"names no database, as in {parts.scheme}://HOST/yascheduler")
        return address

    return parse_url


def _split_url(address: str) -> SplitResult:
    try:
        parts = urlsplit(address)
        # A host list (mongodb://h1,h2/db) has no single port: the driver checks it.
        if "," not in parts.netloc:
            parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as error:
        raise ValueError(f"is not a valid URL ({error})") from None
    return parts


def base_url(value: Any) -> str:
    """An http(s) URL that paths are appended to, so without a trailing slash."""
    return url("http", "https")(value).rstrip("/")


def host_port(value: Any) -> tuple[str, int]:
    """HOST:PORT, the host in brackets if it is an IPv6 address."""
    host, colon, port = text(value).rpartition(":")
    if not colon or not host or not port:
        raise ValueError("must be HOST:PORT, as in 127.0.0.1:9000")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        raise ValueError("must put an IPv6 address in brackets, as in [::1]:9000")
    if not (port.isascii() and port.isdigit()) or int(port) > 65535:
        raise ValueError("must have a port from 0 to 65535")
    return host, int(port)


def seconds(minimum: float, inclusive: bool) -> Callable[[Any], float]:
    """A parser of a finite number of seconds above (or at) `minimum`."""
    bound = f">= {minimum:g}" if inclusive else f"> {minimum:g}"

    def parse_seconds(value: Any) -> float:
        number = _number(value)
        if not (number >= minimum if inclusive else number > minimum):
            raise ValueError(f"must be {bound}")
        return number

    return parse_seconds


def _number(value: Any) -> float:
    # bool is an int in Python, but `ping_interval = true` is a mistake.
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"must be a number of seconds, not a TOML {type(value).__name__}")
    try:
        number = float(value)
    except ValueError:
        raise ValueError("must be a number of seconds") from None
    if not math.isfinite(number):
        raise ValueError("must be a finite number of seconds")
    return number


def timezone(value: Any) -> str:
    """An IANA time zone name, as in Europe/Paris; kept as the name."""
    name = text(value)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("must be an IANA time zone, as in Europe/Paris") from None
    return name


def one_of(*choices: str) -> Callable[[Any], str]:
    """A parser of one word among `choices`, in any case."""

    def parse_choice(value: Any) -> str:
        word = text(value).lower()
        if word not in choices:
            raise ValueError("must be one of " + ", ".join(choices))
        return word

    return parse_choice


def machine_timezone(environ: Mapping[str, str]) -> str:
    """The zone this machine runs in: TZ, /etc/timezone, /etc/localtime, else UTC.

    TZ comes first because it overrides the system zone for every other
    program too (containers often set it and leave /etc/localtime at UTC).
    """
    candidates = (
        environ.get("TZ", "").lstrip(":"),
        _read_first_line(Path("/etc/timezone")),
        _zone_of_link(Path("/etc/localtime")),
    )
    for name in candidates:
        try:
            return timezone(name)
        except ValueError:
            continue
    return "UTC"


def _read_first_line(file: Path) -> str:
    try:
        return file.read_text().strip()
    except OSError:
        return ""


def _zone_of_link(link: Path) -> str:
    """Europe/Paris for a link to /usr/share/zoneinfo/Europe/Paris."""
    try:
        return os.readlink(link).partition("zoneinfo/")[2]
    except OSError:
        return ""


# --- the declarations ----------------------------------------------------------


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
        parse=optional(url("redis", "rediss", "unix")),
        default=None,
        metavar="URL",
        example="redis://127.0.0.1:6379/0",
        doc="Redis URL (redis://, rediss://, unix://); unset: start an embedded redis-server",
    ),
    Setting(
        name="mongo_url",
        parse=url("mongodb", "mongodb+srv", "mongomock", database=True),
        default="mongomock://localhost/yascheduler",
        metavar="URL",
        doc="store URL: mongodb://, mongodb+srv://, or mongomock:// (in memory, lost on exit)",
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
        doc="seconds before the end of a track that the next one is chosen and sent",
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
    mongo_url: str
    catalog: Path | None
    http: tuple[str, int]
    ping_interval: float
    master_policy: str
    unreachable_timeout: float
    max_session_seconds: float
    prepare_seconds: float
    crossfade_seconds: float
    timezone: str
    yaapp_url: str | None
    yaapp_key: str | None = field(repr=False)
    admin_token: str | None = field(repr=False)
    title_separation: float
    artist_separation: float
    log_level: str
    log_format: str


# --- resolving -----------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser, only: Collection[str] | None = None) -> None:
    """A flag per setting (or per setting named in `only`); an unset flag is
    absent from the parsed namespace."""
    for setting in SETTINGS:
        if only is not None and setting.name not in only:
            continue
        help_text = f"{setting.doc} [{setting.env}; default: {setting.shown_default}]"
        parser.add_argument(
            setting.flag,
            dest=setting.name,
            metavar=setting.metavar,
            default=argparse.SUPPRESS,
            help=help_text.replace("%", "%%"),
        )


def resolve(
    args: argparse.Namespace | Mapping[str, Any], environ: Mapping[str, str] = os.environ
) -> Settings:
    """The settings from flags over environment over config file over defaults."""
    flags = _flags(args)
    config = _value(BY_NAME["config"], flags, environ, {})
    config_file = _read_config(config) if config else {}
    values = {setting.name: _value(setting, flags, environ, config_file) for setting in SETTINGS}
    return Settings(**values)


def _flags(args: argparse.Namespace | Mapping[str, Any]) -> dict[str, Any]:
    """The settings given on the command line (other parsed arguments ignored)."""
    given = vars(args) if isinstance(args, argparse.Namespace) else dict(args)
    return {name: value for name, value in given.items() if name in BY_NAME and value is not None}


def _value(
    setting: Setting,
    flags: Mapping[str, Any],
    environ: Mapping[str, str],
    config_file: Mapping[str, tuple[Any, str]],
) -> Any:
    if setting.name in flags:
        raw, source = flags[setting.name], setting.flag
    elif setting.env in environ:
        raw, source = environ[setting.env], setting.env
    elif setting.name in config_file:
        raw, source = config_file[setting.name]
    else:
        return _default(setting, environ)
    try:
        return setting.parse(raw)
    except ValueError as error:
        raise ConfigError(_problem(setting, str(error), raw, source)) from None


def _default(setting: Setting, environ: Mapping[str, str]) -> Any:
    raw = setting.default(environ) if callable(setting.default) else setting.default
    return None if raw is None else setting.parse(raw)


def _problem(setting: Setting, reason: str, raw: Any, source: str) -> str:
    """`name: reason, got 'value' (from source)`, never showing a secret."""
    if setting.secret:
        return f"{setting.name}: {reason} (from {source})"
    shown = redact(raw) if isinstance(raw, str) else raw
    return f"{setting.name}: {reason}, got {shown!r} (from {source})"


def _read_config(config: Path) -> dict[str, tuple[Any, str]]:
    """The file's settings, each with the file name as its source."""
    table = _read_table(config)
    for key in table:
        _check_key(key, config)
    return table


def _read_table(config: Path) -> dict[str, tuple[Any, str]]:
    """Every key of the file, unchecked, with the file name as its source."""
    try:
        with open(config, "rb") as file:
            table = tomllib.load(file)
    except OSError as error:
        raise ConfigError(f"config: cannot read {config}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"config: {config} is not valid TOML: {error}") from None
    return {key: (value, str(config)) for key, value in table.items()}


def check_config_file(config: Path) -> tuple[Settings | None, list[str]]:
    """The settings a config file gives on its own (no flags, no environment),
    or every problem found in it: each unknown key and each wrong value."""
    try:
        config_file = _read_table(config)
    except ConfigError as error:
        return None, [str(error)]
    problems = []
    for key in list(config_file):
        try:
            _check_key(key, config)
        except ConfigError as error:
            problems.append(str(error))
            del config_file[key]
    values = {"config": config}
    for setting in SETTINGS:
        if setting.name == "config":
            continue
        try:
            values[setting.name] = _value(setting, {}, {}, config_file)
        except ConfigError as error:
            problems.append(str(error))
    if problems:
        return None, problems
    return Settings(**values), []


def _check_key(key: str, config: Path) -> None:
    setting = BY_NAME.get(key)
    if setting is None:
        near = difflib.get_close_matches(key, BY_NAME, n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        raise ConfigError(f"config: {config} has an unknown setting {key!r}{hint}")
    if not setting.in_file:
        raise ConfigError(
            f"config: {config} cannot name {key!r}; use {setting.flag} or {setting.env}"
        )


# --- showing -------------------------------------------------------------------


def format_host_port(address: tuple[str, int]) -> str:
    host, port = address
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def describe(settings: Settings) -> dict[str, Any]:
    """Every setting as it can be logged or shown: no secret, no password."""
    return {setting.name: _shown(setting, getattr(settings, setting.name)) for setting in SETTINGS}


def _shown(setting: Setting, value: Any) -> Any:
    if value is None:
        return None
    if setting.secret:
        return SECRET_SHOWN
    if isinstance(value, tuple):
        return format_host_port(value)
    if isinstance(value, Path):
        return str(value)
    return redact(value) if isinstance(value, str) else value


def markdown_table() -> str:
    """The README's settings table."""
    lines = [
        "| setting | flag | environment | default | description |",
        "|---|---|---|---|---|",
    ]
    for setting in SETTINGS:
        cells = (
            f"`{setting.name}`",
            f"`{setting.flag}`",
            f"`{setting.env}`",
            _markdown_default(setting),
            setting.doc.replace("|", "\\|"),
        )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _markdown_default(setting: Setting) -> str:
    if setting.default is None or setting.default_text is not None:
        return setting.shown_default
    return f"`{setting.shown_default}`"


def example_toml() -> str:
    """The example config file: every file setting, commented out."""
    blocks = [EXAMPLE_HEADER]
    for setting in SETTINGS:
        if setting.in_file:
            blocks.append(_example_block(setting))
    return "\n".join(blocks)


EXAMPLE_HEADER = """\
# yascheduler configuration, TOML.
#
# Read with --config PATH or YASCHEDULER_CONFIG=PATH. Every setting is
# optional: a command-line flag beats an environment variable, which beats
# this file, which beats the default. Uncomment a line to change a setting.
# Keep secrets in a file that is not committed, or in the environment.
"""


def _example_block(setting: Setting) -> str:
    shown = setting.default if setting.example is None else setting.example
    return (
        f"# {setting.doc}\n"
        f"# {setting.flag}, {setting.env}; default: {setting.shown_default}\n"
        f"# {setting.name} = {_toml_literal(shown)}\n"
    )


def _toml_literal(value: Any) -> str:
    if isinstance(value, str):
        # A JSON string is a valid TOML basic string: same quotes and escapes.
        return json.dumps(value)
    return repr(value)
