#!/usr/bin/env bash
# The `legrad` element's speed beside `legrad bench`'s on the same model, in one run: the
# bundled model and a ViT-B/16 (random weights, written by `legrad bench --write-model`), a
# 640x480 RGB frame each, ours alternately (ROUNDS times, the lower kept: this kind of VM runs
# at two speeds from one minute to the next). The element's figure is its own
# mean-inference-ms over the second half of the frames (legrad-stats messages; the first half
# warms up), which covers what the bench times plus the copy of the maps into metadata. The
# element runs with the bench's threads (every core) and priority (nice 0), not its live-pipeline
# defaults, so that the two compare like for like.
# Prints a Markdown table; "element / bench" is the element's frame rate as a share of the
# bench's (issue target: >= 0.9).
# Usage: bench-element.sh [--device cuda]
# Environment: ITERS (frames per half: 100 for the bundled model, 10 for ViT-B/16), ROUNDS (2),
# DTYPE (auto), VOCAB (the CLIP BPE vocabulary for ViT-B/16; default ../shared/golden's),
# LEGRAD (build/cli/legrad), GST_PLUGIN_PATH (default build/gst-plugin).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/scripts/bench-common.sh"
vocab="${VOCAB:-$root/../shared/golden/bpe_simple_vocab_16e6.txt.gz}"
dtype="${DTYPE:-auto}"
rounds="${ROUNDS:-2}"
device=cpu
[ "${1:-}" = "--device" ] && device="$2"
[ -x "$legrad" ] || { echo "error: $legrad is not built (run scripts/setup.sh)" >&2; exit 1; }
[ -f "$vocab" ] || { echo "error: no CLIP vocabulary at $vocab (set VOCAB)" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$legrad" bench --arch ViT-B-16 --write-model "$work/vit-b-16" >/dev/null
cp "$vocab" "$work/vit-b-16/"

bench_ms() {  # MODEL PROMPT_COUNT ITERS
  "$legrad" bench --model "$1" --prompts "$2" --iters "$3" --warmup 2 --dtype "$dtype" \
    --device "$device" --json 2>/dev/null | grep -o '"median_ms": *[0-9.]*' | sed 's/.*: *//'
}
# The mean of the second ITERS analyses, from the running means posted after ITERS and 2 ITERS.
element_ms() {  # MODEL PROMPTS ITERS
  gst-launch-1.0 -m videotestsrc num-buffers=$(($3 * 2)) pattern=ball \
    ! video/x-raw,format=RGB,width=640,height=480 \
    ! legrad model="$1" prompts="$2" dtype="$dtype" device="$device" stats-interval="$3" \
      threads="$(nproc)" nice=0 \
    ! fakesink 2>&1 | grep -o 'mean-inference-ms=(double)[0-9.]*' | sed 's/.*)//' |
    awk 'NR == 1 { a = $1 } NR == 2 { b = $1 } END { if (NR < 2) exit 1; print 2 * b - a }'
}

echo "$(machine_line); device $device; dtype $dtype"
echo "640x480 RGB frames; bench: median ms; element: mean-inference-ms of the second half; the lower of $rounds rounds"
echo
echo "| model | input | prompts | bench ms | element ms | element / bench |"
echo "|---|---|---|---|---|---|"
run_case() {  # LABEL MODEL PROMPTS ITERS
  local count best_bench="" best_element=""
  count=$(awk -F';' '{ print NF }' <<<"$3")
  for _ in $(seq "$rounds"); do
    best_bench=$(lower "$(bench_ms "$2" "$count" "$4")" "$best_bench")
    best_element=$(lower "$(element_ms "$2" "$3" "$4")" "$best_element")
  done
  local size
  size=$(grep -o '"image_size": *[0-9]*' "$2/open_clip_config.json" | head -1 | sed 's/.*: *//')
  awk -v l="$1" -v s="$size" -v p="$count" -v b="$best_bench" -v e="$best_element" \
    'BEGIN { printf "| %s | %d | %d | %.1f | %.1f | %.2f |\n", l, s, p, b, e, b / e }'
}
run_case "bundled (fashion-clip)" "$root/models/fashion-clip" "a bag;a sneaker" "${ITERS:-100}"
run_case "ViT-B/16 (random)" "$work/vit-b-16" "a person" "${ITERS:-10}"
