"""What a preview costs: 168 hours of one radio, a dry run of the engine on its copy.

The radio is a busy one: a default playlist of --songs songs of 3 to 5
minutes (artists repeating, so the separation rules work), a daily hard
show and a weekday soft show with a max wait (ordered), a weekend random
show, a jingle every three songs and an hourly one, in Europe/Paris. The
live engine plays it for two hours first, so its rotation queues and play
history are those of a radio on air. Each figure is the best of --repeat
previews: the machine is shared, and a run that others slowed says nothing
about the code.

    python bench/preview.py [--songs 100 200 500 1000] [--durations 180 300]
                            [--hours 168] [--repeat 5]
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


def busy_radio(songs: int, durations=(180.0, 300.0), seed: int = 1) -> Radio:
    rng = random.Random(seed)

    def tracks(first_id: int, count: int, ordered: bool = False):
        return tuple(
            Song(
                id=first_id + n,
                filename=f"songs/{first_id + n}.mp3",
                duration=rng.uniform(*durations),
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


def on_air(songs: int, durations) -> Programmer:
    """The live engine, two hours into playing the radio."""
    clock = FakeClock(START)
    settings = ProgrammingSettings(prepare_seconds=5.0, crossfade_seconds=2.0)
    programmer = Programmer(clock, Silent(), settings, Discarded(), random.Random(7))
    programmer.load([busy_radio(songs, durations)], {})
    until = START + 7200
    while (wait := programmer.run_due()) is not None and clock.now() + wait < until:
        clock.advance(wait)
    return programmer


def measure(songs: int, durations, hours: int, repeat: int) -> tuple[float, float, int]:
    """(best wall seconds, best CPU seconds, items) of `repeat` previews of `hours`."""
    programmer = on_air(songs, durations)
    wall = cpu = float("inf")
    for _ in range(repeat):
        began, began_cpu = time.perf_counter(), time.process_time()
        answer = preview(programmer, "busy", None, hours)
        wall = min(wall, time.perf_counter() - began)
        cpu = min(cpu, time.process_time() - began_cpu)
    return wall, cpu, len(answer["items"])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--songs", type=int, nargs="+", default=[100, 200, 500, 1000])
    parser.add_argument("--hours", type=int, default=168)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--durations",
        type=float,
        nargs=2,
        default=(180.0, 300.0),
        metavar=("MIN", "MAX"),
        help="song lengths in seconds (default 180 300)",
    )
    args = parser.parse_args(argv)
    low, high = args.durations
    print(
        f"preview of {args.hours} h of one radio, songs of {low:g} to {high:g} s, "
        f"best of {args.repeat}"
    )
    print(f"{'default songs':>14}  {'items':>6}  {'seconds':>8}  {'CPU s':>6}")
    for songs in args.songs:
        wall, cpu, items = measure(songs, args.durations, args.hours, args.repeat)
        print(f"{songs:>14}  {items:>6}  {wall:>8.3f}  {cpu:>6.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
