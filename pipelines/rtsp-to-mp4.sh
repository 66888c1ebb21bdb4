#!/usr/bin/env bash
# An RTSP camera to an MP4 with the overlay burned in, plus a JSON-lines sidecar. Any codec the
# camera sends (H.264, H.265, MJPEG, ...) is decoded; its sound, if it has any, is kept (AAC).
# Async mode, so a slow model never stalls the camera; the overlay draws on the decoder's YUV
# and the video is H.264 4:2:0, which every player plays. Ctrl-C finishes the file cleanly.
# Usage: rtsp-to-mp4.sh rtsp://camera/stream OUT.mp4
# Environment: MODEL, PROMPTS, SIZE, THREADS (the model's compute threads; 0: the element's
# default, which leaves a core to the decoder and encoder).
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 RTSP_URL OUT.mp4" >&2; exit 2; }
source "$(dirname "$0")/common.sh"
jsonl="${2%.mp4}.jsonl"
probe_input "$1"
remove_empty_at_exit "$2" "$jsonl"
# (the audio branch is left unquoted: its words are gst-launch-1.0's)
gst-launch-1.0 -e rtspsrc location="$1" latency=200 name=src \
  src. ! application/x-rtp,media=video ! decodebin ! videoconvert ! video/x-raw,format=I420 ! \
  legrad model="$MODEL" prompts="$PROMPTS" input-size="${SIZE:-0}" threads="$THREADS" \
    mode=async attach-roi=true ! tee name=t \
  t. ! queue ! legradmetaconvert location="$jsonl" ! fakesink sync=false \
  t. ! queue ! legradoverlay ! x264enc tune=zerolatency ! mp4mux name=mux ! \
  filesink location="$2" \
  $(if [ "$input_has_audio" = 1 ]; then
      echo "src. ! application/x-rtp,media=audio ! decodebin name=audio"
      audio_branch audio mux
    fi)
