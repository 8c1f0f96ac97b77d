#!/usr/bin/env bash
# GCC against the loss-based rate controller (docs/benchmarks-network.md, "Rate adaptation"):
# runs scripts/network-run.sh for each scenario and controller, one run at a time, interleaved,
# and prints each command with its output and scripts/rate-summary.sh's figures.
# Usage: scripts/rate-compare.sh OUTDIR   (VIDEOCALL, RELAY_PORT, PEER_PORT as for network-run.sh)
set -euo pipefail
out=$1
run() { # name spec secs controller [summary args...]
    local name=$1 spec=$2 secs=$3 ctl=$4; shift 4
    local dir=$out/$name-$ctl
    echo "\$ scripts/network-run.sh $spec $secs $dir --rate-control $ctl   # load: $(cut -d' ' -f1-3 /proc/loadavg)"
    scripts/network-run.sh "$spec" "$secs" "$dir" --rate-control "$ctl" | grep -v "jitter buffer"
    echo "\$ scripts/rate-summary.sh $dir $*"
    scripts/rate-summary.sh "$dir" "$@"
    echo
}
for rep in 1 2 3; do
    for ctl in loss gcc; do
        run caplift$rep cap=1000@3+15 35 $ctl 1000 3 15
        run caphold$rep cap=1000@3+60 20 $ctl 1000 3 60
    done
done
for rep in 1 2; do
    for ctl in loss gcc; do
        run clean$rep loss=0 20 $ctl
        run loss2-$rep loss=2,delay=20-40,reorder=no 20 $ctl
    done
done
