#!/usr/bin/env bash
# Peer restart on this machine: A calls for 16 s; B calls for 6 s, is gone for 1 s, and a new B
# (new process, new SSRC) calls for 8 s. Prints A's longest gap between rendered frames, which
# holds the 1 s B was down plus the time video took to come back.
# Usage: scripts/restart-run.sh OUTDIR [extra videocall call flags...]
set -euo pipefail
out=$1; shift
bin=${VIDEOCALL:-target/release/videocall}
base=${PEER_PORT:-46400}
mkdir -p "$out"
common=(--no-prompt --local-ip 127.0.0.1 --remote-ip 127.0.0.1 --video-source test --audio-source test
        --video-sink none --audio-sink none --insecure)
a_ports=(--video-dest-port $((base + 2)) --video-recv-port "$base" --audio-dest-port $((base + 6)) --audio-recv-port $((base + 4)))
b_ports=(--video-dest-port "$base" --video-recv-port $((base + 2)) --audio-dest-port $((base + 4)) --audio-recv-port $((base + 6)))
"$bin" call "${common[@]}" "${a_ports[@]}" --duration 16 --quality-log "$out/a.quality" "$@" >/dev/null 2>"$out/a.log" &
sleep 0.2
"$bin" call "${common[@]}" "${b_ports[@]}" --duration 6 --quality-log "$out/b1.quality" "$@" >/dev/null 2>"$out/b1.log"
sleep 1
"$bin" call "${common[@]}" "${b_ports[@]}" --duration 8 --quality-log "$out/b2.quality" "$@" >/dev/null 2>"$out/b2.log"
wait
jq -s -r '[.[] | select(.t_ms != null) | .t_ms] | [range(1; length) as $i | {gap: (.[$i] - .[$i-1]), from: .[$i-1], to: .[$i]}]
    | max_by(.gap) | "A: longest gap \(.gap | floor) ms (from \(.from | floor) to \(.to | floor) ms); B was down 1000 ms"' "$out/a.quality"
tail -1 "$out/a.quality" | jq -r '.summary | "A: \(.frames) frames rendered, intact \(.intact_share * 1000 | floor / 10)%"'
