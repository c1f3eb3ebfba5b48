"""The forms the catalog schema takes: the file's, the stored one, and the engine's view.

schema.py writes each struct once, as the engine holds it (tuples, None
for what is absent). `file_form(kind)` derives the same struct, with the
same fields, defaults and rules, as an import reads a file entry into it:
lists, and UNSET for what is absent, so that its builtins (`stored`) are
the stored document, shaped as store/models.py declares it (defaults
written, absent values left out), and last_play_time read from ISO 8601
text. One msgspec convert checks an entry and one to_builtins stores it,
both in C. `radio_from_stored` builds the view from a stored document,
`radio_from_json` from its packed text.
"""

import functools
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin, get_type_hints

import msgspec
from msgspec import UNSET, Struct, UnsetType
from msgspec.structs import force_setattr

from .problems import problem
from .schema import FROM_ISO_TEXT, Jingle, Playlist, Radio, Song, epoch_time


class IsoTime(float):
    """Epoch seconds read from a file's ISO 8601 text (schema.EpochSeconds)."""

    __slots__ = ()


def from_file(kind: type, value):
    """msgspec's dec_hook for the file's forms: the types msgspec does not read itself."""
    if kind is IsoTime:
        if not isinstance(value, str):
            raise TypeError("must be a string")
        try:
            return IsoTime(epoch_time(value))
        except ValueError:
            raise ValueError(f"must be an ISO 8601 time, not {value!r}") from None
    raise NotImplementedError(kind)


@functools.cache
def file_form(kind: type) -> type:
    """`kind` as an import reads a file entry into it (the module docstring)."""
    hints = get_type_hints(kind, include_extras=True)
    fields = []
    for field in msgspec.structs.fields(kind):
        if field.default is None:
            default = UNSET
        elif field.default == ():
            default = []
        else:
            default = field.default
        fields.append(
            (
                field.name,
                _file_hint(hints[field.name]),
                msgspec.field(default=default, name=field.encode_name),
            )
        )
    config = kind.__struct_config__
    # gc=False: an import reads millions of them, and they hold no cycle
    return msgspec.defstruct(
        kind.__name__, fields, kw_only=True, tag=config.tag, tag_field=config.tag_field, gc=False
    )


def _file_hint(hint):
    origin = get_origin(hint)
    if origin is Annotated:
        if FROM_ISO_TEXT in hint.__metadata__:
            return IsoTime
        return Annotated[(_file_hint(get_args(hint)[0]), *hint.__metadata__)]
    if origin in (Union, UnionType):
        members = tuple(UnsetType if m is type(None) else _file_hint(m) for m in get_args(hint))
        return Union[members]  # noqa: UP007 (built from a tuple of types)
    if origin is tuple:
        return list[_file_hint(get_args(hint)[0])]
    if isinstance(hint, type) and issubclass(hint, Struct):
        return file_form(hint)
    return hint


def stored(value: Struct | list):
    """The stored document of a value of a file form (a list of them: their documents)."""
    return msgspec.to_builtins(value, enc_hook=float)  # enc_hook: IsoTime, a float


def new_radio(uuid: str) -> dict:
    """The stored form of a radio the store does not have yet, before its entry applies."""
    return stored(file_form(Radio)(uuid=uuid))


RADIO_FIELDS = ("name", "ready", "timezone")  # what a radio entry changes when present
_RADIO = get_type_hints(Radio, include_extras=True)


def _radio_entry(name: str, playlist: type, jingle: type) -> type:
    """A radio entry that deletes nothing: its uuid, and each of RADIO_FIELDS, UNSET when
    absent (the stored value stays)."""
    return msgspec.defstruct(
        name,
        [("uuid", _RADIO["uuid"]), ("deleted", bool, False)]
        + [(field, _RADIO[field] | UnsetType, UNSET) for field in RADIO_FIELDS]
        + [("playlists", list[playlist], []), ("jingles", list[jingle], [])],
        kw_only=True,
        gc=False,
    )


# its playlists and jingles left to be read one by one, as each may be a deletion
RadioChanges = _radio_entry("RadioChanges", Any, Any)
# one with no deletion anywhere, read whole: a catalog's radios are read in one go
PlainRadio = _radio_entry("PlainRadio", file_form(Playlist), file_form(Jingle))


def radio_from_stored(document: dict) -> Radio:
    """The engine's view of a radio from its stored document; CatalogError (its path in
    the document) if the document breaks the schema."""
    try:
        return _shared(msgspec.convert(document, Radio))
    except msgspec.ValidationError as exc:
        raise problem(exc, document, Radio, "") from None


_decode_radio = msgspec.json.Decoder(Radio).decode


def radio_from_json(text: bytes | str) -> Radio:
    """The engine's view of a radio from its stored JSON text (store/packed_radios.py:
    the whole radio, `_id` in it), decoded straight into the struct: no dict of it is
    built (at start-up, the dict and its conversion cost a fifth of the load); a text
    that breaks the schema raises radio_from_stored's CatalogError, naming its path."""
    try:
        return _shared(_decode_radio(text))
    except msgspec.ValidationError:
        return radio_from_stored(msgspec.json.decode(text))


_FREQUENCY = next(f.default for f in msgspec.structs.fields(Song) if f.name == "frequency")

# One copy of each equal string and duration of the radios decoded since the last
# forget_shared(): artists, titles and durations repeat across a catalog's radios, and
# the store gives each anew. Not sys.intern: the interpreter's table of interned
# strings keeps an entry for each distinct one for as long as it lives (~30 MB at
# 100,000 radios of distinct titles, more than the sharing saves); this table is let
# go once the radios of a load are programmed (bench/README.md, "memory3").
_copies: dict = {}


def forget_shared() -> None:
    """Let go the table that shares the repeated values of the radios decoded so far
    (their radios keep the copies); the radios decoded next share among themselves."""
    _copies.clear()


def _shared(radio: Radio) -> Radio:
    """The radio, its repeated strings and durations (and the default frequency, a float
    the store gives anew each time) replaced by one shared copy of each."""
    share = _copies.setdefault
    if radio.timezone is not None:
        force_setattr(radio, "timezone", share(radio.timezone, radio.timezone))
    for playlist in radio.playlists:
        force_setattr(playlist, "name", share(playlist.name, playlist.name))
        for song in playlist.songs:
            if song.artist is not None:
                force_setattr(song, "artist", share(song.artist, song.artist))
            if song.title is not None:
                force_setattr(song, "title", share(song.title, song.title))
            if song.frequency == _FREQUENCY:
                force_setattr(song, "frequency", _FREQUENCY)
            force_setattr(song, "duration", share(song.duration, song.duration))
    for jingle in radio.jingles:
        force_setattr(jingle, "filename", share(jingle.filename, jingle.filename))
        if jingle.name is not None:
            force_setattr(jingle, "name", share(jingle.name, jingle.name))
    return radio
