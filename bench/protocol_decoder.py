"""Would msgspec decode streamer messages faster than ujson and our checks?

streaming/protocol.decode (ujson, then the checks of PROTOCOL.md in
Python) against a msgspec decoder of the same message types (a tagged
union on `type`, constraints for non-empty identifiers and the user id's
range, the dict it returns built with to_builtins). Two figures:

- the time per message for the messages a streamer sends most, valid;
- agreement: on valid messages and on a corpus of broken ones (the
  tests' table, random bytes, random JSON for every field), how often the
  two give a different result (a different dict, or a different reason).

    python bench/protocol_decoder.py [--messages 200000]
"""

import argparse
import json
import random
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from yascheduler.streaming import protocol  # noqa: E402
from yascheduler.support.errors import MessageError  # noqa: E402

Identifier = Annotated[str, Meta(min_length=1)]
UserId = Annotated[int, Meta(ge=-protocol.MAX_INT, le=protocol.MAX_INT)]


class Message(Struct, tag_field="type", gc=False):
    pass


class Test(Message, tag="test"):
    streamer: Identifier
    info: Any


class RegisterStreamer(Message, tag="register_streamer"):
    streamer: Identifier


class UnregisterStreamer(Message, tag="unregister_streamer"):
    streamer: Identifier


class Pong(Message, tag="pong"):
    streamer: Identifier


class UserAuthentication(Message, tag="user_authentication", kw_only=True):
    streamer: Identifier
    auth_token: str | None | UnsetType = UNSET
    username: str | None | UnsetType = UNSET
    api_key: str | None | UnsetType = UNSET
    radio_uuid: Identifier | None | UnsetType = UNSET


class PlayRadio(Message, tag="play_radio"):
    streamer: Identifier
    radio_uuid: Identifier


class StopRadio(Message, tag="stop_radio"):
    streamer: Identifier
    radio_uuid: Identifier


class RegisterListener(Message, tag="register_listener", kw_only=True):
    radio_uuid: Identifier
    session_id: Identifier
    user_id: UserId | None | UnsetType = UNSET
    streamer: Identifier | None | UnsetType = UNSET


class UnregisterListener(Message, tag="unregister_listener", kw_only=True):
    session_id: Identifier
    radio_uuid: Identifier | None | UnsetType = UNSET
    user_id: UserId | None | UnsetType = UNSET
    streamer: Identifier | None | UnsetType = UNSET


DECODER = msgspec.json.Decoder(
    Test
    | RegisterStreamer
    | UnregisterStreamer
    | Pong
    | UserAuthentication
    | PlayRadio
    | StopRadio
    | RegisterListener
    | UnregisterListener
)


def msgspec_decode(raw: bytes) -> dict:
    """The same contract as protocol.decode: a dict, or MessageError with a reason."""
    if len(raw) > protocol.MAX_MESSAGE_BYTES:
        raise MessageError("too_large", f"{len(raw)} bytes")
    try:
        message = DECODER.decode(raw)
    except msgspec.ValidationError as exc:
        text = str(exc)
        if "`$.type`" in text or "missing required field `type`" in text:
            raise MessageError("unknown_type", text) from None
        if "missing required field" in text:
            raise MessageError("missing_field", text) from None
        if text.startswith("Expected `object`"):
            raise MessageError("not_object", text) from None
        raise MessageError("wrong_type", text) from None
    except msgspec.DecodeError as exc:
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            raise MessageError("not_utf8", str(exc)) from None
        raise MessageError("not_json", str(exc)) from None
    fields = msgspec.to_builtins(message)
    for name in [name for name, value in fields.items() if value is None and name != "user_id"]:
        del fields[name]
    if type(message) is UserAuthentication and ("username" in fields) != ("api_key" in fields):
        raise MessageError("missing_field", "user_authentication needs both username and api_key")
    return fields


def outcome(decode, raw: bytes):
    try:
        return decode(raw)
    except MessageError as exc:
        return exc.reason


COMMON = [
    {"type": "register_listener", "radio_uuid": "radio-17", "session_id": "s-9f3", "user_id": 42},
    {"type": "user_authentication", "streamer": "s1", "auth_token": "tok-abcdef"},
    {"type": "play_radio", "streamer": "s1", "radio_uuid": "radio-17"},
    {"type": "unregister_listener", "session_id": "s-9f3", "radio_uuid": "radio-17"},
    {"type": "pong", "streamer": "s1"},
    {"type": "test", "streamer": "s1", "info": {"seq": 12, "sent_at": 1796159040.25}},
]

VALUES = [None, True, 0, -1, 2**63, 1.5, float("inf"), "", "x", "\ud800", [], ["a"], {}, {"a": 1}]
FIELDS = ["type", "streamer", "info", "radio_uuid", "session_id", "user_id", "auth_token"]
FIELDS += ["username", "api_key", "other"]


def corpus(count: int, rng: random.Random) -> list[bytes]:
    """Broken and odd messages: random bytes, and random values in every field."""
    raws = [json.dumps(message).encode() for message in COMMON]
    raws += [b"\xff\xfe", b"{", b"[" * 2000 + b"]" * 2000, b"42", b"null", b'{"type": 7}']
    raws += [b'{"type": "test", "streamer": "s1", "info": NaN}', b" " * (64 * 1024 + 1)]
    for _ in range(count):
        if rng.random() < 0.2:
            raws.append(bytes(rng.randrange(256) for _ in range(rng.randrange(40))))
            continue
        message = dict(rng.choice(COMMON))
        for name in rng.sample(FIELDS, rng.randrange(1, 4)):
            if rng.random() < 0.2:
                message.pop(name, None)
            else:
                message[name] = rng.choice(VALUES)
        raws.append(json.dumps(message).encode())
    return raws


def per_message(decode, raws: list[bytes], total: int) -> float:
    start = time.perf_counter()
    for index in range(total):
        decode(raws[index % len(raws)])
    return (time.perf_counter() - start) / total * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=200_000)
    args = parser.parse_args()
    valid = [json.dumps(message).encode() for message in COMMON]
    for name, decode in (("ujson + checks", protocol.decode), ("msgspec", msgspec_decode)):
        best = min(per_message(decode, valid, args.messages) for _ in range(3))
        print(f"{name}: {best:.2f} µs per valid message")
    broken = corpus(20_000, random.Random(7))
    differ = [
        raw for raw in broken if outcome(protocol.decode, raw) != outcome(msgspec_decode, raw)
    ]
    print(f"corpus: {len(broken)} messages, {len(differ)} decoded differently")
    for raw in differ[:8]:
        shown = raw[:100]
        print(f"  {shown!r}: {outcome(protocol.decode, raw)!r} / {outcome(msgspec_decode, raw)!r}")


if __name__ == "__main__":
    main()
