"""What the catalog schema costs: import validation, the engine's view, its memory.

A catalog like the programming scenario's (bench/common.py: 8 songs a
radio, artists repeating, titles and filenames not) is read by each
candidate, each in a fresh process:

- validate: the catalog document (as json.loads gives it) read into the
  candidate's types, and their stored form (the dicts an import writes);
- view: the engine's view built from stored documents (fresh objects, as
  the store decodes them), the way start-up and an import program radios;
- memory: what the view keeps, per radio, once the stored documents are
  gone (tracemalloc, in a second run: it slows what it traces).

`yascheduler` is the project's own reading (catalog.entries.read_catalog
and programming.catalog_view.radio_from_stored); `--baseline DIR` measures
it in another checkout too (for example the version before the schema:
`git archive e8743fc yascheduler | tar -x -C DIR`).

    python bench/catalog_schema.py [--radios 100000] [--repeat 3] [--baseline DIR] [--json FILE]

Each time is the best of --repeat runs: the machine is shared, and a run
that others slowed says nothing about the code.
"""

import argparse
import gc
import json
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import PYTHON, catalog_document  # noqa: E402

LIBRARIES = ("msgspec (one convert)", "pydantic v2", "attrs + cattrs")


def stored_documents(document: dict) -> list[dict]:
    """The radios as the store holds them (defaults written, absent values left out),
    through JSON so that no string is shared with the catalog document."""
    stored = [
        {
            "_id": radio["uuid"],
            "ready": True,
            "name": radio["name"],
            "timezone": radio["timezone"],
            "playlists": [
                {
                    "id": playlist["id"],
                    "name": playlist["name"],
                    "enabled": True,
                    "songs": [
                        {**song, "duration": float(song["duration"]), "frequency": 0.5}
                        | {"enabled": True}
                        for song in playlist["songs"]
                    ],
                }
                for playlist in radio["playlists"]
            ],
            "jingles": [],
        }
        for radio in document["radios"]
    ]
    return json.loads(json.dumps(stored))


def jobs(name: str, baseline: str | None):
    """(validate, stored form or None when validate gives it, view builder)."""
    if name == "yascheduler":
        if baseline:  # forget the yascheduler common.py imported, to import the baseline's
            for module in [m for m in sys.modules if m.split(".")[0] == "yascheduler"]:
                del sys.modules[module]
            sys.path.insert(0, baseline)
        from yascheduler.catalog.entries import read_catalog
        from yascheduler.programming.catalog_view import radio_from_stored

        return read_catalog, None, lambda stored: [radio_from_stored(d) for d in stored]
    from catalog_candidates import CANDIDATES

    return CANDIDATES[name]


def best_of(repeat: int, function, *args) -> float:
    """The shortest of `repeat` runs, in seconds (the machine is shared: the others wait)."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = function(*args)
        best = min(best, time.perf_counter() - start)
        del result
    return best


def worker(name: str, radios: int, baseline: str | None, repeat: int) -> dict:
    validate, store, view = jobs(name, baseline)
    document = catalog_document(radios)
    figures = {"validate_s": round(best_of(repeat, validate, document), 3)}
    if store is not None:
        read = validate(document)
        figures["stored_form_s"] = round(best_of(repeat, store, read), 3)
        del read
    stored = stored_documents(document)
    figures["view_s"] = round(best_of(repeat, view, stored), 3)
    del stored
    gc.collect()
    tracemalloc.start()
    stored = stored_documents(document)
    del document
    built = view(stored)
    del stored
    gc.collect()
    figures["view_bytes_per_radio"] = round(tracemalloc.get_traced_memory()[0] / radios)
    tracemalloc.stop()
    assert len(built) == radios
    return figures


def measure(name: str, radios: int, repeat: int, baseline: str | None = None) -> dict:
    argv = [PYTHON, __file__, "--worker", name, "--radios", str(radios), "--repeat", str(repeat)]
    if baseline:
        argv += ["--baseline", baseline]
    code = subprocess.run(argv, capture_output=True, text=True, check=False)
    if code.returncode:
        raise SystemExit(f"{name}: {code.stderr}")
    return json.loads(code.stdout)


def table(results: dict, radios: int) -> str:
    lines = [
        f"| {radios:,} radios, 8 songs each | validate | stored form | import total "
        "| view build | view memory per radio |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, figures in results.items():
        stored = figures.get("stored_form_s")
        total = figures["validate_s"] + (stored or 0)
        lines.append(
            f"| {name} | {figures['validate_s']:.2f} s | "
            f"{'(in validate)' if stored is None else f'{stored:.2f} s'} | {total:.2f} s | "
            f"{figures['view_s']:.2f} s | {figures['view_bytes_per_radio']:,} B |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--radios", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measure (best)")
    parser.add_argument("--baseline", help="a checkout of yascheduler to measure too")
    parser.add_argument("--json", help="write the figures there")
    parser.add_argument("--only", action="append", help="a candidate (repeatable)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.radios, args.baseline, args.repeat)))
        return
    results = {}
    if args.baseline and not args.only:
        results["yascheduler (baseline)"] = measure(
            "yascheduler", args.radios, args.repeat, args.baseline
        )
    for name in args.only or ("yascheduler", *LIBRARIES):
        results[name] = measure(name, args.radios, args.repeat)
        print(f"{name}: {results[name]}", file=sys.stderr)
    print(table(results, args.radios))
    if args.json:
        figures = {"radios": args.radios, "songs_per_radio": 8, "repeat": args.repeat}
        figures["results"] = results
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
