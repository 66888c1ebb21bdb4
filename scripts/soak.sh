#!/usr/bin/env bash
# Soak run (a benchmark-style check, not a unit test): pushes FRAMES (default 20000) frames
# through legrad -> legradmetaconvert -> legradoverlay with MODEL and prints the resident
# memory after the first 1000 frames and near the end, and the growth between them.
#   MODEL=... scripts/soak.sh [FRAMES]
set -euo pipefail
source "$(dirname "$0")/../pipelines/common.sh"
frames="${1:-20000}"
log="$OUT/soak.jsonl"
rm -f "$log"
gst-launch-1.0 -q videotestsrc num-buffers="$frames" pattern=ball ! \
  video/x-raw,width=320,height=240,framerate=30/1,format=RGBx ! \
  legrad model="$MODEL" prompts="$PROMPTS" attach-roi=true ! \
  legradmetaconvert location="$log" ! legradoverlay ! fakesink sync=false &
pid=$!
rss() { awk '/VmRSS/ { print $2 }' "/proc/$pid/status"; }
lines() { [ -f "$log" ] && wc -l < "$log" || echo 0; }
start_time=$(date +%s)
until [ "$(lines)" -ge 1000 ]; do sleep 1; done
first=$(rss)
until [ "$(lines)" -ge $((frames - 200)) ]; do sleep 1; done
last=$(rss)
wait "$pid"
elapsed=$(( $(date +%s) - start_time ))
echo "frames: $frames in ${elapsed}s; RSS after 1000 frames: ${first} kB; near the end: ${last} kB;" \
  "growth: $(awk -v a="$first" -v b="$last" 'BEGIN { printf "%.2f%%", (b - a) * 100 / a }')"
