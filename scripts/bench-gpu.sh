#!/bin/bash
# The GPU measurements of the README's Performance section, for a build against a CUDA
# LibTorch (see README: "CUDA build"): conformance on the device, then the benchmark matrix.
#   scripts/bench-gpu.sh [BUILD_DIR] [GOLDEN_DIR]
set -u
BUILD=${1:-build-cuda}
GOLDEN=${2:-$(dirname "$0")/../../shared/golden}
L=$BUILD/cli/legrad
[ -x "$L" ] || { echo "no $L: build with -Dtorch_prefix=... -Dcuda=enabled first" >&2; exit 1; }
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader

echo "== conformance on the GPU (fp32 exact; bf16/fp16 heatmap correlation)"
for c in vit_p16_224 vit_p16_448; do
  [ -d "$GOLDEN/$c" ] || { echo "skipped: no golden case $GOLDEN/$c"; continue; }
  $L golden "$GOLDEN/$c" --device cuda | tail -1
  for d in bf16 fp16; do $L golden "$GOLDEN/$c" --device cuda --dtype $d | tail -2 | head -1; done
done

echo "== ViT-B/16, CUDA graph"
for size in 448 224; do for p in 1 4; do for d in fp32 bf16 fp16; do
  $L bench --arch ViT-B-16 --device cuda --size $size --prompts $p --dtype $d --iters 200 --warmup 20 | head -3
done; done; done
echo "== ViT-B/16 at 448, one prompt, plain kernel launches"
for d in fp32 bf16; do
  $L bench --arch ViT-B-16 --device cuda --size 448 --dtype $d --iters 200 --warmup 20 --no-cuda-graph | head -3
done
echo "== other architectures (224, one prompt, bf16)"
for a in ViT-B-32 ViT-L-14 ViT-H-14; do
  $L bench --arch $a --device cuda --dtype bf16 --iters 100 --warmup 10 | head -3
done
