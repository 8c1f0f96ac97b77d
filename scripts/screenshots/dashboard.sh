#!/usr/bin/env bash
# Makes docs/screenshots/dashboard.png: `videocall demo` (test sources, headless) runs in a
# detached tmux session of fixed size; after a few reports the pane is captured with its
# colours and rendered to PNG (ansi-to-png.py, PIL). Needs tmux and python3-pil
# (scripts/setup.sh installs both).
set -euo pipefail
cd "$(dirname "$0")/../.."
cols=150 rows=52 settle=${SETTLE:-12} profile=${PROFILE:-release}
if [ "$profile" = release ]; then cargo build --release --quiet; else cargo build --quiet; fi
bin="${CARGO_TARGET_DIR:-target}/$([ "$profile" = release ] && echo release || echo debug)/videocall"
socket="videocall-screenshot-$$"
capture=$(mktemp)
trap 'tmux -L "$socket" kill-server 2>/dev/null || true; rm -f "$capture"' EXIT
tmux -L "$socket" new-session -d -s shot -x "$cols" -y "$rows" \
  "$bin demo --video-source test --audio-source test --video-sink none --audio-sink none; sleep 60"
sleep "$settle"
tmux -L "$socket" capture-pane -e -p -t shot > "$capture"
tmux -L "$socket" send-keys -t shot q
mkdir -p docs/screenshots
# Debian's Python: python3-pil installs PIL for it.
/usr/bin/python3 scripts/screenshots/ansi-to-png.py "$capture" docs/screenshots/dashboard.png "$cols" "$rows"
echo "docs/screenshots/dashboard.png"
