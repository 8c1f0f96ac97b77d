#!/usr/bin/env bash
# Makes the README's screenshots in docs/screenshots/: runs every scripts/screenshots/*.sh
# (each one sets up what it needs, runs a real call and writes its PNG).
# Usage: scripts/screenshots.sh [NAME ...]   (default: all; NAME = dashboard, window, report)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo build --release --locked -p videocall
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for s in scripts/screenshots/*.sh; do names+=("$(basename "$s" .sh)"); done
fi
for n in "${names[@]}"; do
  echo "screenshots: $n" >&2
  "scripts/screenshots/$n.sh"
done
