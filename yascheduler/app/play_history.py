"""The play history as it is read: a radio's page of tracks (GET
/api/radios/<uuid>/history) and its CSV export (`yascheduler history export`), from the
store, so that it answers with the service stopped too."""

import csv
from datetime import UTC, datetime

from yascheduler.programming.localtime import radio_zone
from yascheduler.store.plays import StoredPlays
from yascheduler.store.radios import StoredRadios
from yascheduler.support.errors import ParameterError

PER_PAGE = 100
CSV_FIELDS = (
    "started_at_utc",
    "started_at_local",
    "kind",
    "song_id",
    "artist",
    "title",
    "file",
    "show",
    "listeners",
)


class PlayHistoryReader:
    def __init__(self, plays: StoredPlays, radios: StoredRadios, default_timezone: str):
        self._plays = plays
        self._radios = radios
        self._default_timezone = default_timezone

    def page(self, radio_uuid: str, since, until, page: int) -> dict | None:
        """The radio's tracks started from `since` until `until` (datetimes, naive in the
        radio's time zone; None: unbounded), newest first, PER_PAGE a page (from 1);
        None if the catalog has no such radio."""
        zone = self.zone(radio_uuid)
        if zone is None:
            return None
        start, end = bounds(since, until, zone)
        rows = self._plays.page(radio_uuid, start, end, (page - 1) * PER_PAGE, PER_PAGE + 1)
        return {
            "radio": radio_uuid,
            "page": page,
            "per_page": PER_PAGE,
            "more": len(rows) > PER_PAGE,
            "items": [item(row, zone) for row in rows[:PER_PAGE]],
        }

    def export(self, radio_uuid: str, since, until, out) -> int | None:
        """Write the radio's tracks from `since` until `until`, oldest first, as CSV to the
        text file `out`: how many; None if the catalog has no such radio."""
        zone = self.zone(radio_uuid)
        if zone is None:
            return None
        start, end = bounds(since, until, zone)
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_FIELDS)
        count = 0
        for row in self._plays.between(radio_uuid, start, end):
            shown = item(row, zone)
            writer.writerow(["" if shown[name] is None else shown[name] for name in CSV_FIELDS])
            count += 1
        return count

    def zone(self, radio_uuid: str):
        """The radio's time zone; None if the catalog has no such radio."""
        known, timezone = self._radios.timezone(radio_uuid)
        return radio_zone(timezone, self._default_timezone) if known else None


def bounds(since, until, zone) -> tuple[float | None, float | None]:
    """Epoch seconds of `since` and `until` (naive: in `zone`); ParameterError naming
    `until` if it is not after `since`."""
    start, end = _instant(since, zone), _instant(until, zone)
    if start is not None and end is not None and end <= start:
        raise ParameterError("until", "must be after since")
    return start, end


def item(row: dict, zone) -> dict:
    at = row["started_at"]
    return {
        "started_at": at,
        "started_at_utc": datetime.fromtimestamp(at, UTC).isoformat(),
        "started_at_local": datetime.fromtimestamp(at, zone).isoformat(),
        "kind": row["kind"],
        "song_id": row.get("song_id"),
        "artist": row.get("artist"),
        "title": row.get("title"),
        "file": row["file"],
        "show": row.get("show"),
        "lateness_ms": row.get("lateness_ms", 0.0),
        "listeners": row.get("listeners", 0),
    }


def _instant(when: datetime | None, zone) -> float | None:
    if when is None:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=zone)).timestamp()
