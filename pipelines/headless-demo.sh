#!/usr/bin/env bash
# Headless demo, no camera or display needed: analyses a video (a file given as the first
# argument, or a generated test video of Fashion-MNIST items moving about: a sneaker, a dress
# and a sandal by default), writes the annotated video to $OUT/demo.mp4 (heatmaps, labels and
# boxes burned in; H.264 4:2:0, which every player plays; a file keeps its size, the 64-pixel
# test video is scaled to 256x256, OUT_SIZE=WxH sets another) and the metadata to
# $OUT/demo.jsonl (one JSON object per frame). x264enc runs with tune=zerolatency: with its
# default look-ahead it holds dozens of frames before the first output and the tee's other
# branch fills its queue while the pipeline prerolls.
# Environment: MODEL, PROMPTS ("a;b"), THREADS, FRAMES (test video length, default 60), SCENE
# (which generated scene), SCENE_SIZE (its frames' size, default 64), SIZE (model input size,
# default: the model's own), METHOD (explainer), MIN_PROBABILITY (the presence probability a
# prompt needs for a box, for models that give one; default the element's, 0.5; 0: a box for
# every prompt in every frame).
set -euo pipefail
source "$(dirname "$0")/common.sh"
# The source as separate arguments: gst-launch-1.0 escapes each, so paths may hold spaces. A
# file's sound, if it has any, goes into the MP4 too.
input_has_audio=0
if [ $# -ge 1 ]; then
  probe_input "$1"
  source_args=(uridecodebin "uri=$(input_uri "$1")" name=d d. ! video/x-raw ! queue)
  out_size="${OUT_SIZE:-}"
else
  read -r -a source_args <<< "$(moving_items_source)"
  out_size="${OUT_SIZE:-256x256}"
fi
scale_args=()
if [ -n "$out_size" ]; then
  scale_args=(videoscale ! "video/x-raw,width=${out_size%x*},height=${out_size#*x}" !)
fi
remove_empty_at_exit "$OUT/demo.mp4" "$OUT/demo.jsonl"
probability_args=()
if [ -n "${MIN_PROBABILITY:-}" ]; then probability_args=("min-probability=$MIN_PROBABILITY"); fi
file_recording mux "$OUT/demo.mp4"
gst-launch-1.0 -e "${source_args[@]}" ! videoconvert ! video/x-raw,format=I420 ! \
  legrad model="$MODEL" prompts="$PROMPTS" input-size="${SIZE:-0}" method="${METHOD:-legrad}" \
    threads="$THREADS" attach-roi=true "${probability_args[@]}" ! \
  tee name=t \
  t. ! queue ! legradmetaconvert location="$OUT/demo.jsonl" ! fakesink sync=false \
  t. ! queue ! "${scale_args[@]}" legradoverlay ! \
  x264enc tune=zerolatency speed-preset=veryfast ! "${recording_args[@]}" \
  $(audio_branch d. mux.)
echo "wrote $OUT/demo.mp4 (annotated video) and $OUT/demo.jsonl (metadata per frame)"
