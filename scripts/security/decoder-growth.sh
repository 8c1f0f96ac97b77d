#!/usr/bin/env bash
# The H.264 decoders alone, in the call's decode chain, without videocall: RSS (kB) every 10 s
# for 110 s, openh264dec and avdec_h264 side by side (docs/security.md).
set -euo pipefail
run() {
  gst-launch-1.0 -q videotestsrc is-live=true pattern=ball \
    ! video/x-raw,width=640,height=480,framerate=25/1 \
    ! x264enc tune=zerolatency speed-preset=ultrafast bitrate=2000 key-int-max=25 option-string=filler=1 \
    ! video/x-h264,profile=constrained-baseline ! rtph264pay config-interval=-1 \
    ! rtph264depay request-keyframe=true wait-for-keyframe=true \
    ! capssetter caps="video/x-h264,profile=constrained-baseline" ! "$1" ! fakesink sync=true \
    >/dev/null 2>&1 &
  local pid=$! samples=()
  for _ in $(seq 1 11); do
    sleep 10
    samples+=("$(awk '/VmRSS/{print $2}' /proc/$pid/status)")
  done
  kill "$pid"
  echo "$1: ${samples[*]}"
}
run openh264dec &
run avdec_h264 &
wait
