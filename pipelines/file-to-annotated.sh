#!/usr/bin/env bash
# A video file to an annotated MP4 plus a JSON-lines sidecar, every frame analysed
# (mode=sync: right for files). The video is H.264 4:2:0 (I420 before the encoder), which
# every player and hardware decoder plays.  Usage: file-to-annotated.sh IN.mp4 OUT.mp4
# Environment: MODEL, PROMPTS, SIZE.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 IN OUT.mp4" >&2; exit 2; }
source "$(dirname "$0")/common.sh"
gst-launch-1.0 -e filesrc location="$1" ! decodebin ! videoconvert ! \
  legrad model="$MODEL" prompts="$PROMPTS" input-size="${SIZE:-0}" attach-roi=true ! \
  legradmetaconvert location="${2%.mp4}.jsonl" ! legradoverlay ! \
  videoconvert ! video/x-raw,format=I420 ! x264enc ! mp4mux ! filesink location="$2"
