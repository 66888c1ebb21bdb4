#!/usr/bin/env bash
# An RTSP camera (H.264) to an MP4 with the overlay burned in, plus a JSON-lines sidecar.
# Async mode, so a slow model never stalls the camera. Ctrl-C finishes the file cleanly. The
# video is H.264 4:2:0 (I420 before the encoder), which every player plays.
# Usage: rtsp-to-mp4.sh rtsp://camera/stream OUT.mp4   Environment: MODEL, PROMPTS, SIZE.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 RTSP_URL OUT.mp4" >&2; exit 2; }
source "$(dirname "$0")/common.sh"
jsonl="${2%.mp4}.jsonl"
# A camera that cannot be reached leaves no empty recording behind.
out_mp4="$2"
remove_if_empty() { for f in "$out_mp4" "$jsonl"; do [ -s "$f" ] || rm -f "$f"; done; }
trap remove_if_empty EXIT
gst-launch-1.0 -e rtspsrc location="$1" latency=200 ! rtph264depay ! avdec_h264 ! \
  videoconvert ! legrad model="$MODEL" prompts="$PROMPTS" input-size="${SIZE:-0}" mode=async \
  attach-roi=true ! tee name=t \
  t. ! queue ! legradmetaconvert location="$jsonl" ! fakesink sync=false \
  t. ! queue ! legradoverlay ! videoconvert ! video/x-raw,format=I420 ! \
  x264enc tune=zerolatency ! mp4mux ! \
  filesink location="$2"
