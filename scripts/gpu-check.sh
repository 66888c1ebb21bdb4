#!/usr/bin/env bash
# The GPU checks of one lent machine (an NVIDIA GPU, its own PyTorch with CUDA, no -dev
# packages, no network), in two calls of under ten minutes: what the build needs comes from
# build-carry/ (scripts/gpu-sysroot.sh makes it here: Debian's GStreamer, OpenCV and the rest,
# and the golden cases, since ../shared does not travel).
#   scripts/gpu-check.sh build    unpack the sysroot, build against PyTorch's LibTorch, golden
#                                 cases (fp32 exact; bf16/fp16 correlation), the element on the
#                                 device (file and live source, sync and async, roi-list)
#   scripts/gpu-check.sh speed    the element beside `legrad bench`, 1/4/16 streams with batch
#                                 1 and 16, ViT-B/16 at 448 and SigLIP-B/16 at 224 in bf16,
#                                 a profile of the 448 frame
# Each writes build-gpu/report/report-STAGE.md and a log per check beside it; where $OUT is
# set (the device tool's folder, which takes 8 files back), the report and the logs as one
# tar.gz go there too.
# Environment: DEVICE (cuda; cpu rehearses it here), TORCH_PREFIX (LibTorch; default python3's
# torch package, or Debian's where DEVICE=cpu and it has none), QUICK=1 (few frames: the rehearsal).
# Device call: device.run command="scripts/gpu-check.sh build" carry=["build-carry"]
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
stage="${1:?usage: gpu-check.sh build|speed}"
device="${DEVICE:-cuda}"
quick="${QUICK:-0}"
carry="$root/build-carry"
gpu="$root/build-gpu"
out="$gpu/report"
S="$gpu/sysroot"
L="$S/usr/lib/x86_64-linux-gnu"
mkdir -p "$out"
report="$out/report-$stage.md"
: > "$report"

say() { echo "$*" | tee -a "$report"; }
# A command's last lines into the report (all of it into its log); its status kept.
check() {  # NAME LINES COMMAND...
  local name="$1" lines="$2" rc
  shift 2
  say "### $name"
  "$@" > "$out/$name.log" 2>&1
  rc=$?
  { echo '```'; tail -n "$lines" "$out/$name.log"; echo '```'; echo "exit status $rc"; echo; } |
    tee -a "$report"
  return $rc
}

# Only our own commands see the sysroot's libraries: the machine's own programs keep theirs.
# The stubs come after the machine's own folders: they stand in only for libraries it lacks
# (a LibTorch may link the real ones: Debian's links FFmpeg, which links OpenJPEG).
system_libs="/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu"
in_sysroot() {
  LD_LIBRARY_PATH="$L:$system_libs:$L/opencv-stubs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
    GST_PLUGIN_SYSTEM_PATH="$L/gstreamer-1.0" GST_PLUGIN_PATH="$gpu/build/gst-plugin" \
    GST_PLUGIN_SCANNER="$L/gstreamer1.0/gstreamer-1.0/gst-plugin-scanner" \
    GST_REGISTRY="$gpu/registry.bin" PATH="$S/usr/bin:$PATH" "$@"
}

torch_prefix() {
  [ -n "${TORCH_PREFIX:-}" ] && { echo "$TORCH_PREFIX"; return; }
  python3 -c 'import os, torch; print(os.path.dirname(torch.__file__))' 2>/dev/null || true
}

build() {
  [ -f "$carry/sysroot.tar.xz" ] || { say "no $carry/sysroot.tar.xz: run scripts/gpu-sysroot.sh"; exit 1; }
  [ -d "$S" ] || tar -C "$gpu" -xJf "$carry/sysroot.tar.xz" || exit 1
  # pkgconf from the sysroot, reporting the sysroot's paths.
  printf '#!/bin/sh\nLD_LIBRARY_PATH=%s exec %s "$@"\n' "$L" "$S/usr/bin/pkgconf" > "$gpu/pkg-config"
  chmod +x "$gpu/pkg-config"
  local prefix cuda=enabled
  prefix="$(torch_prefix)"
  [ "$device" = cpu ] && cuda=disabled
  [ -d "$gpu/build" ] ||
    PKG_CONFIG="$gpu/pkg-config" PKG_CONFIG_LIBDIR="$L/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$S" \
      LDFLAGS="-Wl,-rpath-link,$L:$system_libs:$L/opencv-stubs" \
      meson setup "$gpu/build" "$root" -Dtorch_prefix="$prefix" -Dcuda="$cuda" -Dtests=disabled \
      -Dintrospection=disabled -Dgstreamer=enabled > "$out/meson-setup.log" 2>&1 ||
    { tail -30 "$out/meson-setup.log" | tee -a "$report"; exit 1; }
  check ninja 5 ninja -C "$gpu/build" || exit 1
  alone
}

# That the build took nothing the machine's own -dev packages could have given: the headers it
# read from outside the sysroot are the C and C++ libraries', the compiler's and LibTorch's
# only, and the libraries the products load from outside are LibTorch's and the base ones.
alone() {
  local torch_inc headers products libs torch_libs
  torch_inc="$(torch_prefix)"
  torch_inc="${torch_inc:-/usr}/include"
  headers="$(ninja -C "$gpu/build" -t deps | awk '/^    \//{ print $1 }' | sort -u |
    grep -v -e "^$S/" -e "^$root/" -e "^/usr/include/c++/" -e "^/usr/include/x86_64-linux-gnu/" \
      -e "^/usr/include/linux/" -e "^/usr/include/asm" -e "^/usr/lib/gcc/" -e "^/usr/local/cuda" |
    grep -v -E "^$torch_inc/(ATen|c10|torch|caffe2|glog|gflags|fmt)/" |
    while read -r h; do  # libc's own headers, unless the sysroot has one of that name
      case "$h" in /usr/include/*/*) echo "$h" ;; *) [ -e "$S$h" ] && echo "$h" ;; esac
    done)"
  say "headers from outside the sysroot (none expected): ${headers:-none}"
  products="$gpu/build/cli/legrad $gpu/build/gst-plugin/libgstlegrad.so"
  libs="$(for f in $products; do in_sysroot ldd "$f"; done | awk '$3 ~ /^\// { print $3 }' |
    grep -v -e "^$S/" -e "^$gpu/build/" -e "/lib\(torch\|c10\)[a-z_]*\.so" | sort -u)"
  torch_libs="$(for f in "${torch_inc%/include}"/lib/libtorch_cpu.so* /usr/lib/x86_64-linux-gnu/libtorch_cpu.so*; do
    [ -e "$f" ] && { echo "$f"; in_sysroot ldd "$f"; }; done | awk '$3 ~ /^\// { print $3 }' | sort -u)"
  libs="$(comm -23 <(echo "$libs") <(echo "$torch_libs") |
    grep -v -E "/(libc|libm|libstdc\+\+|libgcc_s|libpthread|libdl|librt|libffi|libpcre2-8|libz|liblzma|libbz2|libzstd|liblz4|libssl|libcrypto|libselinux|libmount|libblkid)\.so" || true)"
  say "libraries loaded from outside the sysroot beyond LibTorch's and the base (none expected): ${libs:-none}"
  say
  [ -z "$headers$libs" ]
}

legrad() { in_sysroot "$gpu/build/cli/legrad" "$@"; }

golden() {
  local c d
  for c in "$carry"/golden/*/; do
    check "golden-$(basename "$c")-fp32" 3 legrad golden "$c" --vocab "$carry/golden/bpe_simple_vocab_16e6.txt.gz" --device "$device"
    for d in bf16 fp16; do
      [ "$quick" = 1 ] && break
      check "golden-$(basename "$c")-$d" 3 legrad golden "$c" --dtype "$d" --device "$device" \
        --vocab "$carry/golden/bpe_simple_vocab_16e6.txt.gz"
    done
  done
}

# A ViT-B/16 (random weights) with the CLIP vocabulary, for the element.
vit_model() {
  [ -d "$gpu/vit-b-16" ] && return
  legrad bench --arch ViT-B-16 --write-model "$gpu/vit-b-16" > /dev/null &&
    cp "$carry/golden/bpe_simple_vocab_16e6.txt.gz" "$gpu/vit-b-16/"
}

# The element on the device: each pipeline must end in EOS with a JSON line per frame.
element() {
  local frames=60 m="$gpu/vit-b-16" common
  [ "$quick" = 1 ] && frames=6
  vit_model
  common="legrad model=$m device=$device prompts=\"a person;a forklift\" attach-roi=true"
  in_sysroot gst-launch-1.0 -q videotestsrc num-buffers=$frames pattern=ball ! \
    video/x-raw,width=640,height=480,framerate=30/1 ! jpegenc ! avimux ! filesink location="$gpu/in.avi"
  element_case file-sync "filesrc location=$gpu/in.avi ! decodebin ! videoconvert ! $common mode=sync" $frames
  element_case live-async "videotestsrc is-live=true num-buffers=$frames ! video/x-raw,width=640,height=480,framerate=30/1 ! $common mode=async" $frames
  element_case live-sync "videotestsrc is-live=true num-buffers=$frames ! video/x-raw,format=NV12,width=1280,height=720,framerate=30/1 ! $common mode=sync" $frames
  element_case roi-list "filesrc location=$gpu/in.avi ! decodebin ! videoconvert ! $common ! legrad model=$m device=$device prompts=\"a backpack\" region=roi-list" $frames
}
element_case() {  # NAME PIPELINE FRAMES
  local j="$out/$1.jsonl"
  check "element-$1" 4 in_sysroot gst-launch-1.0 $2 ! legradmetaconvert location="$j" ! fakesink
  say "$1: of $3 frames, $(grep -c '"pts"' "$j") lines, $(grep -c '"score"' "$j") with heatmaps," \
    "$(grep -c '"roi_id"' "$j") with an object's"
  say
}

# The issue's targets are ViT-B/16 at 448 in bf16; the rehearsal runs 224 in fp32 (bf16 is
# emulated, and slow, on most CPUs).
speed() {
  local iters=200 warmup=20 frames=300 rounds=3 size=448 dtype=bf16 streams="1 4 16" n
  [ "$quick" = 1 ] && { iters=2; warmup=1; frames=4; rounds=1; size=224; dtype=fp32; streams="1 4"; }
  vit_model
  check "bench-vit-b-16-$size-$dtype" 4 legrad bench --arch ViT-B-16 --size $size --dtype $dtype \
    --device "$device" --iters $iters --warmup $warmup
  check "bench-siglip-224-$dtype" 4 legrad bench --arch ViT-B-16-SigLIP --size 224 --dtype $dtype \
    --device "$device" --iters $iters --warmup $warmup
  check "profile-vit-b-16-$size-$dtype" 40 legrad bench --arch ViT-B-16 --size $size --dtype $dtype \
    --device "$device" --iters $iters --warmup $warmup --profile $((iters < 20 ? iters : 20))
  # The element's frame rate as a pipeline runs it (all frames over the time it played), to
  # set beside the bench's.
  check "element-fps-$size-$dtype" 3 in_sysroot gst-launch-1.0 videotestsrc num-buffers=$frames \
    pattern=ball ! video/x-raw,format=NV12,width=1280,height=720 ! legrad model="$gpu/vit-b-16" \
    device="$device" input-size=$size dtype=$dtype prompts="a person" ! fakesink sync=false
  say "element: $(sed -n 's/^Execution ended after \([0-9]*\):\([0-9]*\):\([0-9.]*\)$/\1 \2 \3/p' \
    "$out/element-fps-$size-$dtype.log" | awk -v n=$frames '{ printf "%.1f frames/s", n / ($1 * 3600 + $2 * 60 + $3) }')"
  for n in $streams; do
    check "streams-$n-$size-$dtype" 8 in_sysroot env LEGRAD="$gpu/build/cli/legrad" \
      DEVICE="$device" DTYPE=$dtype SIZE=$size STREAMS=$n BATCH=16 PROMPTS=1 \
      FRAMES=$((frames / 2)) ROUNDS=$rounds "$root/scripts/bench-streams.sh" "$gpu/vit-b-16"
  done
}

say "# gpu-check $stage, $(date -u +%FT%TZ), $(hostname), device $device"
if [ "$device" = cuda ]; then
  say "$(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1)"
fi
say "torch: $(torch_prefix)"
say
case "$stage" in
  build) build && golden && element ;;
  speed) speed ;;
  *) echo "usage: gpu-check.sh build|speed" >&2; exit 2 ;;
esac
say "done $(date -u +%FT%TZ)"
if [ -n "${OUT:-}" ]; then
  cp "$report" "$OUT/"
  tar -C "$out" -czf "$OUT/logs-$stage.tar.gz" .
fi
