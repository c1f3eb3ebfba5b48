"""Parked outbox items in the HTTP API: how a request names them, how one is shown.

A request names the items by seqs, by radio or all of them, in a JSON body;
a parked item is shown with the secrets it carries hidden.
"""

import ujson

SELECTION_FORMS = '{"seqs": [1, 2]}, {"radio": "<uuid>"} or {"all": true}'
SECRET_PARAMS = ("api_key", "key")
HIDDEN = "***"


class SelectionError(ValueError):
    """A body that does not name parked items in one of SELECTION_FORMS."""


def parse_selection(body: bytes) -> dict:
    """{"seqs": (...)}, {"radio_uuid": "..."} or {} for all; SelectionError if neither."""
    try:
        given = ujson.loads(body)
    except ValueError:
        raise SelectionError(f"the body is not JSON; send {SELECTION_FORMS}") from None
    if not isinstance(given, dict):
        raise SelectionError(f"the body must be a JSON object: {SELECTION_FORMS}")
    unknown = sorted(set(given) - {"seqs", "radio", "all"})
    if unknown:
        raise SelectionError(f"unknown field {unknown[0]!r}; send {SELECTION_FORMS}")
    if len(given) != 1:
        raise SelectionError(f"name the items one way: {SELECTION_FORMS}")
    if "seqs" in given:
        return {"seqs": _seqs(given["seqs"])}
    if "radio" in given:
        radio_uuid = given["radio"]
        if not isinstance(radio_uuid, str) or not radio_uuid:
            raise SelectionError(f"radio: must be a radio uuid, not {radio_uuid!r}")
        return {"radio_uuid": radio_uuid}
    if given["all"] is not True:
        raise SelectionError(f"all: must be true, not {given['all']!r}")
    return {}


def _seqs(seqs) -> tuple[int, ...]:
    if not isinstance(seqs, list) or not seqs:
        raise SelectionError(f"seqs: must be a non-empty list of seqs, not {seqs!r}")
    for seq in seqs:
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
            raise SelectionError(f"seqs: {seq!r} is not a seq (a whole number, 1 or more)")
    return tuple(seqs)


def shown(document: dict) -> dict:
    """A stored parked item as the API shows it: its user's api_key hidden."""
    parked = document.get("parked", {})
    params = document.get("params") or {}
    return {
        "seq": document["_id"],
        "kind": document.get("kind"),
        "radio_uuid": document.get("radio_uuid"),
        "params": {
            name: HIDDEN if name in SECRET_PARAMS else value for name, value in params.items()
        },
        "created_at": document.get("created_at"),
        "parked_at": parked.get("at"),
        "status": parked.get("status"),
        "answer": parked.get("answer"),
        "attempts": parked.get("attempts"),
    }
