#!/usr/bin/env bash
# Makes docs/screenshots/report.png: a 20 s demo call writes its report page (--report), and
# headless Chromium renders the page. Run from anywhere; builds the binary when needed.
# VIDEOCALL_BIN picks another binary; SECONDS_OF_CALL another call length.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${VIDEOCALL_BIN:-}
if [ -z "$bin" ]; then
  cargo build --release --quiet
  bin="${CARGO_TARGET_DIR:-target}/release/videocall"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin" demo --insecure --duration "${SECONDS_OF_CALL:-20}" \
  --video-source test --audio-source test --video-sink none --audio-sink none \
  --report "$work/report.html" >/dev/null
mkdir -p docs/screenshots
timeout 120 /usr/bin/chromium --headless --no-sandbox --disable-gpu \
  --disable-background-networking --disable-component-update --disable-sync --no-first-run \
  --hide-scrollbars --user-data-dir="$work/chromium" --screenshot="$PWD/docs/screenshots/report.png" \
  --window-size=1280,1400 "file://$work/report.html" 2>/dev/null
echo "docs/screenshots/report.png from $work/report.html"
