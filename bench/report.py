"""The benchmark figures as a markdown table and a chart."""

import sys
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parent))


def markdown(results: dict) -> str:
    lines = ["| scenario | figure | value | unit |", "|---|---|---|---|"]
    for scenario, figures in results.items():
        for name, item in figures.items():
            if name.startswith("_") or not isinstance(item, dict) or "value" not in item:
                continue
            value = item["value"]
            shown = (
                "—"
                if value is None
                else (
                    f"{value:,.3g}"
                    if isinstance(value, float) and abs(value) < 100
                    else (
                        f"{value:,.0f}"
                        if isinstance(value, float)
                        else f"{value:,}"
                        if isinstance(value, int)
                        else str(value)
                    )
                )
            )
            lines.append(f"| {scenario} | {name} | {shown} | {item['unit']} |")
    return "\n".join(lines)


def chart(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    curves = results.get("messages", {}).get("_curves", {})
    for label, steps in curves.items():
        style = "-" if label.startswith("yascheduler") else "--"
        left.plot(
            [s["offered_per_s"] for s in steps],
            [s["reply_rate"] for s in steps],
            style,
            marker="o",
            label=label,
        )
    top = max([s["offered_per_s"] for steps in curves.values() for s in steps] or [1])
    left.plot([0, top], [0, top], ":", color="grey", label="every message answered")
    left.set_xlabel("offered messages/s")
    left.set_ylabel("replies/s")
    left.set_title("Round-trip throughput (yascheduler vs echo baseline)")
    left.legend(fontsize=7)
    programming = results.get("programming", {})
    sizes, p50, p99, pmax = [], [], [], []
    for key, item in programming.items():
        if key.endswith("_play_lateness_p99") and item["value"] is not None:
            n = key.split("_")[0]
            sizes.append(n)
            p50.append(max(programming[f"{n}_play_lateness_p50"]["value"], 0.1))
            p99.append(max(item["value"], 0.1))
            pmax.append(max(programming[f"{n}_play_lateness_max"]["value"], 0.1))
    xs = range(len(sizes))
    width = 0.25
    right.bar([x - width for x in xs], p50, width, label="p50")
    right.bar(list(xs), p99, width, label="p99")
    right.bar([x + width for x in xs], pmax, width, label="max")
    right.axhline(50, color="red", linestyle=":", label="p99 target 50 ms")
    right.set_yscale("log")
    right.set_xticks(list(xs), [f"{int(n):,} radios" for n in sizes] or [])
    right.set_ylabel("play lateness at the streamer (ms, log)")
    right.set_title("Play lateness by number of radios")
    right.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
