#!/usr/bin/env bash
# Explains one picture: one overlay PNG per prompt, the raw heatmaps (safetensors) and the
# presence scores, under out/.
#
#   pipelines/explain-picture.sh [IMAGE]
#
# Environment: MODEL (a .safetensors file or an open_clip model folder; default: the bundled
# model), PROMPTS ("a;b"), SIZE (input size S, default: the model's own), METHOD (legrad,
# raw-attention, rollout, gradcam, chefercam, chefercam-last), OUT (output prefix). The
# default picture is a held-out Fashion-MNIST scene with a sneaker, a dress and a sandal.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
image="${1:-$root/pipelines/data/sneaker-dress-sandal.png}"
model="${MODEL:-$root/models/fashion-clip}"
prompts="${PROMPTS:-a photo of a sneaker;a photo of a dress}"
out="${OUT:-$root/out/explain}"
mkdir -p "$(dirname "$out")"
"${LEGRAD:-$root/build/cli/legrad}" explain --model "$model" --prompts "$prompts" \
  --size "${SIZE:-0}" --method "${METHOD:-legrad}" --out "$out" "$image"
echo "outputs: ${out}_*.png and ${out}_heatmaps.safetensors"
