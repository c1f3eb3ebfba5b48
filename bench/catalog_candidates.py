"""The libraries weighed for the catalog schema (bench/catalog_schema.py), each as a
candidate with the same three jobs: validate a catalog's radios, give their stored
form, and build the engine's view from stored documents.

Each models the fields of CATALOG.md with the constraints the library can
express (types, bounds, patterns, days, the jingle schedule's types);
the rules none of them express (a known time zone, ids unique across the
file, valid Unicode) are left out of all three alike, so the figures
compare the libraries and not the rules. `yascheduler` is the project's
own code, the whole import reading (bench/catalog_schema.py).
"""

import sys
from typing import Annotated, Literal

import attrs
import cattrs
import msgspec
import pydantic
from pydantic import ConfigDict, Field

WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
MAX = sys.float_info.max
NONEMPTY = r"\S"


# --- msgspec, the whole document in one convert -----------------------------------------


class _M(msgspec.Struct, frozen=True, gc=False):
    pass


MInt = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]
MSeconds = Annotated[float, msgspec.Meta(gt=0, le=MAX)]
MName = Annotated[str, msgspec.Meta(pattern=NONEMPTY)]


class MSong(_M):
    id: MInt
    filename: MName
    duration: MSeconds
    artist: str | None = None
    title: str | None = None
    frequency: Annotated[float, msgspec.Meta(ge=0, le=1)] = 0.5
    enabled: bool = True
    order: MInt | None = None
    last_play_time: float | None = None


class MShow(_M):
    days: Annotated[tuple[Literal[WEEKDAYS], ...], msgspec.Meta(min_length=1)]
    time: Annotated[str, msgspec.Meta(pattern=r"^(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$")]
    duration: Annotated[float, msgspec.Meta(gt=0, le=7 * 86400)]
    random_play: bool = False
    enabled: bool = True


class MPlaylist(_M):
    id: MInt
    name: MName
    enabled: bool = True
    show: MShow | None = None
    songs: tuple[MSong, ...] = ()


class MRadio(_M):
    uuid: MName = msgspec.field(name="_id")
    name: str | None = None
    ready: bool = True
    timezone: MName | None = None
    playlists: tuple[MPlaylist, ...] = ()


def _file_radios(document: dict) -> list[dict]:
    """The file's radios, their uuid as the stored `_id` (the models below have one name)."""
    return [{**radio, "_id": radio["uuid"]} for radio in document.get("radios", [])]


def msgspec_validate(document: dict):
    return msgspec.convert(_file_radios(document), list[MRadio])


def msgspec_stored(radios) -> list:
    return msgspec.to_builtins(radios)


def msgspec_view(stored: list[dict]) -> list:
    return [msgspec.convert(document, MRadio) for document in stored]


# --- pydantic v2 (strict: lists for JSON arrays, as a tuple would take none) ---------------


class _P(pydantic.BaseModel):
    model_config = ConfigDict(frozen=True, strict=True, populate_by_name=True)


PInt = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]
PSeconds = Annotated[float, Field(gt=0, allow_inf_nan=False)]
PName = Annotated[str, Field(pattern=NONEMPTY)]


class PSong(_P):
    id: PInt
    filename: PName
    duration: PSeconds
    artist: str | None = None
    title: str | None = None
    frequency: Annotated[float, Field(ge=0, le=1)] = 0.5
    enabled: bool = True
    order: PInt | None = None
    last_play_time: float | None = None


class PShow(_P):
    days: Annotated[list[Literal[WEEKDAYS]], Field(min_length=1)]
    time: Annotated[str, Field(pattern=r"^(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$")]
    duration: Annotated[float, Field(gt=0, le=7 * 86400)]
    random_play: bool = False
    enabled: bool = True


class PPlaylist(_P):
    id: PInt
    name: PName
    enabled: bool = True
    show: PShow | None = None
    songs: list[PSong] = []


class PRadio(_P):
    uuid: PName = Field(alias="_id")
    name: str | None = None
    ready: bool = True
    timezone: PName | None = None
    playlists: list[PPlaylist] = []


_P_FILE = pydantic.TypeAdapter(list[PRadio])


def pydantic_validate(document: dict):
    return _P_FILE.validate_python(_file_radios(document))


def pydantic_stored(radios) -> list:
    return _P_FILE.dump_python(radios, exclude_none=True, by_alias=True)


_P_VIEW = pydantic.TypeAdapter(PRadio)


def pydantic_view(stored: list[dict]) -> list:
    return [_P_VIEW.validate_python(document) for document in stored]


# --- attrs + cattrs -------------------------------------------------------------------------

_v = attrs.validators


def _positive(_instance, attribute, value):
    if not 0 < value <= MAX:
        raise ValueError(f"{attribute.name} must be > 0")


def _frequency(_instance, attribute, value):
    if not 0 <= value <= 1:
        raise ValueError(f"{attribute.name} must be between 0 and 1")


_name = _v.matches_re(r"(?s).*\S.*")


@attrs.frozen
class ASong:
    id: int = attrs.field(validator=_v.instance_of(int))
    filename: str = attrs.field(validator=_name)
    duration: float = attrs.field(validator=_positive)
    artist: str | None = None
    title: str | None = None
    frequency: float = attrs.field(default=0.5, validator=_frequency)
    enabled: bool = True
    order: int | None = None
    last_play_time: float | None = None


@attrs.frozen
class AShow:
    days: tuple[str, ...] = attrs.field(validator=_v.deep_iterable(_v.in_(WEEKDAYS)))
    time: str = attrs.field(validator=_v.matches_re(r"(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"))
    duration: float = attrs.field(validator=_positive)
    random_play: bool = False
    enabled: bool = True


@attrs.frozen
class APlaylist:
    id: int = attrs.field(validator=_v.instance_of(int))
    name: str = attrs.field(validator=_name)
    enabled: bool = True
    show: AShow | None = None
    songs: tuple[ASong, ...] = ()


@attrs.frozen
class ARadio:
    uuid: str = attrs.field(validator=_name)
    name: str | None = None
    ready: bool = True
    timezone: str | None = None
    playlists: tuple[APlaylist, ...] = ()


_A = cattrs.Converter(forbid_extra_keys=False)
_A.register_structure_hook(
    ARadio, cattrs.gen.make_dict_structure_fn(ARadio, _A, uuid=cattrs.gen.override(rename="_id"))
)
_A.register_unstructure_hook(
    ARadio,
    cattrs.gen.make_dict_unstructure_fn(ARadio, _A, uuid=cattrs.gen.override(rename="_id")),
)


def attrs_validate(document: dict):
    return _A.structure(_file_radios(document), list[ARadio])


def attrs_stored(radios) -> list:
    return _without_none(_A.unstructure(radios))


def attrs_view(stored: list[dict]) -> list:
    return [_A.structure(document, ARadio) for document in stored]


def _without_none(value):
    if isinstance(value, dict):
        return {key: _without_none(item) for key, item in value.items() if item is not None}
    if isinstance(value, list | tuple):
        return [_without_none(item) for item in value]
    return value


CANDIDATES = {
    "msgspec (one convert)": (msgspec_validate, msgspec_stored, msgspec_view),
    "pydantic v2": (pydantic_validate, pydantic_stored, pydantic_view),
    "attrs + cattrs": (attrs_validate, attrs_stored, attrs_view),
}
