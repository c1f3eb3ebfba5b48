"""Passwords out of everything that is logged, shown or raised."""

import re
from urllib.parse import urlsplit, urlunsplit

SECRET_SHOWN = "***"


def redact_url(url: str) -> str:
    """The URL with its password replaced, fit for logs and error messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(":" + parts.password + "@", ":" + SECRET_SHOWN + "@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


_QUERY_PASSWORD = re.compile(r"((?:^|&)[^=&]*password[^=&]*=)[^&]*", re.IGNORECASE)


def redact(address: str) -> str:
    """`address` with any password in it replaced, whether URL or not."""
    try:
        address = redact_url(address)
    except ValueError:
        # Not a URL we can take apart: drop whatever credentials precede an @.
        return SECRET_SHOWN + "@" + address.rpartition("@")[2] if "@" in address else address
    # redis-py also takes ?password=. Edit the text: unsplitting a URL is lossy.
    before, mark, query = address.partition("?")
    return before + mark + _QUERY_PASSWORD.sub(r"\g<1>" + SECRET_SHOWN, query)
