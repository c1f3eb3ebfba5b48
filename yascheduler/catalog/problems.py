"""A catalog entry read into its schema type, or the CatalogError CATALOG.md asks for.

msgspec checks the entry (in C) and, when it breaks a rule, tells where
(`$.songs[12].duration`). The problem is then worked out here from the
value found there and the field's type in schema.py: the wrong kind of
value ("must be a number"), a missing field ("is required"), or the first
rule (`schema.rule`) the value breaks, in the words the rule carries.
"""

import math
import re
import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin, get_type_hints

import msgspec
from msgspec import Meta, Struct, UnsetType

from yascheduler.support.errors import CatalogError

_MISSING = re.compile(r"Object missing required field `([^`]+)`")
_AT = re.compile(r" - at `\$([^`]*)`$")
_STEP = re.compile(r"\.([^.\[]+)|\[(\d+)\]")
_ABSENT = object()

KINDS = {  # what a value of the wrong kind is told
    bool: "must be true or false",
    int: "must be an integer",
    float: "must be a number",
    str: "must be a string",
    list: "must be a list",
    tuple: "must be a list",
    dict: "must be an object",
}


def read(value, kind: type, path: str, dec_hook=None):
    """`value` (a decoded JSON value) as `kind`; CatalogError(path...) if it breaks a rule.

    A null is the same as an absent field: an entry holding one that msgspec
    refuses is read again without its nulls.
    """
    try:
        return msgspec.convert(value, kind, dec_hook=dec_hook)
    except msgspec.ValidationError as exc:
        # asked of the value itself, not `without_nulls(value) != value`: NaN is not equal
        # to itself, and an entry holding one was read again for ever
        if holds_null_field(value):
            return read(without_nulls(value), kind, path, dec_hook)
        raise problem(exc, value, kind, path) from None


def join(path: str, step) -> str:
    if isinstance(step, int):
        return f"{path}[{step}]"
    return f"{path}.{step}" if path else step


def holds_null_field(value) -> bool:
    """True if one of `value`'s objects, at any depth, has a null field."""
    if isinstance(value, dict):
        return any(item is None or holds_null_field(item) for item in value.values())
    if isinstance(value, list):
        return any(holds_null_field(item) for item in value)
    return False


def without_nulls(value):
    """`value` without the null fields of its objects (nulls in lists stay: they are wrong)."""
    if isinstance(value, dict):
        return {key: without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [without_nulls(item) for item in value]
    return value


def problem(exc: msgspec.ValidationError, value, kind: type, path: str) -> CatalogError:
    message = str(exc)
    at = _AT.search(message)
    steps = [int(index) if index else name for name, index in _STEP.findall(at[1] if at else "")]
    missing = _MISSING.match(message)
    if missing:
        steps.append(missing[1])
    for step in steps:
        kind = _step_type(kind, value, step)
        value = _step_value(value, step)
        path = join(path, step)
    if value is _ABSENT:
        return CatalogError(path, "is required")
    return CatalogError(path, describe(kind, value) or message.split(" - at ")[0])


def describe(kind, value) -> str | None:
    """What is wrong with `value` as a `kind`; None if nothing we know of."""
    if isinstance(kind, _Tag):
        if not isinstance(value, str):
            return KINDS[str]
        return None if value in kind.tags else _rule_problem(kind.rules, value)
    kind, rules = _unwrapped(kind)
    options = _options(kind)
    literals = [option for option, _ in options if get_origin(option) is Literal]
    if literals:
        if value in (choice for option in literals for choice in get_args(option)):
            return None
        return _rule_problem(rules, value)
    matching = [(option, more) for option, more in options if _is_kind(option, value)]
    if not matching:  # None for a type of ours: msgspec's dec_hook said what is wrong
        return KINDS.get(_base(options[0][0]))
    option, more = matching[0]
    if _base(option) is float and not math.isfinite(_float(value)):
        return "must be a finite number"
    for meta in rules + more:
        if _breaks(meta, value):
            return _rule_problem([meta], value)
    return None


# --- walking the type and the value together ------------------------------------------


class _Tag:
    """The tag field of a tagged union: a string naming one of its structs."""

    def __init__(self, structs: list[type], rules: list[Meta]):
        self.tags = [struct.__struct_config__.tag for struct in structs]
        self.rules = rules


def _step_type(kind, value, step):
    kind, rules = _unwrapped(kind)
    options = [option for option, _ in _options(kind)]
    if isinstance(step, int):
        items = [get_args(option)[0] for option in options if get_origin(option) in (tuple, list)]
        return items[0] if items else Any
    structs = [option for option in options if _is_struct(option)]
    if not structs:
        return Any
    tag_field = structs[0].__struct_config__.tag_field
    if tag_field is None:
        return _field_types(structs[0]).get(step, Any)
    if step == tag_field:
        return _Tag(structs, rules)
    tag = value.get(tag_field) if isinstance(value, dict) else None
    chosen = [struct for struct in structs if struct.__struct_config__.tag == tag]
    return _field_types(chosen[0]).get(step, Any) if chosen else Any


def _step_value(value, step):
    if isinstance(step, int):
        return value[step] if isinstance(value, list) and step < len(value) else _ABSENT
    return value.get(step, _ABSENT) if isinstance(value, dict) else _ABSENT


def _is_struct(kind) -> bool:
    return isinstance(kind, type) and issubclass(kind, Struct)


def _field_types(struct: type) -> dict:
    hints = get_type_hints(struct, include_extras=True)
    return {
        encoded: hints[name]
        for name, encoded in zip(struct.__struct_fields__, struct.__struct_encode_fields__)
    }


def _unwrapped(kind) -> tuple[Any, list[Meta]]:
    """The type without Annotated, and the rules it carried."""
    rules = []
    while get_origin(kind) is Annotated:
        rules.extend(meta for meta in kind.__metadata__ if isinstance(meta, Meta))
        kind = get_args(kind)[0]
    return kind, rules


def _options(kind) -> list[tuple[Any, list[Meta]]]:
    """The members of a union but None and UNSET, each with its own rules; else the type."""
    if get_origin(kind) in (Union, types.UnionType):
        members = [member for member in get_args(kind) if member not in (type(None), UnsetType)]
        return [_unwrapped(member) for member in members]
    return [(kind, [])]


def _base(kind) -> type:
    if _is_struct(kind):
        return dict
    origin = get_origin(kind) or kind
    return origin if isinstance(origin, type) else object


def _is_kind(kind, value) -> bool:
    base = _base(kind)
    if base is object:
        return True
    if isinstance(value, bool):
        return base is bool
    if base is float:
        return isinstance(value, int | float)
    if base is tuple:
        return isinstance(value, list)
    return isinstance(value, base)


def _float(value) -> float:
    try:
        return float(value)
    except OverflowError:  # an int too large for a float
        return math.inf


def _breaks(meta: Meta, value) -> bool:
    size = len(value) if isinstance(value, str | list) else None
    return (
        (meta.gt is not None and not value > meta.gt)
        or (meta.ge is not None and not value >= meta.ge)
        or (meta.lt is not None and not value < meta.lt)
        or (meta.le is not None and not value <= meta.le)
        or (meta.min_length is not None and size < meta.min_length)
        or (meta.pattern is not None and not re.search(meta.pattern, value))
    )


def _rule_problem(rules: list[Meta], value) -> str | None:
    for meta in rules:
        if meta.extra and "problem" in meta.extra:
            return meta.extra["problem"].format(value=value)
    return None
