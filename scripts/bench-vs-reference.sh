#!/usr/bin/env bash
# `legrad bench` beside the official LeGrad implementation (../shared/reference, open_clip 2.23
# + timm 0.9.12), on this machine, in one run: ViT-B/16 with random weights, every combination
# of input size, prompt count and dtype, ours and the reference alternately (ROUNDS times
# each, the lower of the rounds' medians kept: this kind of VM runs at two speeds from one
# minute to the next). Prints a Markdown table with the ratio (reference / ours: above 1 is
# ours faster) and the machine it ran on.
# Usage: bench-vs-reference.sh [--cuda]
# Environment: REFERENCE (default ../shared/reference), SIZES ("224 448"), PROMPTS ("1 8"),
# DTYPES ("fp32 bf16"), ITERS (5), ROUNDS (2), THREADS (every core), PYTHON (/usr/bin/python3;
# on a machine with its own PyTorch, that interpreter), LEGRAD (build/cli/legrad).
# Ours times a whole frame (a 640x480 picture resized and normalised, LeGrad, heatmaps back);
# the reference gets a ready model input, so the comparison is conservative for ours.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/scripts/bench-common.sh"
reference="$(realpath -m "${REFERENCE:-$root/../shared/reference}")"
python="${PYTHON:-/usr/bin/python3}"
threads="${THREADS:-$(nproc)}"
iters="${ITERS:-5}"
rounds="${ROUNDS:-2}"
device=cpu ref_device=()
if [ "${1:-}" = "--cuda" ]; then device=cuda ref_device=(--cuda); fi

[ -f "$reference/official_bench.py" ] || { echo "error: no $reference/official_bench.py (set REFERENCE)" >&2; exit 1; }
[ -x "$legrad" ] || { echo "error: $legrad is not built (run scripts/setup.sh)" >&2; exit 1; }
# What the reference imports, from Debian 12's packages (only where Debian's Python runs it).
if [ "$python" = /usr/bin/python3 ] && ! "$python" -c 'import torch, torchvision, regex, PIL, tqdm, wcwidth, yaml, matplotlib, cv2' 2>/dev/null; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends \
    python3-torch python3-torchvision python3-regex python3-pil python3-numpy python3-tqdm \
    python3-wcwidth python3-yaml python3-matplotlib python3-opencv libopenblas0-openmp
fi

# The median ms of the JSON line a command ends with.
median_of() { grep -o '"median_ms": *[0-9.]*' | tail -1 | sed 's/.*: *//'; }
ours() {
  "$legrad" bench --arch ViT-B-16 --size "$1" --prompts "$2" --dtype "$3" --device "$device" \
    --threads "$threads" --iters "$iters" --warmup 1 --json | median_of
}
theirs() {
  local bf16=()
  [ "$3" = bf16 ] && bf16=(--bf16)
  "$python" "$reference/official_bench.py" ViT-B-16 "$1" "$2" "$iters" "${bf16[@]}" \
    "${ref_device[@]}" --threads "$threads" 2>/dev/null | median_of
}
fail() { echo "error: $* printed no median (run it alone to see why)" >&2; exit 1; }

flags=$(grep -o -w -E 'avx512f|avx512_bf16|amx_bf16|amx_tile' /proc/cpuinfo | sort -u | tr '\n' ' ')
echo "$(machine_line); CPU flags: ${flags:-no AVX-512}; $threads threads; device $device"
echo "ours: $legrad; reference: $reference with $python (torch $("$python" -c 'import torch; print(torch.__version__)'))"
echo "ViT-B/16, random weights, median ms over $iters frames, the lower of $rounds rounds"
echo
echo "| size | prompts | dtype | ours ms | reference ms | reference / ours |"
echo "|---|---|---|---|---|---|"
for size in ${SIZES:-224 448}; do
  for prompts in ${PROMPTS:-1 8}; do
    for dtype in ${DTYPES:-fp32 bf16}; do
      best_ours="" best_theirs=""
      for _ in $(seq "$rounds"); do
        o=$(ours "$size" "$prompts" "$dtype") || fail "legrad bench at $size/$prompts/$dtype"
        t=$(theirs "$size" "$prompts" "$dtype") || fail "official_bench.py at $size/$prompts/$dtype"
        best_ours=$(lower "$o" "$best_ours")
        best_theirs=$(lower "$t" "$best_theirs")
      done
      awk -v s="$size" -v p="$prompts" -v d="$dtype" -v o="$best_ours" -v t="$best_theirs" \
        'BEGIN { printf "| %d | %d | %s | %.0f | %.0f | %.2f |\n", s, p, d, o, t, t / o }'
    done
  done
done
