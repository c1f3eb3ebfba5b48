"""The read side of the HTTP API: what the dashboard and /api/* show.

Each function takes the service's read model (app.read_model: snapshots)
and the request's query parameters (a dict of str to str) and returns a
JSON-able dict. A parameter that cannot
be understood raises ParameterError, which the HTTP API answers with 400.

Platforms have up to hundreds of thousands of radios: lists are filtered
and sorted on cheap keys (uuid, broken flag, master) and the full view is
built only for the radios of the page asked for.
"""

import itertools
from datetime import datetime

from yascheduler.support.errors import ParameterError

from . import outbox as outbox_admin

DEFAULT_PER_PAGE = 50
SCHEDULE_HOURS, MAX_SCHEDULE_HOURS = 24, 168
MAX_PER_PAGE = 500
RADIO_STATES = ("all", "streaming", "broken", "idle")
# /api/streamers lists at most this many uuids per streamer; /api/radios?streamer= has them all
STREAMER_RADIOS_SHOWN = 100


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


def iso_time(params: dict, name: str) -> datetime | None:
    """An ISO 8601 time (with its offset, or naive: the caller says in which zone)."""
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        raise ParameterError(name, f"not an ISO 8601 time: {raw!r}") from None


def choice(params: dict, name: str, choices: tuple[str, ...]) -> str:
    value = params.get(name) or choices[0]
    if value not in choices:
        raise ParameterError(name, f"must be one of {', '.join(choices)}, not {value!r}")
    return value


def page_of(items, page: int, per_page: int) -> list:
    start = (page - 1) * per_page
    return list(itertools.islice(items, start, start + per_page))


# --- the views ----------------------------------------------------------------------------


def status(reader, params: dict | None = None) -> dict:
    return reader.status()


def instances(reader, params: dict | None = None) -> dict:
    """Every instance of the fleet: alive or not, its last heartbeat, what it holds."""
    return {"instances": reader.instances(), "server_time": reader.now()}


def radio_state(broken, master) -> str:
    """broken (nothing playable, streamed or not), streaming (it has a master), or idle."""
    if broken:
        return "broken"
    return "streaming" if master is not None else "idle"


def radio(reader, radio_uuid: str) -> dict | None:
    """The radio now, with its state; None if not programmed."""
    view = reader.radio(radio_uuid)
    if view is None:
        return None
    return {
        **view,
        "state": radio_state(view["broken"], view["master_streamer"]),
        "server_time": reader.now(),
    }


def radios(reader, params: dict) -> dict:
    """A page of radios: broken first, then by uuid, filtered by state, text and master."""
    state = choice(params, "state", RADIO_STATES)
    page, per_page = paging(params)
    text = (params.get("q") or "").strip().lower()
    streamer = params.get("streamer") or None
    index = reader.radio_index()
    masters, broken, uuids = index.masters, index.broken, index.uuids
    counts = state_counts(index)
    if streamer is not None:
        uuids = [uuid for uuid in uuids if masters.get(uuid) == streamer]
    if text:
        uuids = [uuid for uuid in uuids if text in index.search_keys[uuid]]
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
    rows = [radio(reader, uuid) for uuid in page_of(selected, page, per_page)]
    return {
        "total": total,
        "page": page,
        "per_page": per_page,
        "state": state,
        "counts": counts,
        "radios": [row for row in rows if row is not None],
        "server_time": reader.now(),
    }


def state_counts(index) -> dict:
    """How many radios are in each state, whatever the other filters."""
    programmed = index.search_keys  # one key a programmed radio
    streaming = sum(1 for uuid in index.masters if uuid not in index.broken and uuid in programmed)
    total = len(index.uuids)
    return {
        "all": total,
        "broken": len(index.broken),
        "streaming": streaming,
        "idle": total - len(index.broken) - streaming,
    }


def schedule(reader, radio_uuid: str, params: dict) -> dict | None:
    """What the radio will play (?hours=1..168, default 24; ?from=ISO time, naive in the
    radio's time zone, default now); None if not programmed."""
    hours = positive_int(params, "hours", SCHEDULE_HOURS, MAX_SCHEDULE_HOURS)
    start = iso_time(params, "from")
    answer = reader.schedule(radio_uuid, start, hours)
    if answer is None:
        return None
    return {**answer, "server_time": reader.now()}


def history(reader, radio_uuid: str, params: dict) -> dict | None:
    """The tracks the radio started, newest first, 100 a page (?page=, from 1), from
    ?since= until ?until= (ISO 8601 times, naive in the radio's time zone); None if the
    catalog has no such radio."""
    page = positive_int(params, "page", 1)
    since, until = iso_time(params, "since"), iso_time(params, "until")
    return reader.history.page(radio_uuid, since, until, page)


def requests(reader, radio_uuid: str, params: dict) -> dict | None:
    """The radio's pending listener requests, oldest first, each with its planned start;
    None if the radio is not programmed."""
    answer = reader.requests.pending(radio_uuid)
    return None if answer is None else {**answer, "server_time": reader.now()}


def streamers(reader, params: dict | None = None) -> dict:
    """Every registered streamer: alive or missing, when last heard from, the radios it holds."""
    now = reader.now()
    rows = []
    for row in reader.streamers():
        last_seen_at = row["last_seen_at"]
        rows.append(
            {
                "name": row["name"],
                "state": row["state"],
                "last_seen_at": last_seen_at,
                "seen_seconds_ago": None if last_seen_at is None else round(now - last_seen_at, 3),
                "radio_count": len(row["radios"]),
                "radios": list(row["radios"][:STREAMER_RADIOS_SHOWN]),
            }
        )
    return {
        "streamers": rows,
        "ping_interval": reader.settings.ping_interval,
        "server_time": now,
    }


def listeners(reader, params: dict) -> dict:
    """Open listening sessions, oldest first; of one radio with ?radio=<uuid>."""
    page, per_page = paging(params)
    radio_uuid = params.get("radio") or None
    now = reader.now()
    total, sessions = reader.listeners(radio_uuid, (page - 1) * per_page, per_page)
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
            for session in sessions
        ],
        "server_time": now,
    }


def events(reader, params: dict) -> dict:
    """The scheduler's pending events, soonest first, its depth and its lateness."""
    page, per_page = paging(params)
    now = reader.now()
    total, pending, lateness = reader.events((page - 1) * per_page, per_page)
    return {
        "total": total,
        "page": page,
        "per_page": per_page,
        "events": [
            {"radio_uuid": uuid, "kind": kind, "at": at, "in_seconds": round(at - now, 3)}
            for at, uuid, kind in pending
        ],
        "lateness": lateness,
        "server_time": now,
    }


def outbox_parked(reader, params: dict) -> dict:
    """Parked web app notifications, oldest first; of one radio with ?radio=<uuid>."""
    page, per_page = paging(params)
    radio_uuid = params.get("radio") or None
    total, documents = reader.parked(radio_uuid, (page - 1) * per_page, per_page)
    return {
        "total": total,
        "page": page,
        "per_page": per_page,
        "radio": radio_uuid,
        "items": [outbox_admin.shown(document) for document in documents],
        "server_time": reader.now(),
    }


def series(reader, params: dict) -> dict:
    """The last hour's samples (app.series), a column a figure; with ?radio=<uuid> that
    radio's listeners too (None where it was not among the radios a sample kept)."""
    radio_uuid = params.get("radio") or None
    if radio_uuid is not None and not reader.is_programmed(radio_uuid):
        raise ParameterError("radio", f"not a programmed radio: {radio_uuid!r}")
    interval, window, samples = reader.series()
    return {
        "interval": interval,
        "window": window,
        "at": [sample.at for sample in samples],
        "plays": [sample.plays for sample in samples],
        "lateness_p50_ms": [sample.lateness_p50_ms for sample in samples],
        "lateness_p99_ms": [sample.lateness_p99_ms for sample in samples],
        "lateness_max_ms": [sample.lateness_max_ms for sample in samples],
        "listeners": [sample.listeners for sample in samples],
        "radio": radio_uuid,
        "radio_listeners": None
        if radio_uuid is None
        else [sample.listeners_of(radio_uuid) for sample in samples],
        "server_time": reader.now(),
    }
