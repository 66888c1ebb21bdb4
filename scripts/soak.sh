#!/usr/bin/env bash
# Soak run (a benchmark-style check, not a unit test): pushes FRAMES (default 20000) frames
# through legrad -> legradmetaconvert -> legradoverlay with MODEL and reads the resident
# memory every second. Single readings swing by a few MB as large per-frame buffers are freed
# and taken again, so it compares the peaks of the first and the second half of the run
# (after 1000 frames of warm-up); a leak shows as growth between them. STREAMS > 1 runs that
# many such branches in the one pipeline, sharing the model and batching their frames
# (batch-size STREAMS); FRAMES counts each stream's frames. FORMAT is the frames' format
# (default I420, what decoders give; RGBx for the packed path).
#   MODEL=... [STREAMS=4] [FORMAT=RGBx] scripts/soak.sh [FRAMES]
set -euo pipefail
source "$(dirname "$0")/../pipelines/common.sh"
frames="${1:-20000}"
log="$OUT/soak.jsonl"
streams="${STREAMS:-1}"
branches=()
for i in $(seq "$streams"); do
  stream_log="$log"
  [ "$i" -gt 1 ] && stream_log="$OUT/soak-$i.jsonl"
  rm -f "$stream_log"
  branches+=(videotestsrc num-buffers="$frames" pattern=ball !
    video/x-raw,width=320,height=240,framerate=30/1,format="${FORMAT:-I420}" !
    legrad model="$MODEL" prompts="$PROMPTS" attach-roi=true model-instance-id=soak
    batch-size="$streams" !
    legradmetaconvert location="$stream_log" ! legradoverlay ! fakesink sync=false)
done
gst-launch-1.0 -q "${branches[@]}" &
pid=$!
rss() { awk '/VmRSS/ { print $2 }' "/proc/$pid/status"; }
lines() { [ -f "$log" ] && wc -l < "$log" || echo 0; }
start_time=$(date +%s)
half=$(( (frames + 1000) / 2 ))
first=0 second=0
while :; do
  n=$(lines)
  [ "$n" -ge $((frames - 200)) ] && break
  kill -0 "$pid" 2>/dev/null || break  # the pipeline ended early: wait reports how
  if [ "$n" -ge 1000 ]; then
    r=$(rss) || break  # the pipeline may end between the check above and this read
    if [ "$n" -lt "$half" ]; then
      [ "$r" -gt "$first" ] && first=$r
    else
      [ "$r" -gt "$second" ] && second=$r
    fi
  fi
  sleep 1
done
wait "$pid"
elapsed=$(( $(date +%s) - start_time ))
[ "$first" -gt 0 ] && [ "$second" -gt 0 ] || { echo "error: too few frames to compare (use 3000 or more)" >&2; exit 1; }
echo "streams: $streams; frames: $frames each in ${elapsed}s; peak RSS, frames 1000-${half}: ${first} kB; frames ${half}-${frames}:" \
  "${second} kB; growth: $(awk -v a="$first" -v b="$second" 'BEGIN { printf "%.2f%%", (b - a) * 100 / a }')"
