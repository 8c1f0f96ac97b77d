#!/usr/bin/env python3
"""Summarises bench runs of the start: first frame (and first sound) per peer, per variant.

Usage: scripts/startup-table.py [DIR]   (default docs/results/startup)

Each file DIR/<variant>-<n>.json is one `videocall bench --json` report; files of one variant
(the name before the last '-') are grouped. Prints, per variant, the runs' first-frame times of
both peers (ms from the second peer's start), their median and range, and the share of runs at
or under the 150 ms goal, and the median of first frame less `second_peer_up_ms` (the second
process's own start, until it captured its first frame): the share a call can cut.
"""

import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path

GOAL_MS = 150.0


def peers(report):
    """The per-peer entries of a bench report, whatever the report's top-level shape."""
    for key in ("peers", "results"):
        if isinstance(report.get(key), list):
            return report[key]
    return []


def main():
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/results/startup")
    runs = defaultdict(list)
    for path in sorted(root.glob("*.json")):
        variant = path.stem.rsplit("-", 1)[0]
        report = json.loads(path.read_text())
        frames = [p.get("first_frame_ms") for p in peers(report)]
        sounds = [p.get("first_audio_ms") for p in peers(report)]
        up = report.get("second_peer_up_ms")
        in_call = [f - up for f in frames if f is not None and up is not None]
        runs[variant].append((path.name, frames, sounds, in_call))
    if not runs:
        sys.exit(f"no bench reports in {root}")
    print(
        f"| variant | runs | first frame ms (every peer) | median | range | <= {GOAL_MS:.0f} ms "
        "| after the second peer is up, median | first sound ms median |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for variant, entries in sorted(runs.items()):
        frames = [f for _, fs, _, _ in entries for f in fs if f is not None]
        sounds = [s for _, _, ss, _ in entries for s in ss if s is not None]
        in_call = [c for *_, cs in entries for c in cs]
        missing = sum(1 for _, fs, _, _ in entries for f in fs if f is None)
        shown = " ".join(f"{f:.0f}" for f in frames) + (f" (+{missing} none)" if missing else "")
        if frames:
            median = f"{statistics.median(frames):.0f}"
            span = f"{min(frames):.0f}–{max(frames):.0f}"
            share = f"{sum(f <= GOAL_MS for f in frames)}/{len(frames)}"
        else:
            median = span = share = "-"
        sound = f"{statistics.median(sounds):.0f}" if sounds else "-"
        after_up = f"{statistics.median(in_call):.0f}" if in_call else "-"
        print(
            f"| {variant} | {len(entries)} | {shown} | {median} | {span} | {share} "
            f"| {after_up} | {sound} |"
        )


if __name__ == "__main__":
    main()
