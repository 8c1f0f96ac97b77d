#!/usr/bin/env python3
"""Prints one line per peer of `videocall bench --json` files: the figures compared side by side.

Usage: scripts/bench-table.py FILE.json [FILE.json ...]
"""
import json
import sys


def row(name, peer):
    audio_kbps = peer["audio_bitrate_bps"]
    return (
        f"{name:<34} {peer['peer']}  "
        f"{peer['video_latency_ms']['p50']:6.1f} {peer['video_latency_ms']['p95']:6.1f}  "
        f"{peer['audio_latency_ms']['p50']:6.1f}  {peer['first_frame_ms']:6.0f}  "
        f"{peer['cpu_percent']:5.1f}  {peer['peak_rss_mb']:5.1f}  "
        f"{sum(audio_kbps) / len(audio_kbps) / 1000:6.1f}  "
        f"{peer['frames_rendered_share'] * 100:6.1f}  "
        + ("-" if peer["frames_intact_share"] is None else f"{peer['frames_intact_share'] * 100:.1f}")
    )


print(
    f"{'run':<34} peer  vp50   vp95    ap50   first    cpu    rss  audio_k  rend%  intact%"
)
for path in sys.argv[1:]:
    with open(path) as f:
        doc = json.load(f)
    for peer in doc["peers"]:
        print(row(path.rsplit("/", 1)[-1].removesuffix(".json"), peer))
