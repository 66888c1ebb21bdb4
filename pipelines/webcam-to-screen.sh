#!/usr/bin/env bash
# A webcam (V4L2; DEVICE, default /dev/video0) to a window with heatmaps drawn on it. Raw
# (YUY2, ...) and MJPEG webcams alike (decodebin decodes what needs it). Runs in async mode:
# the camera never waits for the model, each frame shows the newest heatmap.
# Environment: MODEL, PROMPTS, SIZE, DEVICE, THREADS.
set -euo pipefail
source "$(dirname "$0")/common.sh"
gst-launch-1.0 v4l2src device="${DEVICE:-/dev/video0}" ! decodebin ! videoconvert ! \
  legrad model="$MODEL" prompts="$PROMPTS" input-size="${SIZE:-0}" threads="$THREADS" \
    mode=async attach-roi=true ! \
  legradoverlay ! videoconvert ! autovideosink sync=false
