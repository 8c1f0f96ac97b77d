#!/usr/bin/env bash
# Installs what videocall needs to build and run, when it is missing: GStreamer 1.22 with the
# plugins we use (Debian packages) and pkg-config. Rust comes from the machine's toolchain.
set -euo pipefail

packages=(
  pkg-config
  libgstreamer1.0-dev
  libgstreamer-plugins-base1.0-dev
  libgstreamer-plugins-bad1.0-dev
  gstreamer1.0-plugins-base
  gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad
  gstreamer1.0-plugins-ugly
  gstreamer1.0-libav
  gstreamer1.0-tools
  # Outputs a desktop needs: X11 (ximagesink, xvimagesink), OpenGL (glimagesink, also on
  # Wayland), ALSA and PulseAudio. Without them autovideosink picked a sink that crashed.
  gstreamer1.0-x
  gstreamer1.0-gl
  gstreamer1.0-alsa
  gstreamer1.0-pulseaudio
  iproute2
  # Test peers and tools: ffmpeg/ffprobe (third-party RTP peer, and screenshots of the window
  # with x11grab), Xvfb and xauth (a display for the window tests), xdotool (keys typed into
  # the window: tests/window.rs, scripts/screenshots/window.sh).
  ffmpeg
  xvfb
  xauth
  # Renders the call report page in tests/report.rs and scripts/screenshots/report.sh.
  chromium
  # The dashboard's test drives it in a real terminal; its screenshot is rendered with PIL.
  tmux
  python3-pil
  fonts-dejavu-core
  # The window test types the call's keys into its window.
  xdotool
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: cargo not found: install Rust (https://rustup.rs) and run this again" >&2
  exit 1
fi
