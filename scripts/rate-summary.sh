#!/usr/bin/env bash
# Rate-adaptation figures of one scripts/network-run.sh run, per sender (A sends to B and
# B to A): its own encoder target (from its stats) and what its peer received (the peer's).
# Usage: scripts/rate-summary.sh OUTDIR [CAP_KBPS CAP_FROM_S CAP_FOR_S [MAX_KBPS]]
# Cap times are relay times (as in the SPEC); the peers start ~0.3 s after the relay, which is
# subtracted. Without a cap: mean target and received rate from 5 s on.
#   under    first time after the cap began that the target was <= the cap (s after the cap began)
#   over     targets above the cap from 5 s after it began to its end (count of 0.5 s samples)
#   loss     packets lost / expected at the receiver, from 5 s after the cap began to its end
#   fps      frames/s rendered by the receiver over that window
#   back     first time after the cap ended that the target reached MAX (default 2000) -5 %
set -euo pipefail
out=$1; cap=${2:-0}; from=${3:-0}; for=${4:-0}; max=${5:-2000}
tsv() { jq -r '[.elapsed_s, (.video.send_target_kbps // 0), (.video.bitrate_bps / 1000),
               .video.frames_rendered, .video.packets_lost, .video.packets_received] | @tsv' "$1"; }
for pair in "a b" "b a"; do
    set -- $pair
    paste <(tsv "$out/$1.json") <(tsv "$out/$2.json") | awk -v who="$1" -v cap="$cap" \
        -v from="$(echo "$from - 0.3" | bc)" -v len="$for" -v max="$max" '
    # $1 t, $2 own target; $7 peer t, then from the peer: $9 recv kbps, $10 frames, $11 lost, $12 received
    {
        t = $1; target = $2; end = from + len
        if (cap == 0) {
            if (t >= 5) { n++; st += target; sr += $9; if (min == "" || target < min) min = target }
            next
        }
        if (t >= from && under == "" && target <= cap) under = t - from
        if (t >= from + 5 && t <= end) {
            if (w0 == "") { w0 = t; f0 = $10; l0 = $11; r0 = $12 }
            w1 = t; f1 = $10; l1 = $11; r1 = $12
            if (target > cap) over++
        }
        if (t >= end && back == "" && target >= 0.95 * max) back = t - end
    }
    END {
        if (cap == 0) {
            printf "%s sends: mean target %.0f kbit/s (lowest %d), peer received %.0f kbit/s, from 5 s on\n", who, st / n, min, sr / n
            exit
        }
        lost = l1 - l0; got = r1 - r0
        printf "%s sends: under %s s, over %d samples, loss %.2f%%, fps %.1f, back %s s\n", who,
            (under == "" ? "never" : sprintf("%.1f", under)), over, 100 * lost / (lost + got),
            (f1 - f0) / (w1 - w0), (back == "" ? "never" : sprintf("%.1f", back))
    }'
done
