#!/usr/bin/env bash
# Headless demo, no camera or display needed: analyses a video (a file given as the first
# argument, or a generated test video of Fashion-MNIST items moving about: a sneaker, a dress
# and a sandal by default), writes the annotated video to $OUT/demo.mp4 (heatmaps, labels and
# boxes burned in, scaled to 256x256) and the metadata to $OUT/demo.jsonl (one JSON object per
# frame). x264enc runs with tune=zerolatency: with its default look-ahead it holds dozens of
# frames before the first output and the tee's other branch fills its queue while the pipeline
# prerolls.
# Environment: MODEL, PROMPTS ("a;b"), FRAMES (test video length, default 60), SCENE (which
# generated scene), SCENE_SIZE (its frames' size, default 64), SIZE (model input size,
# default: the model's own), METHOD (explainer).
set -euo pipefail
source "$(dirname "$0")/common.sh"
if [ $# -ge 1 ]; then
  source_desc="filesrc location=$1 ! decodebin"
else
  source_desc="$(moving_items_source)"
fi
gst-launch-1.0 -e $source_desc ! videoconvert ! video/x-raw,format=RGBx ! \
  legrad model="$MODEL" prompts="$PROMPTS" input-size="${SIZE:-0}" method="${METHOD:-legrad}" \
    attach-roi=true ! \
  tee name=t \
  t. ! queue ! legradmetaconvert location="$OUT/demo.jsonl" ! fakesink sync=false \
  t. ! queue ! videoscale ! video/x-raw,width=256,height=256 ! legradoverlay ! videoconvert ! \
  x264enc tune=zerolatency speed-preset=veryfast ! mp4mux ! \
  filesink location="$OUT/demo.mp4"
echo "wrote $OUT/demo.mp4 (annotated video) and $OUT/demo.jsonl (metadata per frame)"
