#!/usr/bin/env bash
# What `legradoverlay` costs a frame, measured beside the same pipeline without it: videotestsrc
# frames through `legrad` (the bundled model, analysing the first frame only, so every frame
# carries its heatmaps, boxes and labels) into fakesink, with and without the overlay between,
# alternately ROUNDS times (this kind of VM runs at two speeds from one minute to the next),
# the faster run of each kept. Per row: milliseconds a frame of each pipeline and the overlay's
# share (their difference). Prints a Markdown table.
# Usage: bench-overlay.sh   Environment: FRAMES (200), ROUNDS (3), PROMPTS (two: each in its own
# colour; one prompt goes through the colour map), OVERLAY (extra legradoverlay properties).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/scripts/bench-common.sh"
frames="${FRAMES:-200}"
rounds="${ROUNDS:-3}"
prompts="${PROMPTS:-a photo of a sneaker;a photo of a dress}"
model="$root/models/fashion-clip"

run_s() {  # FORMAT WIDTH HEIGHT WITH_OVERLAY -> seconds
  local overlay=""
  [ "$4" = 1 ] && overlay="legradoverlay ${OVERLAY:-} !"
  local t0 t1
  t0=$(date +%s.%N)
  # shellcheck disable=SC2086
  gst-launch-1.0 -q videotestsrc num-buffers="$frames" pattern=ball \
    ! video/x-raw,format="$1",width="$2",height="$3" \
    ! legrad model="$model" prompts="$prompts" inference-interval=1000000 attach-roi=true \
      min-probability=0 threads=1 ! $overlay fakesink >/dev/null
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }'
}

echo "$(machine_line)"
echo "$frames frames a run; prompts '$prompts'; overlay properties '${OVERLAY:-}'; the faster of $rounds rounds"
echo
echo "| format | size | without ms/frame | with ms/frame | overlay ms/frame |"
echo "|---|---|---|---|---|"
for case in "I420 1280 720" "I420 1920 1080" "NV12 1920 1080" "RGBx 1920 1080" \
            "I420 3840 2160" "NV12 3840 2160"; do
  set -- $case
  without="" with=""
  for _ in $(seq "$rounds"); do
    without=$(lower "$(run_s "$1" "$2" "$3" 0)" "$without")
    with=$(lower "$(run_s "$1" "$2" "$3" 1)" "$with")
  done
  awk -v f="$1" -v w="$2" -v h="$3" -v a="$without" -v b="$with" -v n="$frames" 'BEGIN {
    printf "| %s | %sx%s | %.2f | %.2f | %.2f |\n", f, w, h, 1000 * a / n, 1000 * b / n,
      1000 * (b - a) / n }'
done
