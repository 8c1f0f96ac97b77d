#!/usr/bin/env bash
# Runs the clean bench and the 2 % loss bench for two builds of videocall, alternating, on this
# machine, and writes every run's JSON to OUTDIR (BEFORE-*.json, AFTER-*.json); then prints the
# table of scripts/bench-table.py. Timings drift on a shared machine: compare within one run.
# Usage: scripts/compare-builds.sh BEFORE_BIN AFTER_BIN OUTDIR [ROUNDS]
set -euo pipefail
before=$1; after=$2; out=$3; rounds=${4:-2}
mkdir -p "$out"
for i in $(seq 1 "$rounds"); do
    for side in before after; do
        bin=$before; [ "$side" = after ] && bin=$after
        "$bin" bench --seconds 20 --json "$out/$side-clean-$i.json" >/dev/null 2>"$out/$side-clean-$i.log"
        "$bin" bench --seconds 40 --both loss=2,delay=20-40,reorder=no \
            --json "$out/$side-loss-$i.json" >/dev/null 2>"$out/$side-loss-$i.log"
    done
done
python3 "$(dirname "$0")/bench-table.py" "$out"/*.json
