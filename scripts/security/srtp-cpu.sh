#!/usr/bin/env bash
# CPU cost of SRTP (docs/security.md): 20 s demo calls, plain vs AES-128-GCM vs AES-128-CM,
# alternated, ROUNDS rounds, measured with /usr/bin/time -v.
set -euo pipefail
V=${V:-target/release/videocall}
OUT=${OUT:-/tmp/videocall-cpu}
mkdir -p "$OUT"
args=(demo --duration 20 --video-source test --audio-source test --video-sink none --audio-sink none --stats-interval 20)
for round in $(seq 1 "${ROUNDS:-2}"); do
  for mode in plain gcm cm; do
    f="$OUT/$mode-$round.txt"
    case $mode in
      plain) env -u VIDEOCALL_PASSPHRASE /usr/bin/time -v "$V" "${args[@]}" --insecure > /dev/null 2> "$f" ;;
      gcm) VIDEOCALL_PASSPHRASE=bench /usr/bin/time -v "$V" "${args[@]}" > /dev/null 2> "$f" ;;
      cm) VIDEOCALL_PASSPHRASE=bench /usr/bin/time -v "$V" "${args[@]}" --srtp-suite aes-128-cm-sha1-80 > /dev/null 2> "$f" ;;
    esac
    echo "round $round $mode user_s=$(awk -F': ' '/User time/{print $2}' "$f") sys_s=$(awk -F': ' '/System time/{print $2}' "$f") maxrss_kb=$(awk -F': ' '/Maximum resident/{print $2}' "$f")"
  done
done
