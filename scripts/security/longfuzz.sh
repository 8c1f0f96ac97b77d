#!/usr/bin/env bash
# Long fuzz run (docs/security.md): a 90 s loopback call; from 5 s on, B's four ports get COUNT
# datagrams each at 1000/s from FROM. B's RSS and fds are sampled every 5 s.
# usage: longfuzz.sh NAME FROM COUNT "A flags" "B flags"   (VIDEOCALL_PASSPHRASE for SRTP)
set -uo pipefail
V=${V:-target/release/videocall}
OUT=${OUT:-/tmp/videocall-fuzz}
NAME=$1 FROM=$2 COUNT=$3
mkdir -p "$OUT"
common="--video-source test --audio-source test --video-sink none --audio-sink none --duration 90
  --no-prompt --local-ip 127.0.0.1 --remote-ip 127.0.0.1 --stats-interval 5"
# shellcheck disable=SC2086
"$V" call $common --video-dest-port 43200 --video-recv-port 43202 --audio-dest-port 43204 \
  --audio-recv-port 43206 $4 > "$OUT/$NAME-a.out" 2> "$OUT/$NAME-a.err" &
a=$!
# shellcheck disable=SC2086
"$V" call $common --video-dest-port 43202 --video-recv-port 43200 --audio-dest-port 43206 \
  --audio-recv-port 43204 --stats-json "$OUT/$NAME-b.json" $5 > "$OUT/$NAME-b.out" 2> "$OUT/$NAME-b.err" &
b=$!
start=$(date +%s)
( while kill -0 $b 2>/dev/null; do
    echo "t=$(( $(date +%s) - start )) rss_kb=$(awk '/VmRSS/{print $2}' /proc/$b/status 2>/dev/null) fds=$(ls /proc/$b/fd 2>/dev/null | wc -l)"
    sleep 5
  done ) > "$OUT/$NAME-rss.txt" &
sleep 5
"$V" fuzz --ports 43200,43201,43204,43205 --from "$FROM" --count "$COUNT" --rate 1000 --seed 7 > "$OUT/$NAME.txt"
wait $b; echo "b_exit $?" >> "$OUT/$NAME.txt"
wait $a; echo "a_exit $?" >> "$OUT/$NAME.txt"
