#!/usr/bin/env bash
# Records the adapter's replay traces (`--record-samples`, one JSON line per 0.5 s tick) into
# OUTDIR (default tests/data): a clean loopback demo, a call through the relay at 2 % loss
# with 20–40 ms of delay each way, and one with a 1000 kbit/s cap for a while. The unit tests
# in crates/videocall-core/src/adapt/traces.rs replay them through the adapter.
# Usage: scripts/record-traces.sh [OUTDIR]   (VIDEOCALL=path/to/videocall to pick the binary)
set -euo pipefail
bin=${VIDEOCALL:-target/release/videocall}
out=${1:-tests/data}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"
media=(--video-source test --audio-source test --video-sink none --audio-sink none)

# Clean: both peers in one process over loopback; peer A's trace is kept.
"$bin" demo "${media[@]}" --duration 20 --record-samples "$tmp/clean.jsonl" >/dev/null 2>"$tmp/clean.log"
cp "$tmp/clean.A" "$out/trace-clean.jsonl"

# One call through the relay with SPEC on both directions, encrypted end to end (the relay on
# 127.0.0.2 at the peers' own ports); peer A's trace is kept as NAME.
through_relay() {
    local name=$1 spec=$2 secs=$3
    local a_video=47000 a_audio=47004 b_video=47100 b_audio=47104
    local common=(call --no-prompt --local-ip 127.0.0.1 --remote-ip 127.0.0.2 "${media[@]}"
                  --duration "$secs")
    "$bin" relay --listen-ip 127.0.0.2 --mirror-ports \
        --a-video-port $a_video --a-audio-port $a_audio --b-video-port $b_video \
        --b-audio-port $b_audio --both "$spec" --duration $((secs + 2)) 2>"$tmp/$name-relay.log" &
    sleep 0.5
    VIDEOCALL_PASSPHRASE=trace-recording-only "$bin" "${common[@]}" \
        --video-dest-port $b_video --video-recv-port $a_video \
        --audio-dest-port $b_audio --audio-recv-port $a_audio \
        --record-samples "$out/$name.jsonl" >/dev/null 2>"$tmp/$name-a.log" &
    VIDEOCALL_PASSPHRASE=trace-recording-only "$bin" "${common[@]}" \
        --video-dest-port $a_video --video-recv-port $b_video \
        --audio-dest-port $a_audio --audio-recv-port $b_audio >/dev/null 2>"$tmp/$name-b.log"
    wait
}
through_relay trace-loss-2pc "loss=2,delay=20-40,reorder=no" 20
# The cap from 4 s to 12 s after the relay starts; the call goes on long enough to climb back.
through_relay trace-cap-1000 "cap=1000@4+8" 36
ls -l "$out"/trace-*.jsonl
