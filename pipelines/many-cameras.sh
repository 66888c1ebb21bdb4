#!/usr/bin/env bash
# Several cameras (or files) through one loaded model in one pipeline, their frames batched:
# each input becomes OUT/cam-N.mp4 (overlay, H.264 4:2:0, the input's sound kept as AAC where
# it has any) and OUT/cam-N.jsonl (heatmap metadata), N counting from 1. Any codec GStreamer
# decodes is read (H.264, H.265, MJPEG, ...); an input that cannot be read is an error naming
# it, before anything is recorded. The `legrad` elements share the model (model-instance-id)
# and explain their frames together, up to BATCH at a time (default: one per input), a frame
# waiting at most BATCH_TIMEOUT ms for the others. Files are analysed frame by frame
# (mode=auto is sync for them); live cameras keep real time (auto is async there).
# Usage: many-cameras.sh INPUT... (a file path or an rtsp:// / http:// URL each)
# Environment: MODEL, PROMPTS, SIZE, OUT (default out/), BATCH, BATCH_TIMEOUT (33), THREADS.
# Ctrl-C finishes the recordings.
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 INPUT..." >&2; exit 2; }
source "$(dirname "$0")/common.sh"
batch="${BATCH:-$#}"
branches=()
n=0
for input in "$@"; do
  n=$((n + 1))
  probe_input "$input"
  branches+=(uridecodebin uri="$(input_uri "$input")" name="d$n"
    "d$n." ! video/x-raw ! queue ! videoconvert ! video/x-raw,format=I420 !
    legrad model="$MODEL" prompts="$PROMPTS" input-size="${SIZE:-0}" attach-roi=true
    threads="$THREADS" model-instance-id=many-cameras batch-size="$batch"
    batch-timeout="${BATCH_TIMEOUT:-33}" !
    legradmetaconvert location="$OUT/cam-$n.jsonl" ! legradoverlay !
    x264enc tune=zerolatency ! mp4mux name="mux$n" !
    filesink location="$OUT/cam-$n.mp4" $(audio_branch "d$n" "mux$n"))
done
gst-launch-1.0 -e "${branches[@]}"
