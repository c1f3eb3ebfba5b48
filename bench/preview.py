"""What a preview costs: 168 hours of one radio, a dry run of the engine on its copy.

The radio is a busy one: a default playlist of --songs songs of 3 to 5
minutes (artists repeating, so the separation rules work), a daily hard
show and a weekday soft show with a max wait (ordered), a weekend random
show, a jingle every three songs and an hourly one, in Europe/Paris. The
live engine plays it for two hours first, so its rotation queues and play
history are those of a radio on air. Each figure is the best of --repeat
previews: the machine is shared, and a run that others slowed says nothing
about the code.

    python bench/preview.py [--songs 200 1000 5000] [--hours 168] [--repeat 5]
"""

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from yascheduler.catalog.schema import (  # noqa: E402
    BetweenSongs,
    Hourly,
    Jingle,
    Playlist,
    Radio,
    Show,
    Song,
)
from yascheduler.programming import Programmer, ProgrammingSettings  # noqa: E402
from yascheduler.programming.preview import Discarded, Silent, preview  # noqa: E402
from yascheduler.support.clock import FakeClock  # noqa: E402

START = 1_780_300_000.0  # 2026-06-01, a Monday
WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI")


def busy_radio(songs: int, seed: int = 1) -> Radio:
    rng = random.Random(seed)

    def tracks(first_id: int, count: int, ordered: bool = False):
        return tuple(
            Song(
                id=first_id + n,
                filename=f"songs/{first_id + n}.mp3",
                duration=rng.uniform(180, 300),
                artist=f"artist {rng.randrange(max(1, count // 4))}",
                title=f"title {first_id + n}",
                order=n if ordered else None,
            )
            for n in range(count)
        )

    shows = (
        Show(days=(*WEEKDAYS, "SAT", "SUN"), time="20:00:00", duration=3600, start="hard"),
        Show(days=WEEKDAYS, time="07:00:00", duration=10800, max_wait=120),
        Show(days=("SAT", "SUN"), time="10:00:00", duration=7200, random_play=True),
    )
    return Radio(
        uuid="busy",
        name="Busy",
        timezone="Europe/Paris",
        playlists=(
            Playlist(id=1, name="default", songs=tracks(1, songs)),
            Playlist(id=2, name="Evening", show=shows[0], songs=tracks(100_000, 12, True)),
            Playlist(id=3, name="Morning", show=shows[1], songs=tracks(200_000, 40, True)),
            Playlist(id=4, name="Weekend", show=shows[2], songs=tracks(300_000, 60)),
        ),
        jingles=(
            Jingle(id="id", filename="j/id.mp3", duration=6.0, schedule=(BetweenSongs(range=3),)),
            Jingle(id="hour", filename="j/hour.mp3", duration=8.0, schedule=(Hourly(),)),
        ),
    )


def on_air(songs: int) -> Programmer:
    """The live engine, two hours into playing the radio."""
    clock = FakeClock(START)
    settings = ProgrammingSettings(prepare_seconds=5.0, crossfade_seconds=2.0)
    programmer = Programmer(clock, Silent(), settings, Discarded(), random.Random(7))
    programmer.load([busy_radio(songs)], {})
    until = START + 7200
    while (wait := programmer.run_due()) is not None and clock.now() + wait < until:
        clock.advance(wait)
    return programmer


def measure(songs: int, hours: int, repeat: int) -> tuple[float, int]:
    """(best seconds, items) of `repeat` previews of `hours`."""
    programmer = on_air(songs)
    best, count = float("inf"), 0
    for _ in range(repeat):
        began = time.perf_counter()
        answer = preview(programmer, "busy", None, hours)
        best = min(best, time.perf_counter() - began)
        count = len(answer["items"])
    return best, count


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--songs", type=int, nargs="+", default=[200, 1000, 5000])
    parser.add_argument("--hours", type=int, default=168)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    print(f"preview of {args.hours} h of one radio, best of {args.repeat}")
    print(f"{'default songs':>14}  {'items':>6}  {'seconds':>8}")
    for songs in args.songs:
        seconds, items = measure(songs, args.hours, args.repeat)
        print(f"{songs:>14}  {items:>6}  {seconds:>8.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
