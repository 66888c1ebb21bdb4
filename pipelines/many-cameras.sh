#!/usr/bin/env bash
# Several cameras (or files) through one loaded model in one pipeline, their frames batched:
# each input becomes OUT/cam-N.mp4 (overlay, H.264 4:2:0) and OUT/cam-N.jsonl (heatmap
# metadata), N counting from 1. The `legrad` elements share the model (model-instance-id)
# and explain their frames together, up to BATCH at a time (default: one per input), a frame
# waiting at most BATCH_TIMEOUT ms for the others. Files are analysed frame by frame
# (mode=auto is sync for them); live cameras keep real time (auto is async there).
# Usage: many-cameras.sh INPUT... (a file path or an rtsp:// / http:// URL each)
# Environment: MODEL, PROMPTS, SIZE, OUT (default out/), BATCH, BATCH_TIMEOUT (33).
# Ctrl-C finishes the recordings.
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 INPUT..." >&2; exit 2; }
source "$(dirname "$0")/common.sh"
batch="${BATCH:-$#}"
branches=()
n=0
for input in "$@"; do
  n=$((n + 1))
  case "$input" in
    *://*) uri="$input" ;;
    *) [ -f "$input" ] || { echo "error: no file '$input'" >&2; exit 1; }
       uri="file://$(realpath "$input" | sed 's/ /%20/g')" ;;
  esac
  branches+=(uridecodebin uri="$uri" ! videoconvert !
    legrad model="$MODEL" prompts="$PROMPTS" input-size="${SIZE:-0}" attach-roi=true
    model-instance-id=many-cameras batch-size="$batch" batch-timeout="${BATCH_TIMEOUT:-33}" !
    legradmetaconvert location="$OUT/cam-$n.jsonl" ! legradoverlay ! videoconvert !
    video/x-raw,format=I420 ! x264enc tune=zerolatency ! mp4mux !
    filesink location="$OUT/cam-$n.mp4")
done
gst-launch-1.0 -e "${branches[@]}"
