#!/usr/bin/env python3
"""Summarises repeated scorecard runs of one scenario, per variant.

Usage: scripts/scorecard-runs-summary.py DIR [SCENARIO]   (default scenario: policed)

Each DIR/<variant>-<n>.json is one `videocall bench --scorecard --json` document; files of one
variant (the name before the last '-') are grouped. Prints, per variant and figure, the mean
over every receiving direction of every run, its range, and how many directions met the
scenario's bound (issue 17's targets: policed loss < 2 %; bottleneck p95 over the path <= 100 ms
and longest freeze <= 300 ms; both recovery <= 5 s and link share >= 0.8; 2 % loss and jitter
rendered >= 99 %; jitter p95 over the path <= 100 ms).
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
    ("p95_over_path_ms", "p95 over the path ms", 1.0, lambda v: v <= 100.0),
    ("rendered_share", "rendered %", 100.0, lambda v: v >= 0.99),
    ("longest_freeze_ms", "longest freeze ms", 1.0, lambda v: v <= 300.0),
]
# The figures each scenario has a bound on; the others are shown without one.
BOUNDED = {
    "policed": {"link_share", "loss_after_adaptation", "recovery_s"},
    "bottleneck": {"link_share", "recovery_s", "p95_over_path_ms", "longest_freeze_ms"},
    "loss": {"rendered_share"},
    "jitter": {"rendered_share", "p95_over_path_ms"},
}


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
            if key not in BOUNDED.get(scenario, set()):
                bound = None
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
