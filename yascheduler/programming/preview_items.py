"""A preview's answer: the segments a dry run started, as items with their marks, and
the clock changes of the radio's zone in the stretch previewed.

Nothing here decides what plays: the segments, and the notes about them (a
show's first song, a rule broken, a repeat, dead air), are what the dry
run's engine told (preview.Record). This says what they are and why each
one ends where it ends.
"""

from datetime import datetime, time, timedelta

from .catalog_view import WEEKDAYS, Radio
from .interface import ProgrammingSettings
from .jingles import hourly_jingle
from .localtime import offset_changes, wall_clock_instant
from .rotation import RULES
from .segments import ends_at, natural_boundary
from .show_starts import HARD, MAX_WAIT
from .shows import on_air, show_playlists
from .timeline import Segment, Timeline

RULE_NAMES = dict(zip(RULES, ("3-hour repeat window", "title separation", "artist separation")))
ON_TIME = 0.001  # seconds: a start this close to its plan is on time
SONG, SHOW_SONG, JINGLE, HOURLY, DEAD_AIR = (
    "song",
    "show song",
    "jingle",
    "hourly jingle",
    "dead air",
)


def items(
    radio: Radio,
    zone,
    settings: ProgrammingSettings,
    record,
    timeline: Timeline,
    begin: float,
    until: float,
    changes: list[dict],
) -> list[dict]:
    """The segments that play between `begin` and `until`, and the stretches of dead air;
    each clock change of `changes` (clock_changes) marked on the item playing then."""
    describe = _Describer(radio, zone, settings, record)
    segments = record.segments
    rows, show = [], None
    for index, segment in enumerate(segments):
        following = segments[index + 1] if index + 1 < len(segments) else None
        end = _end(segment, following, timeline)
        row = describe.item(segment, end, following, show)
        show = row["show"]
        if end > begin and segment.starts_at < until:
            rows.append(row)
    for start, end in record.broken:
        end = until if end is None else end
        if end > begin and start < until:
            rows.append(describe.dead_air(start, end))
    rows.sort(key=lambda row: row["start"])
    _mark_clock_changes(rows, changes)
    return rows


def _end(segment: Segment, following: Segment | None, timeline: Timeline) -> float:
    """Where the segment stops: where the next one takes over, else its own end."""
    if following is not None:
        return min(following.starts_at, ends_at(segment))
    if timeline.current is segment and not timeline.broken and timeline.boundary is not None:
        return timeline.boundary
    return ends_at(segment)


class _Describer:
    def __init__(self, radio: Radio, zone, settings: ProgrammingSettings, record):
        self._radio, self._zone, self._record = radio, zone, record
        self._crossfade = settings.crossfade_seconds
        self._songs = {(p.id, s.id): s for p in radio.playlists for s in p.songs}
        self._playlists = {playlist.id: playlist for playlist in radio.playlists}
        self._jingles = {jingle.id: jingle for jingle in radio.jingles}
        hourly = hourly_jingle(radio)
        self._hourly_id = None if hourly is None else hourly.id

    def item(self, segment: Segment, end: float, following, show) -> dict:
        row = self._base(segment.starts_at, end)
        if segment.kind == "jingle":
            jingle = self._jingles.get(segment.jingle_id)
            row.update(
                kind=HOURLY if segment.jingle_id == self._hourly_id else JINGLE,
                jingle_id=segment.jingle_id,
                title=None if jingle is None else jingle.name,
                show=self._show_continuing(show, segment.starts_at),
            )
        else:
            song = self._songs.get((segment.playlist_id, segment.song_id))
            playlist = self._playlists.get(segment.playlist_id)
            in_show = playlist is not None and playlist.show is not None
            row.update(
                kind=SHOW_SONG if in_show else SONG,
                song_id=segment.song_id,
                artist=None if song is None else song.artist,
                title=None if song is None else song.title,
                show={"playlist_id": playlist.id, "name": playlist.name} if in_show else None,
            )
        row.update(file=segment.filename, offset=segment.offset)
        if segment.resumed:
            row["marks"].append(_mark("resumed", f"resumes {segment.offset:.0f} s in"))
        for note in self._record.notes.get(segment.starts_at, ()) if segment.kind == "song" else ():
            row["marks"].append(self._note(note, segment.starts_at))
        if following is not None and following.starts_at < natural_boundary(
            segment, self._crossfade
        ):
            row["marks"].append(self._cut(following))
        return row

    def dead_air(self, start: float, end: float) -> dict:
        row = self._base(start, end)
        row.update(kind=DEAD_AIR)
        row["marks"].append(
            _mark("dead_air", "nothing playable: silent until a show with songs starts")
        )
        return row

    def _base(self, start: float, end: float) -> dict:
        return {
            "start": start,
            "start_local": local_iso(start, self._zone),
            "end": end,
            "kind": None,
            "song_id": None,
            "jingle_id": None,
            "artist": None,
            "title": None,
            "file": None,
            "offset": 0.0,
            "show": None,
            "marks": [],
        }

    def _show_continuing(self, show: dict | None, at: float) -> dict | None:
        """A jingle belongs to the show whose song it follows, while that show is on air."""
        if show is None:
            return None
        on = on_air(self._radio, self._zone, at)
        return show if on is not None and on.playlist.id == show["playlist_id"] else None

    def _note(self, note: tuple, at: float) -> dict:
        what = note[0]
        if what == "show_start":
            return self._show_start(*note[1:], at)
        if what == "rule_broken":
            rule = note[1]
            return _mark(
                "rule_broken", f"breaks the {RULE_NAMES[rule]}: no song kept it", rule=rule
            )
        seconds = note[1]
        return _mark("repeat", f"played {seconds / 60:.0f} min before", seconds=round(seconds, 3))

    def _show_start(self, playlist_id: int, planned_at: float, cut: str | None, at: float) -> dict:
        playlist = self._playlists[playlist_id]
        late = max(0.0, at - planned_at)
        planned = datetime.fromtimestamp(planned_at, self._zone).strftime("%H:%M:%S")
        if cut == HARD:
            text = (
                f"show {playlist.name!r} starts at {planned}: hard start, the song playing is cut"
            )
        elif cut == MAX_WAIT:
            text = (
                f"show {playlist.name!r} (at {planned}) starts {late:.0f} s late, "
                "its max wait: the song playing is cut"
            )
        elif late < ON_TIME:
            text = f"show {playlist.name!r} starts on time, at {planned}"
        else:
            text = (
                f"show {playlist.name!r} (at {planned}) starts {late:.0f} s late: "
                "a soft start waits for the end of the song playing"
            )
        return _mark(
            "show_start",
            text,
            show=playlist.name,
            planned_at=planned_at,
            planned_local=local_iso(planned_at, self._zone),
            late_seconds=round(late, 3),
            start=playlist.show.start,
            cut=cut,
        )

    def _cut(self, following: Segment) -> dict:
        at = datetime.fromtimestamp(following.starts_at, self._zone).strftime("%H:%M:%S")
        if following.kind == "jingle" and following.jingle_id == self._hourly_id:
            return _mark("cut", f"cut at {at} by the hourly jingle; resumes after it", by="hourly")
        for note in self._record.notes.get(following.starts_at, ()):
            if note[0] == "show_start" and note[3] is not None:
                name = self._playlists[note[1]].name
                why = "hard start" if note[3] == HARD else "max wait"
                return _mark("cut", f"cut at {at} by the {why} of show {name!r}", by=note[3])
        return _mark("cut", f"cut at {at}", by=None)


def _mark(mark: str, text: str, **details) -> dict:
    return {"mark": mark, "text": text, **details}


# --- clock changes --------------------------------------------------------------------


def clock_changes(radio: Radio, zone, begin: float, until: float) -> list[dict]:
    """The zone's clock changes between `begin` and `until`, and what the radio does."""
    changes = []
    for at, before, after in offset_changes(zone, begin, until):
        wall_after = datetime.fromtimestamp(at, zone).replace(tzinfo=None)
        wall_before = wall_after - timedelta(seconds=after - before)
        low, high = sorted((wall_before, wall_after))
        shift = _span(abs(after - before))
        stretch = f"{low:%H:%M}-{high:%H:%M}"
        if after > before:
            text = (
                f"clocks go forward {shift} at {wall_before:%H:%M} (to {wall_after:%H:%M}): "
                f"{stretch} is skipped; a show set in it starts at {high:%H:%M}, when clocks "
                "resume; the hourly jingle plays at each hour the clocks show"
            )
        else:
            text = (
                f"clocks go back {shift} at {wall_before:%H:%M} (to {wall_after:%H:%M}): "
                f"{stretch} comes twice; a show set in it starts the first time only; the "
                "hourly jingle plays at each hour the clocks show, twice in that stretch"
            )
        changes.append(
            {
                "at": at,
                "at_local": local_iso(at, zone),
                "change": "forward" if after > before else "back",
                "text": text + "; shows last their duration in seconds",
                "shows": _shows_in(radio, zone, low, high),
            }
        )
    return changes


def _shows_in(radio: Radio, zone, low: datetime, high: datetime) -> list[dict]:
    """The shows set at a wall-clock time in [low, high), and when they start."""
    found = []
    for playlist in show_playlists(radio):
        show = playlist.show
        wall = time.fromisoformat(show.time)
        for day in sorted({low.date(), high.date()}):
            if WEEKDAYS[day.weekday()] in show.days and low <= datetime.combine(day, wall) < high:
                starts_at = wall_clock_instant(day, wall, zone)
                found.append(
                    {
                        "show": playlist.name,
                        "time": show.time,
                        "starts_at": starts_at,
                        "starts_local": local_iso(starts_at, zone),
                    }
                )
    return found


def _mark_clock_changes(rows: list[dict], changes: list[dict]) -> None:
    for change in changes:
        for row in rows:
            if row["start"] <= change["at"] < row["end"]:
                row["marks"].append(_mark("clock_change", change["text"]))
                break


def _span(seconds: float) -> str:
    return f"{seconds / 3600:g} h" if seconds % 3600 == 0 else f"{seconds / 60:g} min"


def local_iso(instant: float, zone) -> str:
    return datetime.fromtimestamp(instant, zone).isoformat()
