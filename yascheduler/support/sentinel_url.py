"""The redis+sentinel:// form of `redis_url`: a Redis whose master the sentinels name.

    redis+sentinel://[[USER]:PASSWORD@]HOST[:PORT][,HOST[:PORT]...]/SERVICE[/DB]
                     [?sentinel_username=USER&sentinel_password=PASSWORD]

HOST:PORT are the sentinels (port 26379 when left out; an IPv6 address in
brackets); SERVICE is the name they monitor the master under (`sentinel monitor
SERVICE ...`); DB is the database, 0 when left out. The user and password before
the @ are the Redis servers' (the master's and its replicas'); the sentinels'
own, if they require one, go in the query. Percent-encode a password that holds
`@`, `:`, `/`, `,`, `?`, `&`, `+` or `%`.

Errors are ValueErrors whose reason names what is wrong without repeating the
value (it may hold a password).
"""

from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit

SENTINEL_SCHEME = "redis+sentinel"
SENTINEL_PORT = 26379
FORM = f"{SENTINEL_SCHEME}://HOST:{SENTINEL_PORT}[,HOST:{SENTINEL_PORT}...]/SERVICE[/DB]"
QUERY_OPTIONS = ("sentinel_password", "sentinel_username")


@dataclass(frozen=True)
class SentinelAddress:
    sentinels: tuple[tuple[str, int], ...]
    service: str
    db: int = 0
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    sentinel_username: str | None = None
    sentinel_password: str | None = field(default=None, repr=False)


def is_sentinel_url(url: str) -> bool:
    return url.lower().startswith(SENTINEL_SCHEME + "://")


def sentinel_address(url: str) -> SentinelAddress:
    """The parts of a redis+sentinel:// URL; ValueError saying what is wrong."""
    if not is_sentinel_url(url):
        raise ValueError(f"must be a {SENTINEL_SCHEME}:// URL")
    parts = urlsplit(url)
    userinfo, at, hosts = parts.netloc.rpartition("@")
    username, _, password = userinfo.partition(":")
    service, db = _service_and_db(parts.path)
    options = _query_options(parts.query)
    return SentinelAddress(
        sentinels=tuple(_sentinel(host) for host in hosts.split(",")),
        service=service,
        db=db,
        username=unquote(username) or None,
        password=unquote(password) if at and password else None,
        sentinel_username=options.get("sentinel_username"),
        sentinel_password=options.get("sentinel_password"),
    )


def _sentinel(host_port: str) -> tuple[str, int]:
    """HOST or HOST:PORT, the host in brackets if it is an IPv6 address."""
    if not host_port:
        raise ValueError(f"names an empty sentinel address, as in {FORM}")
    if host_port.startswith("["):
        host, bracket, rest = host_port[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise ValueError("has a sentinel address that is not HOST, HOST:PORT or [IPv6]:PORT")
        port = rest[1:] if rest else None
    else:
        host, colon, port = host_port.partition(":")
        if ":" in port:
            raise ValueError("must put a sentinel IPv6 address in brackets, as in [::1]:26379")
        port = port if colon else None
    if not host:
        raise ValueError(f"names a sentinel without its host, as in {FORM}")
    return host, SENTINEL_PORT if port is None else _port(port)


def _port(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) <= 65535:
        raise ValueError("has a sentinel port that is not a number from 1 to 65535")
    return int(text)


def _service_and_db(path: str) -> tuple[str, int]:
    names = path.strip("/").split("/")
    if not names[0]:
        raise ValueError(f"names no service (the master's name to the sentinels), as in {FORM}")
    if len(names) > 2:
        raise ValueError(f"has a path other than /SERVICE or /SERVICE/DB, as in {FORM}")
    service = unquote(names[0])
    db = names[1] if len(names) == 2 else "0"
    if not (db.isascii() and db.isdigit()):
        raise ValueError("has a database that is not a number (/SERVICE/DB, as in /mymaster/0)")
    return service, int(db)


def _query_options(query: str) -> dict[str, str]:
    options = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name not in QUERY_OPTIONS:
            known = ", ".join(QUERY_OPTIONS)
            raise ValueError(f"has an unknown option {name!r} (known: {known})")
        options[name] = value or None
    return options
