#!/usr/bin/env bash
# 30-minute SRTP soak (docs/security.md): a demo call (two peers, one process), RSS, open fds and
# threads sampled from /proc every 30 s.  usage: soak.sh [SECONDS [DEMO FLAGS…]] ; output in
# $OUT (samples.txt)
set -euo pipefail
V=${V:-target/release/videocall}
OUT=${OUT:-/tmp/videocall-soak}
SECONDS_TOTAL=${1:-1800}
shift || true
mkdir -p "$OUT"
VIDEOCALL_PASSPHRASE=${VIDEOCALL_PASSPHRASE:-soak-passphrase} "$V" demo --duration "$SECONDS_TOTAL" \
  --video-source test --audio-source test --video-sink none --audio-sink none \
  --stats-interval 30 --stats-json "$OUT/stats.jsonl" "$@" > "$OUT/text.log" 2> "$OUT/err.log" &
pid=$!
echo "t_s rss_kb fds threads" > "$OUT/samples.txt"
start=$(date +%s)
while kill -0 "$pid" 2>/dev/null; do
  rss=$(awk '/VmRSS/{print $2}' /proc/$pid/status 2>/dev/null || true)
  thr=$(awk '/Threads/{print $2}' /proc/$pid/status 2>/dev/null || true)
  fds=$(ls /proc/$pid/fd 2>/dev/null | wc -l)
  [ -n "$rss" ] && echo "$(( $(date +%s) - start )) $rss $fds $thr" >> "$OUT/samples.txt"
  sleep 30
done
wait "$pid" && echo "exit 0" >> "$OUT/samples.txt"
