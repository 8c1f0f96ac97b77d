#!/usr/bin/env bash
# Makes docs/screenshots/window.png: a real loopback call between two peers with test sources,
# peer A's window on its own Xvfb display, with the peer's picture, the self-view inset and
# the window title. Usage: scripts/screenshots/window.sh [videocall binary]
# Needs Xvfb, xdotool and ffmpeg (scripts/setup.sh installs them).
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
bin="${1:-}"
if [ -z "$bin" ]; then
  cargo build --release --quiet --manifest-path "$root/Cargo.toml"
  bin="${CARGO_TARGET_DIR:-$root/target}/release/videocall"
fi
out="$root/docs/screenshots/window.png"
mkdir -p "$(dirname "$out")"

# A free display number for A's screen and one for B's.
free_display() {
  local n=$1
  while [ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ]; do n=$((n + 1)); done
  echo "$n"
}
da=":$(free_display 140)"
Xvfb "$da" -screen 0 660x540x24 -nolisten tcp >/dev/null 2>&1 &
xa=$!
db=":$(free_display 180)"
Xvfb "$db" -screen 0 660x540x24 -nolisten tcp >/dev/null 2>&1 &
xb=$!
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  kill "$xa" "$xb" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT
sleep 1

common=(--no-prompt --insecure --local-ip 127.0.0.1 --remote-ip 127.0.0.1
  --video-source test --audio-source test --video-sink window --audio-sink none --duration 20)
DISPLAY="$da" "$bin" call "${common[@]}" --video-dest-port 26000 --video-recv-port 26002 \
  --audio-dest-port 26004 --audio-recv-port 26006 >/dev/null 2>&1 &
pids+=($!)
DISPLAY="$db" "$bin" call "${common[@]}" --video-dest-port 26002 --video-recv-port 26000 \
  --audio-dest-port 26006 --audio-recv-port 26004 >/dev/null 2>&1 &
pids+=($!)

# The window appears with its title once the first frame is shown; then let the picture run.
for _ in $(seq 1 100); do
  win="$(DISPLAY="$da" xdotool search --name 'videocall - ' 2>/dev/null | head -1 || true)"
  [ -n "$win" ] && break
  sleep 0.2
done
[ -n "${win:-}" ] || { echo "window.sh: no call window appeared" >&2; exit 1; }
sleep 4
# A's window shows B's picture and A's own self-view. Xvfb runs no window manager to draw a
# title bar, so the window's title (read back from X) is printed below the picture.
title="$(DISPLAY="$da" xdotool getwindowname "$win")"
escaped="${title//:/\\:}"
ffmpeg -loglevel error -y -f x11grab -draw_mouse 0 -video_size 640x480 -i "$da+0,0" -frames:v 1 \
  -vf "pad=640:520:0:0:0x202020,drawtext=text='window title\: $escaped':x=10:y=490:fontsize=18:fontcolor=white" \
  "$out"
echo "window.sh: wrote $out (title \"$title\")"
DISPLAY="$da" xdotool key --window "$win" q
