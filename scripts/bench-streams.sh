#!/usr/bin/env bash
# Many streams on one model, unbatched and batched, in one run: `legrad bench --streams N
# --batch B` (the element's own per-stream class, StreamAnalyzer, without GStreamer) and the
# same as a gst-launch pipeline of N
# `legrad` elements sharing the model (videotestsrc, 640x480 RGB, FRAMES frames each, no
# clock: as fast as they go). Alternates batched and unbatched ROUNDS times, keeping each
# one's best. Prints a Markdown table.
# Usage: bench-streams.sh [MODEL]   (default: the bundled model)
# Environment: STREAMS (4), BATCH (= STREAMS), PROMPTS (2), FRAMES (60), ROUNDS (3),
# DTYPE (auto), DEVICE (cpu), SIZE (the input size; default the model's), LEGRAD
# (build/cli/legrad), GST_PLUGIN_PATH (default build/gst-plugin).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/scripts/bench-common.sh"
model="${1:-$root/models/fashion-clip}"
streams="${STREAMS:-4}"
batch="${BATCH:-$streams}"
prompt_count="${PROMPTS:-2}"
frames="${FRAMES:-60}"
rounds="${ROUNDS:-3}"
dtype="${DTYPE:-auto}"
device="${DEVICE:-cpu}"
size="${SIZE:-}"
[ -x "$legrad" ] || { echo "error: $legrad is not built (run scripts/setup.sh)" >&2; exit 1; }

# The bench's JSON line for batch size $1: "aggregate per-stream-min per-stream-max median".
bench() {
  "$legrad" bench --model "$model" --prompts "$prompt_count" --streams "$streams" --batch "$1" \
    --iters "$frames" --warmup 3 --dtype "$dtype" --device "$device" ${size:+--size "$size"} --json 2>/dev/null | tail -1 |
    sed 's/.*"aggregate_fps":\([0-9.]*\).*"per_stream_fps":\[\([^]]*\)\].*"median_ms":\([0-9.]*\).*/\1 \2 \3/' |
    awk '{ n = split($2, f, ","); lo = hi = f[1]; for (i = 2; i <= n; i++) { if (f[i] < lo) lo = f[i]; if (f[i] > hi) hi = f[i] }
           printf "%s %s %s %s\n", $1, lo, hi, $3 }'
}
# Frames per second of N elements in one pipeline for batch size $1 (all frames over the time
# the pipeline played).
pipeline_fps() {
  local desc=() i
  # Words every vocabulary has (the bundled model's is Fashion-MNIST's ten classes).
  local prompts
  prompts=$(echo "a photo of a bag;a photo of a dress;a photo of a sneaker;a photo of a coat;a photo of a shirt;a photo of a sandal;a photo of a trouser;a photo of a pullover" |
    cut -d';' -f1-"$prompt_count")
  for i in $(seq "$streams"); do
    desc+=(videotestsrc num-buffers="$frames" pattern=ball ! video/x-raw,format=RGB,width=640,height=480 !
      legrad model="$model" prompts="$prompts" dtype="$dtype" device="$device"
      ${size:+input-size="$size"} model-instance-id=bench
      batch-size="$1" batch-timeout=100 threads="$(nproc)" nice=0 ! fakesink)
  done
  gst-launch-1.0 "${desc[@]}" 2>&1 | sed -n 's/^Execution ended after \([0-9]*\):\([0-9]*\):\([0-9.]*\)$/\1 \2 \3/p' |
    awk -v n=$((streams * frames)) '{ print n / ($1 * 3600 + $2 * 60 + $3) }'
}

echo "$(machine_line); device $device; dtype $dtype"
echo "$model: $streams streams, $prompt_count prompts, $frames frames each, 640x480; best of $rounds rounds"
echo
declare -A best_bench best_pipeline
for _ in $(seq "$rounds"); do
  for b in 1 "$batch"; do
    r=$(bench "$b")
    if [ -z "${best_bench[$b]:-}" ] || awk -v a="${r%% *}" -v b="${best_bench[$b]%% *}" 'BEGIN { exit !(a > b) }'; then
      best_bench[$b]="$r"
    fi
    best_pipeline[$b]=$(higher "$(pipeline_fps "$b")" "${best_pipeline[$b]:-}")
  done
done
echo "| batch | bench aggregate fps | bench per-stream fps (min-max) | bench median ms a frame | pipeline aggregate fps |"
echo "|---|---|---|---|---|"
for b in 1 "$batch"; do
  read -r agg lo hi med <<<"${best_bench[$b]}"
  awk -v b="$b" -v a="$agg" -v lo="$lo" -v hi="$hi" -v m="$med" -v p="${best_pipeline[$b]}" \
    'BEGIN { printf "| %d | %.1f | %.1f-%.1f | %.1f | %.1f |\n", b, a, lo, hi, m, p }'
done
awk -v a="${best_bench[$batch]%% *}" -v b="${best_bench[1]%% *}" -v p="${best_pipeline[$batch]}" -v q="${best_pipeline[1]}" \
  'BEGIN { printf "\nbatched / unbatched: bench %.2fx, pipeline %.2fx\n", a / b, p / q }'
