#!/usr/bin/env python3
"""Which frames a bench run did not render, as (second, how many in a row) per peer.

Usage: VIDEOCALL_BENCH_KEEP=1 videocall bench ...; scripts/missing-frames.py /tmp/videocall-bench-PID
Reads the peers' quality logs (quality-A.jsonl, quality-B.jsonl: one line per rendered frame).
"""
import json
import sys

FPS = 25


def missing_runs(path):
    with open(path) as log:
        frames = sorted(json.loads(line)["frame"] for line in log if '"frame"' in line)
    seen = set(frames)
    runs = []
    for n in range(frames[0], frames[-1]):
        if n in seen:
            continue
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    return sum(b - a + 1 for a, b in runs), [(round(a / FPS, 1), b - a + 1) for a, b in runs]


for peer in "AB":
    total, runs = missing_runs(f"{sys.argv[1]}/quality-{peer}.jsonl")
    print(peer, total, runs)
