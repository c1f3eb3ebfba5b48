"""The read side of the HTTP API: what the dashboard and /api/* show.

Each function takes the service and the request's query parameters (a
dict of str to str) and returns a JSON-able dict. A parameter that cannot
be understood raises ParameterError, which the HTTP API answers with 400.

Platforms have up to hundreds of thousands of radios: lists are filtered
and sorted on cheap keys (uuid, broken flag, master) and the full view is
built only for the radios of the page asked for.
"""

import itertools

from . import outbox as outbox_admin

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 500
RADIO_STATES = ("all", "streaming", "broken", "idle")
# /api/streamers lists at most this many uuids per streamer; /api/radios?streamer= has them all
STREAMER_RADIOS_SHOWN = 100


class ParameterError(ValueError):
    def __init__(self, parameter: str, message: str):
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter


# --- query parameters -------------------------------------------------------------------


def positive_int(params: dict, name: str, default: int, maximum: int | None = None) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw, 10)
    except ValueError:
        raise ParameterError(name, f"not a whole number: {raw!r}") from None
    if value < 1:
        raise ParameterError(name, f"must be 1 or more, not {value}")
    if maximum is not None and value > maximum:
        raise ParameterError(name, f"must be {maximum} at most, not {value}")
    return value


def paging(params: dict) -> tuple[int, int]:
    return (
        positive_int(params, "page", 1),
        positive_int(params, "per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE),
    )


def choice(params: dict, name: str, choices: tuple[str, ...]) -> str:
    value = params.get(name) or choices[0]
    if value not in choices:
        raise ParameterError(name, f"must be one of {', '.join(choices)}, not {value!r}")
    return value


def page_of(items, page: int, per_page: int) -> list:
    start = (page - 1) * per_page
    return list(itertools.islice(items, start, start + per_page))


# --- the views ----------------------------------------------------------------------------


def status(service, params: dict | None = None) -> dict:
    return {
        **service.status(),
        "server_time": service.clock.now(),
        "outbox_enabled": service.notifier.enabled,
        "outbox_oldest_at": service.notifier.outbox.oldest_created_at(),
        "ping_interval": service.settings.ping_interval,
    }


def radio_state(broken, master) -> str:
    """broken (nothing playable, streamed or not), streaming (it has a master), or idle."""
    if broken:
        return "broken"
    return "streaming" if master is not None else "idle"


def radio(service, radio_uuid: str) -> dict | None:
    """The radio now, as Service.radio_view, with its name and state; None if not programmed."""
    view = service.radio_view(radio_uuid)
    if view is None:
        return None
    return {
        "uuid": radio_uuid,
        "name": service.programmer.radio_name(radio_uuid),
        "state": radio_state(view["broken"], view["master_streamer"]),
        **view,
        "server_time": service.clock.now(),
    }


def radios(service, params: dict) -> dict:
    """A page of radios: broken first, then by uuid, filtered by state, text and master."""
    state = choice(params, "state", RADIO_STATES)
    page, per_page = paging(params)
    text = (params.get("q") or "").strip().lower()
    streamer = params.get("streamer") or None
    programmer = service.programmer
    masters = service.streams.masters
    broken = programmer.broken_uuids()
    uuids = programmer.radio_uuids()
    counts = state_counts(programmer, masters, broken, len(uuids))
    if streamer is not None:
        uuids = [uuid for uuid in uuids if masters.get(uuid) == streamer]
    if text:
        keys = programmer.search_keys()
        uuids = [uuid for uuid in uuids if text in keys[uuid]]
    if state == "all":
        total = len(uuids)
        if streamer is not None or text:
            broken_first = [uuid for uuid in uuids if uuid in broken]
        else:  # every broken radio is in the list: no need to look for them
            broken_first = sorted(broken)
        selected = (
            itertools.chain(broken_first, (uuid for uuid in uuids if uuid not in broken))
            if broken_first
            else uuids
        )
    else:
        if state == "broken":
            filtered = streamer is not None or text
            selected = [uuid for uuid in uuids if uuid in broken] if filtered else sorted(broken)
        elif state == "streaming":
            selected = [uuid for uuid in uuids if uuid in masters and uuid not in broken]
        else:
            selected = [uuid for uuid in uuids if uuid not in masters and uuid not in broken]
        total = len(selected)
    rows = [radio(service, uuid) for uuid in page_of(selected, page, per_page)]
    return {
        "total": total,
        "page": page,
        "per_page": per_page,
        "state": state,
        "counts": counts,
        "radios": [row for row in rows if row is not None],
        "server_time": service.clock.now(),
    }


def state_counts(programmer, masters: dict, broken: set, total: int) -> dict:
    """How many radios are in each state, whatever the other filters."""
    streaming = sum(1 for uuid in masters if uuid not in broken and programmer.is_programmed(uuid))
    return {
        "all": total,
        "broken": len(broken),
        "streaming": streaming,
        "idle": total - len(broken) - streaming,
    }


def streamers(service, params: dict | None = None) -> dict:
    """Every registered streamer: alive or missing, when last heard from, the radios it holds."""
    now = service.clock.now()
    held: dict[str, list[str]] = {}
    for radio_uuid, master in service.streams.masters.items():
        held.setdefault(master, []).append(radio_uuid)
    rows = []
    for name in service.streamers.names():
        last_seen_at = service.streamers.last_seen(name)
        radio_uuids = sorted(held.get(name, ()))
        rows.append(
            {
                "name": name,
                "state": service.streamers.liveness(name),
                "last_seen_at": last_seen_at,
                "seen_seconds_ago": None if last_seen_at is None else round(now - last_seen_at, 3),
                "radio_count": len(radio_uuids),
                "radios": radio_uuids[:STREAMER_RADIOS_SHOWN],
            }
        )
    return {
        "streamers": rows,
        "ping_interval": service.streamers.ping_interval,
        "server_time": now,
    }


def listeners(service, params: dict) -> dict:
    """Open listening sessions, oldest first; of one radio with ?radio=<uuid>."""
    page, per_page = paging(params)
    radio_uuid = params.get("radio") or None
    now = service.clock.now()
    if radio_uuid is None:
        sessions, total = service.listeners.sessions.values(), service.listeners.count()
    else:
        sessions = service.listeners.of_radio(radio_uuid)
        total = len(sessions)
    return {
        "total": total,
        "page": page,
        "per_page": per_page,
        "radio": radio_uuid,
        "listeners": [
            {
                "session_id": session.session_id,
                "streamer": session.streamer,
                "radio_uuid": session.radio_uuid,
                "user_id": session.user_id,
                "started_at": session.started_at,
                "seconds": max(0, int(now - session.started_at)),
            }
            for session in page_of(sessions, page, per_page)
        ],
        "server_time": now,
    }


def events(service, params: dict) -> dict:
    """The scheduler's pending events, soonest first, its depth and its lateness."""
    page, per_page = paging(params)
    programmer = service.programmer
    now = service.clock.now()
    pending = programmer.pending_events(page * per_page)
    return {
        "total": programmer.pending_count(),
        "page": page,
        "per_page": per_page,
        "events": [
            {"radio_uuid": uuid, "kind": kind, "at": at, "in_seconds": round(at - now, 3)}
            for at, uuid, kind in pending[(page - 1) * per_page :]
        ],
        "lateness": programmer.recent_lateness(),
        "server_time": now,
    }


def outbox_parked(service, params: dict) -> dict:
    """Parked web app notifications, oldest first; of one radio with ?radio=<uuid>."""
    page, per_page = paging(params)
    radio_uuid = params.get("radio") or None
    total, documents = service.notifier.outbox.parked_page(
        radio_uuid, (page - 1) * per_page, per_page
    )
    return {
        "total": total,
        "page": page,
        "per_page": per_page,
        "radio": radio_uuid,
        "items": [outbox_admin.shown(document) for document in documents],
        "server_time": service.clock.now(),
    }
