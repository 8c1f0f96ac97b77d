#!/usr/bin/env python3
"""Prints the runs of results files as tables, one row per receiving (or sending) peer.

Usage: scripts/results-table.py [--timelines] FILE.json [FILE.json ...]

Takes the results files under docs/results/ (`results_version` 1: a topic, then sets of runs of
one build, see docs/benchmarks-network.md, "Results files") and the files `videocall bench
--json` writes (`schema_version` 1, docs/benchmarks.md), which print like a set of one run.
A set may also hold `rows`: a transcribed text table, one object per row keyed by the
table's column names, printed as it is. Figures missing from a run print as `-`. Timelines
print only with --timelines.
"""
import json
import sys

# Rows of the bench's printed table, as results files key them.
VIDEO_LATENCY = "video latency p50/p95/max ms"
AUDIO_LATENCY = "audio latency p50/p95 ms"
AV_OFFSET = "A/V offset ms (audio later +)"
FIRST = "first frame / audio ms"
CPU = "CPU % of one core"
RSS = "peak RSS MiB"
VIDEO_KBPS = "video kbit/s per 5 s window"
AUDIO_KBPS = "audio kbit/s per 5 s window"
FRAMES = "frames sent -> rendered"
SHARES = "frames rendered / intact %"
FROZEN = "frozen / longest freeze ms"
AUDIO_GAP = "longest audio gap ms"


def fmt(value, digits=0):
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    if isinstance(value, int) and digits == 0:
        return str(value)
    return f"{value:.{digits}f}"


def item(values, index):
    """values[index] of a list figure, or the figure itself for index 0 of a scalar."""
    if isinstance(values, list):
        return values[index] if index < len(values) else None
    return values if index == 0 else None


def mean(values):
    return sum(values) / len(values) if values else None


def from_bench_json(doc):
    """A `videocall bench --json` document as a set of one run, keyed like the printed table."""
    peers = {}
    for p in doc["peers"]:
        video, audio = p["video_latency_ms"], p["audio_latency_ms"]
        share, intact = p["frames_rendered_share"], p["frames_intact_share"]
        peers[p["peer"]] = {
            VIDEO_LATENCY: [video["p50"], video["p95"], video["max"]] if video else None,
            AUDIO_LATENCY: [audio["p50"], audio["p95"]] if audio else None,
            AV_OFFSET: p["av_offset_ms"],
            FIRST: [p["first_frame_ms"], p["first_audio_ms"]],
            CPU: p["cpu_percent"],
            RSS: p["peak_rss_mb"],
            VIDEO_KBPS: [b / 1000 for b in p["video_bitrate_bps"]],
            AUDIO_KBPS: [b / 1000 for b in p["audio_bitrate_bps"]],
            FRAMES: [p["frames_sent"], p["frames_rendered"]],
            SHARES: [None if share is None else share * 100, None if intact is None else intact * 100],
            FROZEN: [p.get("frozen_ms"), p.get("longest_freeze_ms")],
            AUDIO_GAP: p.get("longest_audio_gap_ms"),
        }
    config = doc.get("config", {})
    return {
        "topic": "videocall bench --json",
        "description": config.get("network", "no relay"),
        "sets": [{"label": "", "build": None,
                  "command": " ".join(["videocall bench --seconds", str(config.get("seconds", "?"))]
                                      + config.get("call_args", [])),
                  "runs": [{"peers": peers}]}],
    }


PEER_COLUMNS = [
    # header, width, function of a peer's figures
    ("rend%", 6, lambda p: fmt(item(p.get(SHARES), 0), 1)),
    ("intact%", 7, lambda p: fmt(item(p.get(SHARES), 1), 1)),
    ("v p50", 5, lambda p: fmt(item(p.get(VIDEO_LATENCY), 0))),
    ("v p95", 5, lambda p: fmt(item(p.get(VIDEO_LATENCY), 1))),
    ("a p50", 5, lambda p: fmt(item(p.get(AUDIO_LATENCY), 0))),
    ("A/V", 4, lambda p: fmt(p.get(AV_OFFSET))),
    ("a gap", 5, lambda p: fmt(p.get(AUDIO_GAP))),
    ("frozen", 6, lambda p: fmt(item(p.get(FROZEN), 0))),
    ("longest", 7, lambda p: fmt(item(p.get(FROZEN), 1))),
    ("first", 5, lambda p: fmt(item(p.get(FIRST), 0))),
    ("cpu%", 5, lambda p: fmt(p.get(CPU), 1)),
    ("rss", 5, lambda p: fmt(p.get(RSS), 1)),
    ("v kb/s", 6, lambda p: fmt(mean(p.get(VIDEO_KBPS) or []))),
    ("a kb/s", 6, lambda p: fmt(mean(p.get(AUDIO_KBPS) or []))),
    ("jb ms", 5, lambda p: fmt(p.get("final jitter buffer ms"))),
]

RECEIVER_COLUMNS = [
    ("rendered", 9, lambda r: f"{fmt(r.get('rendered'))}/{fmt(r.get('of'))}"),
    ("rend%", 5, lambda r: fmt(r.get("rendered %"))),
    ("intact%", 7, lambda r: fmt(r.get("intact %"))),
    ("frozen", 6, lambda r: fmt(r.get("frozen ms"))),
    ("longest", 7, lambda r: fmt(r.get("longest freeze ms"))),
    ("lost", 5, lambda r: fmt(r.get("video lost"))),
    ("rtx rep/req", 11, lambda r: f"{fmt(r.get('rtx repaired'))}/{fmt(r.get('rtx requested'))}"),
    ("sending", 7, lambda r: fmt(r.get("sending at kbit/s"))),
    ("jb ms", 9, lambda r: fmt(r.get("jitter buffer latency ms"))),
]

SENDER_COLUMNS = [
    ("under s", 7, lambda s: fmt(s.get("under s"), 1) if "under s" in s else "-"),
    ("over", 4, lambda s: fmt(s.get("over samples"))),
    ("loss%", 6, lambda s: fmt(s.get("loss %"), 2) if "loss %" in s else "-"),
    ("fps", 5, lambda s: fmt(s.get("fps"), 1) if "fps" in s else "-"),
    ("back s", 6, lambda s: fmt(s.get("back s"), 1) if isinstance(s.get("back s"), float) else fmt(s.get("back s"))),
    ("target", 6, lambda s: fmt(s.get("mean target kbit/s"))),
    ("lowest", 6, lambda s: fmt(s.get("lowest target kbit/s"))),
    ("received", 8, lambda s: fmt(s.get("peer received kbit/s"))),
]

RESTART_COLUMNS = [
    ("longest gap", 11, lambda r: fmt(r.get("longest gap ms"))),
    ("from", 5, lambda r: fmt(r.get("gap from ms"))),
    ("to", 5, lambda r: fmt(r.get("gap to ms"))),
    ("B down", 6, lambda r: fmt(r.get("B down ms"))),
    ("frames", 6, lambda r: fmt(r.get("frames rendered", r.get("frames")))),
    ("intact%", 7, lambda r: fmt(r.get("intact %"))),
]


def line(cells):
    return "  ".join(f"{text:>{width}}" for text, width in cells)


def table(title, columns, rows):
    """rows: (run id, peer name, figures). Columns no row has a figure for are left out."""
    columns = [c for c in columns if any(c[2](figures).strip("-/") for _, _, figures in rows)]
    print(f"   {'run':<5} {title:<6} " + line((h, w) for h, w, _ in columns))
    for run_id, name, figures in rows:
        print(f"   {run_id:<5} {name:<6} " + line((f(figures), w) for _, w, f in columns))


def print_rows(rows):
    """A transcribed text table: one object per row, keyed by the table's column names."""
    columns = []
    for row in rows:
        columns += [k for k in row if k not in columns]
    def text(v):
        if isinstance(v, list):
            return " / ".join(text(x) for x in v)
        return fmt(v) if not isinstance(v, float) else f"{v:g}"
    cells = [[text(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    print("   " + "  ".join(f"{c:<{w}}" for c, w in zip(columns, widths)).rstrip())
    for r in cells:
        print("   " + "  ".join(f"{v:<{w}}" for v, w in zip(r, widths)).rstrip())


def print_set(s, timelines):
    build = s.get("build") or "-"
    print(f"-- {s.get('label') or 'runs'} (build {build})")
    if s.get("note"):
        print(f"   {s['note']}")
    if s.get("command"):
        print(f"   $ {s['command']}")
    if s.get("rows"):
        print_rows(s["rows"])
    runs = s.get("runs", [])
    for i, run in enumerate(runs, 1):
        what = [run[k] for k in ("label", "command", "note") if run.get(k)]
        if run.get("summary_command"):
            what.append("then " + run["summary_command"])
        if what:
            print(f"   #{i}: " + "; ".join(what))
    kinds = [
        ("peers", "peer", PEER_COLUMNS),
        ("receivers", "recv", RECEIVER_COLUMNS),
        ("senders", "sends", SENDER_COLUMNS),
    ]
    for key, title, columns in kinds:
        rows = [(f"#{i}", name, figures)
                for i, run in enumerate(runs, 1) if key in run
                for name, figures in run[key].items()]
        if rows:
            table(title, columns, rows)
    rows = [(f"#{i}", "A", run["restart"]) for i, run in enumerate(runs, 1) if "restart" in run]
    if rows:
        table("peer", RESTART_COLUMNS, rows)
    for i, run in enumerate(runs, 1):
        timeline = run.get("timeline")
        if not timeline:
            continue
        series = timeline.get("rows", {})
        if not timelines:
            count = sum(len(v) for v in series.values())
            print(f"   #{i}: timeline of {count} rows (--timelines prints it)")
            continue
        print(f"   #{i}: " + " | ".join(timeline.get("columns", [])))
        for name, rows in series.items():
            for row in rows:
                print(f"      {name:<4} " + "\t".join(fmt(v) if not isinstance(v, float) else f"{v:g}" for v in row))


def main(argv):
    timelines = "--timelines" in argv
    paths = [a for a in argv if a != "--timelines"]
    if not paths:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    for path in paths:
        with open(path) as f:
            doc = json.load(f)
        if "schema_version" in doc and "peers" in doc:
            doc = from_bench_json(doc)
        elif doc.get("results_version") != 1:
            print(f"{path}: neither a results file (results_version 1) nor a bench --json file", file=sys.stderr)
            return 1
        sets = doc.get("sets")
        if sets is None:  # a file of one set: build, command and runs at the top
            sets = [doc]
        print(f"== {path}: {doc.get('topic', '')}")
        if doc.get("description"):
            print(f"   {doc['description']}")
        for s in sets:
            print_set(s, timelines)
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
