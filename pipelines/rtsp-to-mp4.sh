#!/usr/bin/env bash
# A camera recorded for as long as it runs: the overlay burned in, as fragmented MP4 segments
# OUT_DIR/STREAM-YYYYMMDDTHHMMSSZ.mp4 (UTC start time) of SEGMENT seconds, plus a JSON-lines
# sidecar OUT_DIR/STREAM-YYYYMMDDTHHMMSSZ.jsonl for the run. Any codec the camera sends (H.264,
# H.265, MJPEG, ...) is decoded; its sound, if it has any, is kept (AAC). A camera that drops
# is connected to again (1, 2, 4 ... up to 30 s apart) while the recording goes on: the gap is
# a gap in the video and a camera-lost / camera-back line in the sidecar. A killed recorder
# leaves segments that play to their last second; Ctrl-C finishes the last one cleanly.
# Async mode, so a slow model never stalls the camera; the video is H.264 4:2:0, which every
# player plays.
# Usage: rtsp-to-mp4.sh CAMERA_URL OUT_DIR
# Environment: MODEL, PROMPTS, SIZE, THREADS (the model's compute threads; 0: the element's
# default, which leaves a core to the decoder and encoder), STREAM (the files' names, default
# cam), SEGMENT (seconds per file, default 600; 0: one file), TIMEOUT (seconds without data
# before the camera counts as lost, default 5), CLIPS (a folder: a clip of each presence
# event, from PRE_ROLL s before it to POST_ROLL s after it, default 5 each, with the overlay;
# its path in the sidecar), EVENT_MIN_FRAMES, EVENT_HOLD (ms): when an event starts and ends.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 CAMERA_URL OUT_DIR" >&2; exit 2; }
case "$2" in
  *.mp4) echo "error: OUT_DIR '$2' is a folder: the recording goes into it as segments" >&2
         exit 2 ;;
esac
source "$(dirname "$0")/common.sh"
stream="${STREAM:-cam}"
probe_input "$1"
mkdir -p "$2"
jsonl="$2/$stream-$(date -u +%Y%m%dT%H%M%SZ).jsonl"
remove_empty_at_exit "$jsonl"
clip_branch enc "$stream"
# The sidecar is written in line with the video, so that the clip sink's lines (upstream
# events) reach it. (The camera and audio words are left unquoted: they are gst-launch-1.0's.)
gst-launch-1.0 -e $(camera_source src "$1") \
  src.video ! legrad model="$MODEL" prompts="$PROMPTS" input-size="${SIZE:-0}" \
    threads="$THREADS" mode=async attach-roi=true $event_words ! \
  legradmetaconvert location="$jsonl" ! legradoverlay ! x264enc tune=zerolatency ! tee name=enc \
  enc. ! queue ! \
  legradrecordsink name=rec location="$2" stream-id="$stream" segment-duration="$SEGMENT" \
  "${clip_args[@]}" $(audio_branch src.audio "rec.audio_%u")
