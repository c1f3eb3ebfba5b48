"""The values settings take: each parser turns a flag or environment string, or a
TOML value, into the value, or raises ValueError with a reason that does not
repeat the value (the caller adds it, redacted, and where it came from)."""

import math
import os
import socket
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .sentinel_url import SENTINEL_SCHEME, is_sentinel_url, sentinel_address


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


def redis_url(value: Any) -> str:
    """A Redis URL as redis-py reads it, or a redis+sentinel:// one (sentinel_url.py)."""
    address = url("redis", "rediss", "unix", SENTINEL_SCHEME)(value)
    if is_sentinel_url(address):
        sentinel_address(address)  # raises ValueError naming what is wrong
    return address


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


def listen_address(value: Any) -> tuple[str, int]:
    """HOST:PORT that a server binds: host_port, with a real port (not 0, the kernel's pick)."""
    host, port = host_port(value)
    if port == 0:
        raise ValueError("must have a port from 1 to 65535")
    return host, port


def seconds(minimum: float, inclusive: bool, unit: str = "seconds") -> Callable[[Any], float]:
    """A parser of a finite number of seconds (or of `unit`) above (or at) `minimum`."""
    bound = f">= {minimum:g}" if inclusive else f"> {minimum:g}"

    def parse_seconds(value: Any) -> float:
        number = _number(value, unit)
        if not (number >= minimum if inclusive else number > minimum):
            raise ValueError(f"must be {bound}")
        return number

    return parse_seconds


def whole_number(minimum: int) -> Callable[[Any], int]:
    """A parser of a whole number at or above `minimum`."""

    def parse_whole(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise ValueError(f"must be a whole number, not a TOML {type(value).__name__}")
        try:
            number = int(value)
        except ValueError:
            raise ValueError("must be a whole number") from None
        if number < minimum:
            raise ValueError(f"must be >= {minimum}")
        return number

    return parse_whole


def _number(value: Any, unit: str = "seconds") -> float:
    # bool is an int in Python, but `ping_interval = true` is a mistake.
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"must be a number of {unit}, not a TOML {type(value).__name__}")
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"must be a number of {unit}") from None
    if not math.isfinite(number):
        raise ValueError(f"must be a finite number of {unit}")
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


def default_instance_id(environ: Mapping[str, str]) -> str:
    """This machine's host name and this process's id: unique among running instances."""
    return f"{socket.gethostname()}-{os.getpid()}"


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
