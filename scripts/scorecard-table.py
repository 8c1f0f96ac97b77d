#!/usr/bin/env python3
"""Prints `videocall bench --scorecard --json` documents side by side as a markdown table: one
column per document (headed by its controller), one row per scenario and figure, each the
worse of the two directions, with ✓/✗ where the scenario has a target on it.

Usage: scripts/scorecard-table.py A.json [B.json ...]
"""
import json
import sys

# (figure, how it shows, higher is better); the order of the rows.
FIGURES = [
    ("link_share", lambda v: f"{v:.2f}", True),
    ("video_latency_p95_ms", lambda v: f"{v:.0f} ms", False),
    ("p95_over_path_ms", lambda v: f"{v:.0f} ms", False),
    ("longest_freeze_ms", lambda v: f"{v:.0f} ms", False),
    ("min_fps", lambda v: f"{v:.0f}", True),
    ("rendered_share", lambda v: f"{v * 100:.1f} %", True),
    ("intact_share", lambda v: f"{v * 100:.1f} %", True),
    ("recovery_s", lambda v: f"{v:.1f} s", False),
    ("settle_s", lambda v: f"{v:.1f} s", False),
    ("peak_kbps_after_cap", lambda v: f"{v:.0f}", True),
    ("loss_after_adaptation", lambda v: f"{v * 100:.1f} %", False),
    ("send_kbps_min", lambda v: f"{v:.0f}", True),
    ("video_kbps_mean", lambda v: f"{v:.0f}", True),
]
NEVER = ("recovery_s", "settle_s")


def value(peer, name):
    if name == "video_latency_p95_ms":
        return peer["video_latency_ms"]["p95"]
    return peer.get(name)


def worse(scenario, name, higher_better):
    values = [value(p, name) for p in scenario["peers"]]
    if any(v is None for v in values):
        # A capped run that never got there is the worst case; elsewhere there is no figure.
        return "never" if name in NEVER and scenario["cap"] else None
    return min(values) if higher_better else max(values)


def cell(scenario, name, show, higher_better):
    if scenario is None:
        return ""
    v = worse(scenario, name, higher_better)
    if v is None:
        return "-"
    text = v if v == "never" else show(v)
    for t in scenario["targets"]:
        if t["name"] == name:
            text += " ✓" if t["met"] else " ✗"
    return text


docs = []
for path in sys.argv[1:]:
    with open(path) as f:
        docs.append(json.load(f))
if not docs:
    sys.exit(__doc__)
names = []
for doc in docs:
    for s in doc["scenarios"]:
        if s["name"] not in names:
            names.append(s["name"])

heads = [f"{d['config']['controller']}{' (short)' if d['config']['short'] else ''}" for d in docs]
print("| scenario | figure (worse direction) | " + " | ".join(heads) + " |")
print("|---|---|" + "---|" * len(docs))
for name in names:
    runs = [next((s for s in d["scenarios"] if s["name"] == name), None) for d in docs]
    for figure, show, higher_better in FIGURES:
        cells = [cell(s, figure, show, higher_better) for s in runs]
        if all(c in ("", "-") for c in cells):
            continue
        print(f"| {name} | {figure} | " + " | ".join(cells) + " |")
