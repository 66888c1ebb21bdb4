#!/usr/bin/env bash
# Explains one picture with LeGrad: one overlay PNG per prompt, the raw heatmaps
# (safetensors) and the presence scores, under out/.
#
#   pipelines/explain-picture.sh [IMAGE]
#
# Environment: MODEL (a .safetensors file or an open_clip model folder; default: the
# reference model of ../shared/golden/vit_p16_448, random weights, which checks the chain
# but localises nothing), PROMPTS ("a;b"), SIZE (input size S, default 448 as the reference demos), OUT (output prefix).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
image="${1:-$root/pipelines/data/shapes.png}"
model="${MODEL:-$root/../shared/golden/vit_p16_448}"
prompts="${PROMPTS:-a red circle;a blue square}"
out="${OUT:-$root/out/explain}"
mkdir -p "$(dirname "$out")"
size_args=(--size "${SIZE:-448}")
"$root/build/core/legrad" explain --model "$model" --prompts "$prompts" "${size_args[@]}" \
  --out "$out" "$image"
echo "outputs: ${out}_*.png and ${out}_heatmaps.safetensors"
