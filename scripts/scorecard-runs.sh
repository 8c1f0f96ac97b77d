#!/usr/bin/env bash
# Runs the congestion scorecard once per controller, one after the other on this machine, and
# writes each run's JSON to OUTDIR/<controller>.json; then prints scripts/scorecard-table.py's
# side-by-side table. Timings drift on a shared machine: compare runs made together.
# Usage: scripts/scorecard-runs.sh VIDEOCALL_BIN OUTDIR [CONTROLLER ...] (default: delay loss gcc)
set -euo pipefail
bin=$1; out=$2; shift 2
controllers=("$@"); [ ${#controllers[@]} -eq 0 ] && controllers=(delay loss gcc)
mkdir -p "$out"
for c in "${controllers[@]}"; do
    "$bin" bench --scorecard --congestion-control "$c" --json "$out/$c.json" \
        >"$out/$c.txt" 2>"$out/$c.log"
done
python3 "$(dirname "$0")/scorecard-table.py" $(for c in "${controllers[@]}"; do echo "$out/$c.json"; done)
