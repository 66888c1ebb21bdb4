#!/usr/bin/env bash
# What many prompts cost, on ViT-B/16 at 224 (random weights, written by `legrad bench
# --write-model`, with the CLIP vocabulary): the `legrad` element's encoding time for P prompts
# (its "Encoded P prompts in N ms" message, at its default threads), then a frame's time and the
# peak resident memory from `legrad bench --prompts P`, the gradients in chunks (the default)
# and in one pass (--prompts-per-pass P), alternately. Prints a Markdown table.
# Usage: bench-prompts.sh   Environment: COUNTS ("1 8 100 500"), VOCAB (default
# ../shared/golden's CLIP vocabulary), DTYPE (auto).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/scripts/bench-common.sh"
vocab="${VOCAB:-$root/../shared/golden/bpe_simple_vocab_16e6.txt.gz}"
[ -f "$vocab" ] || { echo "error: no CLIP vocabulary at $vocab (set VOCAB)" >&2; exit 1; }
dtype="${DTYPE:-auto}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$legrad" bench --arch ViT-B-16 --write-model "$work/vit" >/dev/null
cp "$vocab" "$work/vit/"
words=(person forklift car dog cat bicycle helmet box pallet truck door chair window ladder
  bag shoe coat hat tree sign)

encode_ms() {  # COUNT
  for i in $(seq "$1"); do echo "a photo of a ${words[$((i % ${#words[@]}))]} number $i"; done \
    > "$work/prompts.txt"
  gst-launch-1.0 videotestsrc num-buffers=1 ! legrad model="$work/vit" dtype="$dtype" \
    prompts-file="$work/prompts.txt" ! fakesink 2>&1 | sed -n 's/^Encoded .* in \([0-9]*\) ms$/\1/p'
}
frame() {  # COUNT PER_PASS -> "median_ms peak_rss_mb"
  "$legrad" bench --model "$work/vit" --prompts "$1" --prompts-per-pass "$2" --iters 2 \
    --warmup 1 --dtype "$dtype" --json 2>/dev/null | tail -1 |
    sed 's/.*"median_ms": *\([0-9.]*\).*"peak_rss_mb": *\([0-9.]*\).*/\1 \2/' |
    awk '{ printf "%.0f %.0f\n", $1, $2 }'
}

echo "$(machine_line); dtype $dtype"
echo
echo "| prompts | encoding ms (element) | frame ms, chunks | peak MB, chunks | frame ms, one pass | peak MB, one pass |"
echo "|---|---|---|---|---|---|"
for n in ${COUNTS:-1 8 100 500}; do
  read -r chunked_ms chunked_mb <<< "$(frame "$n" 0)"
  read -r whole_ms whole_mb <<< "$(frame "$n" "$n")"
  echo "| $n | $(encode_ms "$n") | $chunked_ms | $chunked_mb | $whole_ms | $whole_mb |"
done
