#!/usr/bin/env bash
# One impaired call on this machine: `videocall relay` with SPEC on both directions and two
# headless peers calling through it, each writing stats JSON and a per-frame quality log.
# Usage: scripts/network-run.sh SPEC SECONDS OUTDIR [extra videocall call flags...]
# Prints each peer's quality summary and the last stats line; files stay in OUTDIR.
set -euo pipefail
spec=$1; secs=$2; out=$3; shift 3
bin=${VIDEOCALL:-target/release/videocall}
mkdir -p "$out"
export VIDEOCALL_LOG=${VIDEOCALL_LOG:-info}
relay=${RELAY_PORT:-46000}; peers=${PEER_PORT:-46100}
common=(--no-prompt --local-ip 127.0.0.1 --remote-ip 127.0.0.1 --video-source test --audio-source test
        --video-sink none --audio-sink none --stats-interval 0.5 --duration "$secs")
"$bin" relay --port "$relay" --a-video-port "$peers" --a-audio-port $((peers + 4)) \
    --b-video-port $((peers + 2)) --b-audio-port $((peers + 6)) --both "$spec" \
    --duration "$(echo "$secs + 1" | bc)" 2>"$out/relay.log" &
sleep 0.3
"$bin" call "${common[@]}" --video-dest-port "$relay" --video-recv-port "$peers" \
    --audio-dest-port $((relay + 2)) --audio-recv-port $((peers + 4)) \
    --stats-json "$out/a.json" --quality-log "$out/a.quality" "$@" >/dev/null 2>"$out/a.log" &
"$bin" call "${common[@]}" --video-dest-port $((relay + 4)) --video-recv-port $((peers + 2)) \
    --audio-dest-port $((relay + 6)) --audio-recv-port $((peers + 6)) \
    --stats-json "$out/b.json" --quality-log "$out/b.quality" "$@" >/dev/null 2>"$out/b.log"
wait
# Frames counted from 2 s on; 25 frames/s were sent.
for side in a b; do
    tail -1 "$out/$side.quality" | jq -r --arg s "$side" --argjson secs "$secs" \
        '.summary | "\($s): rendered \(.frames) of \(25 * ($secs - 2) | floor) frames (\(100 * .frames / (25 * ($secs - 2)) | floor)%), intact \(.intact_share * 1000 | floor / 10)%, frozen \(.frozen_ms | floor) ms, longest freeze \(.longest_freeze_ms | floor) ms"'
    tail -1 "$out/$side.json" | jq -r --arg s "$side" \
        '"\($s): video lost \(.video.packets_lost), rtx repaired \(.video.rtx_repaired // "-")/\(.video.rtx_requested // "-") requested, sending at \(.video.send_target_kbps // "-") kbit/s"'
    jb=$(sed 's/\x1b\[[0-9;]*m//g' "$out/$side.log" | grep -o 'jitter buffer latency ms=[0-9]*' | tail -1 || true)
    echo "$side: ${jb:-jitter buffer latency unchanged}"
done
