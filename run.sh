#!/usr/bin/env bash
# Sets up (Debian 12 packages, build) and runs the main job: the headless demo pipeline,
# which writes an annotated video (out/demo.mp4) and per-frame metadata (out/demo.jsonl).
# Arguments go to pipelines/headless-demo.sh (a video file to analyse instead of the test
# pattern); environment: MODEL, PROMPTS, FRAMES, SIZE, OUT.
set -euo pipefail
# A relative input path means relative to where the user is, not to this checkout.
args=()
for a in "$@"; do
  [ -e "$a" ] && a="$(realpath "$a")"
  args+=("$a")
done
cd "$(dirname "$0")"
./scripts/setup.sh
./pipelines/headless-demo.sh "${args[@]}"
