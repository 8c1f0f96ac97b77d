#!/usr/bin/env python3
"""Summarises repeated scorecard runs of one scenario, per variant.

Usage: scripts/scorecard-runs-summary.py DIR [SCENARIO]   (default scenario: policed)

Each DIR/<variant>-<n>.json is one `videocall bench --scorecard --json` document; files of one
variant (the name before the last '-') are grouped. Prints, per variant and figure, the mean
over every receiving direction of every run, its range, and how many directions met the
scenario's bound (loss < 2 %, recovery <= 5 s, link share >= 0.8).
"""

import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path

FIGURES = [
    ("link_share", "link share", 1.0, lambda v: v >= 0.80),
    ("loss_after_adaptation", "loss after adapting %", 100.0, lambda v: v < 0.02),
    ("recovery_s", "back at 1.8 Mbit/s s", 1.0, lambda v: v <= 5.0),
    ("rendered_share", "rendered %", 100.0, None),
    ("longest_freeze_ms", "longest freeze ms", 1.0, None),
]


def main():
    folder = Path(sys.argv[1])
    scenario = sys.argv[2] if len(sys.argv) > 2 else "policed"
    peers = defaultdict(list)
    for path in sorted(folder.glob("*.json")):
        variant = path.stem.rsplit("-", 1)[0]
        for s in json.loads(path.read_text())["scenarios"]:
            if s["name"] == scenario:
                peers[variant].extend(s["peers"])
    print("| variant | directions | figure | mean | range | met |")
    print("| --- | --- | --- | --- | --- | --- |")
    for variant, rows in sorted(peers.items()):
        for key, name, scale, bound in FIGURES:
            values = [r[key] for r in rows]
            known = [v for v in values if v is not None]
            if not known:
                continue
            met = "" if bound is None else f"{sum(bound(v) for v in known)}/{len(values)}"
            shown = [v * scale for v in known]
            print(
                f"| {variant} | {len(values)} | {name} | {statistics.mean(shown):.2f} | "
                f"{min(shown):.2f}–{max(shown):.2f} | {met} |"
            )


if __name__ == "__main__":
    main()
