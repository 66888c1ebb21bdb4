#!/usr/bin/env bash
# A video file to an annotated MP4 plus a JSON-lines sidecar, every frame analysed
# (mode=sync: right for files). Any codec GStreamer decodes is read; the sound, if there is
# any, is kept (AAC). The overlay draws on the decoder's YUV and the video is H.264 4:2:0,
# which every player and hardware decoder plays; the MP4 is fragmented, written out whole
# each second, so an interrupted run leaves a file that plays to where it got. An input that
# cannot be read is an error that leaves no output behind.  Usage: file-to-annotated.sh IN OUT.mp4
# Environment: MODEL, PROMPTS, SIZE, THREADS.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 IN OUT.mp4" >&2; exit 2; }
source "$(dirname "$0")/common.sh"
jsonl="${2%.mp4}.jsonl"
probe_input "$1"
remove_empty_at_exit "$2" "$jsonl"
# (the audio branch is left unquoted: its words are gst-launch-1.0's)
file_recording mux "$2"
gst-launch-1.0 -e uridecodebin uri="$(input_uri "$1")" name=d \
  d. ! video/x-raw ! queue ! videoconvert ! video/x-raw,format=I420 ! \
  legrad model="$MODEL" prompts="$PROMPTS" input-size="${SIZE:-0}" threads="$THREADS" \
    attach-roi=true ! \
  legradmetaconvert location="$jsonl" ! legradoverlay ! x264enc bframes=0 ! \
  "${recording_args[@]}" \
  $(audio_branch d. mux.)
