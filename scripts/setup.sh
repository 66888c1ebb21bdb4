#!/usr/bin/env bash
# Installs what the project needs from Debian 12's packages (as root, or through sudo) and
# builds it into ./build. Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential meson ninja-build pkg-config
  libtorch-dev
  # Debian's LibTorch calls the reference BLAS unless an optimised one is installed;
  # OpenBLAS (OpenMP flavour) makes the matrix products several times faster.
  libopenblas0-openmp
  libopencv-dev libglib2.0-dev zlib1g-dev nlohmann-json3-dev
  # SigLIP's tokenizer; its trainer (spm_train) and Python module check it in the tests.
  libsentencepiece-dev sentencepiece python3-sentencepiece
  libgtest-dev
  # The `format` test: the C++ sources in the project's clang-format style.
  clang-format
  # Fashion-MNIST: what the bundled model was trained on and the localisation benchmark uses.
  dataset-fashion-mnist
  # GStreamer 1.22: development files, gst-launch/gst-inspect, and the elements the pipelines
  # use (videotestsrc/videoconvert/videoscale: base; mp4mux/videoflip/v4l2src/rtspsrc: good;
  # x264enc: ugly; avdec_h264: libav).
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev gstreamer1.0-tools
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly gstreamer1.0-libav
  # gst-discoverer-1.0: the pipeline scripts read an input's streams (is there sound?) first.
  gstreamer1.0-plugins-base-apps
  # A camera on 127.0.0.1 for the tests: a small RTSP server (tests/tools) built on it, and
  # the H.265 encoder (x265enc: bad) its H.265 camera sends with.
  libgstrtspserver-1.0-dev gstreamer1.0-plugins-bad
  # legradmetapublish: MQTT (libmosquitto) and Kafka (librdkafka, with its mock cluster for the
  # tests); a real broker for the tests and users (mosquitto, mosquitto_sub), and openssl for
  # the TLS test's certificates.
  libmosquitto-dev librdkafka-dev mosquitto mosquitto-clients openssl
  # Heatmaps from Python: the introspection data's builder, and what the example and its test
  # run with (Debian's Python).
  gobject-introspection libgirepository1.0-dev python3-gi python3-numpy gir1.2-gstreamer-1.0
  gir1.2-gst-plugins-base-1.0
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

[ -f build/build.ninja ] || meson setup build
ninja -C build
