"""The streamer wire protocol: decoding what streamers send, encoding replies.

Decoding is strict: a message that breaks PROTOCOL.md's rules raises
MessageError with a short reason (a metric label) and never reaches a
handler, so handlers can trust every field they read.
"""

import math

import ujson

from yascheduler.support.errors import MessageError

INBOX_CHANNEL = "yascheduler"
STREAMER_CHANNEL_PREFIX = "yastream."
MAX_MESSAGE_BYTES = 64 * 1024
MAX_INT = 2**63 - 1  # what MongoDB stores as a 64-bit integer


def streamer_channel(streamer: str) -> str:
    return STREAMER_CHANNEL_PREFIX + streamer


def _unicode(text: str) -> bool:
    """False for a lone surrogate ("\\ud800"): JSON can spell it, but it is not
    Unicode, so neither the store, nor Redis, nor a reply could encode it."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _identifier(value) -> bool:
    return isinstance(value, str) and value != ""


def _credential(value) -> bool:
    """A string, maybe empty: the production streamer sends "" for a listener without one."""
    return isinstance(value, str)


def _user_id(value) -> bool:
    return value is None or (
        isinstance(value, int) and not isinstance(value, bool) and -MAX_INT <= value <= MAX_INT
    )


def _json_value(value) -> bool:
    """False if it holds NaN or an infinity, which are not JSON: it could not be echoed."""
    return all(not isinstance(item, float) or math.isfinite(item) for item in _walk(value))


def _walk(value):
    """Every value and dict key inside a decoded JSON value."""
    pending = [value]
    while pending:
        item = pending.pop()
        yield item
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)


# type -> (required fields, optional fields); each field -> its check.
SCHEMAS = {
    "test": ({"streamer": _identifier, "info": _json_value}, {}),
    "register_streamer": ({"streamer": _identifier}, {}),
    "unregister_streamer": ({"streamer": _identifier}, {}),
    "pong": ({"streamer": _identifier}, {}),
    "user_authentication": (
        {"streamer": _identifier},
        {
            "auth_token": _credential,
            "username": _credential,
            "api_key": _credential,
            "radio_uuid": _identifier,
        },
    ),
    "play_radio": ({"streamer": _identifier, "radio_uuid": _identifier}, {}),
    "stop_radio": ({"streamer": _identifier, "radio_uuid": _identifier}, {}),
    "register_listener": (
        {"radio_uuid": _identifier, "session_id": _identifier},
        {"user_id": _user_id, "streamer": _identifier},
    ),
    "unregister_listener": (
        {"session_id": _identifier},
        {"radio_uuid": _identifier, "user_id": _user_id, "streamer": _identifier},
    ),
}


def decode(raw: bytes | str) -> dict:
    """The message as a dict holding only the fields its type defines."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogatepass")
    if len(raw) > MAX_MESSAGE_BYTES:
        raise MessageError("too_large", f"{len(raw)} bytes, at most {MAX_MESSAGE_BYTES}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MessageError("not_utf8", str(exc)) from None
    try:
        message = ujson.loads(text)
    except (ValueError, OverflowError, RecursionError) as exc:
        raise MessageError("not_json", str(exc)[:200]) from None
    if not isinstance(message, dict):
        raise MessageError("not_object", f"a JSON {type(message).__name__}, not an object")
    fields = _checked(message)
    # Only a \u escape can spell a lone surrogate: strict UTF-8 decoding refused the rest.
    if b"\\u" in raw and not all(_unicode(item) for item in _walk(fields) if isinstance(item, str)):
        raise MessageError("not_utf8", f"{fields['type']}: a string holds a lone surrogate")
    return fields


def _checked(message: dict) -> dict:
    kind = message.get("type")
    if not isinstance(kind, str) or kind not in SCHEMAS:
        raise MessageError("unknown_type", f"type {str(kind)[:64]!r}")
    required, optional = SCHEMAS[kind]
    fields = {"type": kind}
    for name, check in required.items():
        if name not in message:
            raise MessageError("missing_field", f"{kind} without {name}")
        fields[name] = _field(kind, name, message[name], check)
    for name, check in optional.items():
        if message.get(name) is not None or (name == "user_id" and name in message):
            fields[name] = _field(kind, name, message[name], check)
    if kind == "user_authentication" and ("username" in fields) != ("api_key" in fields):
        raise MessageError("missing_field", "user_authentication needs both username and api_key")
    return fields


def _field(kind: str, name: str, value, check):
    if not check(value):
        raise MessageError("wrong_type", f"{kind}.{name} = {str(value)[:64]!r}")
    return value


def listener_user(message: dict) -> int | None:
    """The listener's user id; None for an anonymous one, which the production
    streamer sends as 0 (it reads user ids as unsigned 32-bit numbers)."""
    return message.get("user_id") or None


def encode(message: dict) -> bytes:
    return ujson.dumps(message, ensure_ascii=False).encode("utf-8")


# --- what the scheduler sends ---------------------------------------------------


def test_reply(info) -> dict:
    return {"type": "test", "info": info}


def radio_started(radio_uuid: str) -> dict:
    return {"type": "radio_started", "radio_uuid": radio_uuid}


def radio_exists(radio_uuid: str, master: str) -> dict:
    return {"type": "radio_exists", "radio_uuid": radio_uuid, "master_streamer": master}


def radio_unknown(radio_uuid: str) -> dict:
    return {"type": "radio_unknown", "radio_uuid": radio_uuid}


def radio_unkown(radio_uuid: str) -> dict:
    """The misspelt type the production streamer reads (PROTOCOL.md), sent in takeover mode."""
    return {"type": "radio_unkown", "radio_uuid": radio_uuid}


def radio_stopped(radio_uuid: str) -> dict:
    return {"type": "radio_stopped", "radio_uuid": radio_uuid}


def play(radio_uuid: str, filename: str, delay: float, offset: float, crossfade: float) -> dict:
    return {
        "type": "play",
        "radio_uuid": radio_uuid,
        "filename": filename,
        "delay": round(delay, 3),
        "offset": round(offset, 3),
        "crossfade_duration": crossfade,
    }


def user_authentication(user_id: int | None, hd: bool, credentials: dict) -> dict:
    """The answer, echoing the credentials the streamer matches it by."""
    reply = {"type": "user_authentication", "user_id": user_id, "hd": hd}
    for name in ("auth_token", "username", "api_key"):
        if name in credentials:
            reply[name] = credentials[name]
    return reply


PING = {"type": "ping"}
