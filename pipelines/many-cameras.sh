#!/usr/bin/env bash
# Several cameras (or files) through one loaded model in one pipeline, their frames batched:
# input N is recorded as OUT/cam-N-YYYYMMDDTHHMMSSZ.mp4 (overlay, H.264 4:2:0, the input's
# sound kept as AAC where it has any; a camera in SEGMENT-second segments, a file in one) and
# OUT/cam-N-YYYYMMDDTHHMMSSZ.jsonl (heatmap metadata, one for the run), N counting from 1. Any codec GStreamer decodes is read
# (H.264, H.265, MJPEG, ...); an input that cannot be read is an error naming it, before
# anything is recorded. A camera that drops is connected to again (1, 2, 4 ... up to 30 s
# apart) while the others, and its own recording, go on. Recordings are fragmented MP4, so a
# killed recorder leaves files that play to their last second. The `legrad` elements share the
# model (model-instance-id) and explain their frames together, up to BATCH at a time (default:
# one per input), a frame waiting at most BATCH_TIMEOUT ms for the others. Files are analysed
# frame by frame (mode=auto is sync for them); cameras keep real time (auto is async there).
# Usage: many-cameras.sh INPUT... (a file path or an rtsp:// / http:// URL each)
# Environment: MODEL, PROMPTS, SIZE, OUT (default out/), BATCH, BATCH_TIMEOUT (33), THREADS,
# SEGMENT (seconds per camera file, default 600; 0: one file), TIMEOUT (seconds without data
# before a camera counts as lost, default 5), CLIPS (a folder: a clip cam-N-clip-TIME.mp4 of
# each presence event, from PRE_ROLL s before it to POST_ROLL s after, default 5 each; its path
# in the input's JSON lines), EVENT_MIN_FRAMES, EVENT_HOLD (ms). Ctrl-C finishes the recordings.
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 INPUT..." >&2; exit 2; }
source "$(dirname "$0")/common.sh"
batch="${BATCH:-$#}"
started="$(date -u +%Y%m%dT%H%M%SZ)"
branches=()
n=0
for input in "$@"; do
  n=$((n + 1))
  probe_input "$input"
  uri="$(input_uri "$input")"
  if is_camera "$uri"; then
    read -r -a source_args <<< "$(camera_source "c$n" "$uri")"
    branches+=("${source_args[@]}" "c$n.video" !)
    recording_args=(legradrecordsink name="rec$n" location="$OUT" stream-id="cam-$n"
      segment-duration="$SEGMENT" $(audio_branch "c$n.audio" "rec$n.audio_%u"))
  else
    branches+=(uridecodebin uri="$uri" name="c$n" "c$n." ! video/x-raw ! queue ! videoconvert !
      video/x-raw,format=I420 !)
    file_recording "rec$n" "$OUT/cam-$n-$started.mp4"
    recording_args+=($(audio_branch "c$n." "rec$n."))
  fi
  clip_branch "enc$n" "cam-$n"
  branches+=(legrad model="$MODEL" prompts="$PROMPTS" input-size="${SIZE:-0}" attach-roi=true
    threads="$THREADS" model-instance-id=many-cameras batch-size="$batch"
    batch-timeout="${BATCH_TIMEOUT:-33}" $event_words !
    legradmetaconvert location="$OUT/cam-$n-$started.jsonl" ! legradoverlay !
    x264enc tune=zerolatency ! tee name="enc$n" ! queue ! "${recording_args[@]}" "${clip_args[@]}")
done
gst-launch-1.0 -e "${branches[@]}"
