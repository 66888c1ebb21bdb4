#!/usr/bin/env bash
# What a bare GPU machine (its own PyTorch, no -dev packages, no network) lacks to build and run
# the project, unpacked from Debian 12's own amd64 packages into a folder outside /: GStreamer's
# runtime, tools and a few plugins, glib, OpenCV (core, imgproc, imgcodecs), nlohmann-json,
# sentencepiece, libmosquitto, librdkafka, pkgconf; headers and pkg-config files rewritten for
# the folder. OpenCV's image codecs link GDAL, GDCM, OpenEXR, OpenJPEG, TIFF and GLX (with
# theirs, 139 libraries, 212 MiB); the project calls none of them, so each is a stub of the
# symbols OpenCV binds at load time (BIND_NOW), returning 0. JPEG, PNG, WebP and BLAS/LAPACK
# (Debian's reference ones, which a LibTorch may link too) stay real. Then the folder and the golden cases go into build-carry/, which
# scripts/gpu-check.sh reads on that machine (device.run carry=["build-carry"]).
# Usage: gpu-sysroot.sh [GOLDEN_DIR]   (default ../shared/golden). Runs here, on Debian 12 amd64
# with the project's packages installed (scripts/setup.sh): library closures are read from them.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
golden="${1:-$root/../shared/golden}"
work="$root/build-sysroot"  # downloads and unpacked packages, kept for the next run
carry="$root/build-carry"
L=usr/lib/x86_64-linux-gnu
S="$work/sysroot"

# Libraries every Linux (and the GPU machine's Ubuntu) has: never copied.
base='libc.so.6 libm.so.6 libpthread.so.0 libdl.so.2 librt.so.1 ld-linux-x86-64.so.2
libresolv.so.2 libstdc++.so.6 libgcc_s.so.1 libffi.so.8 libselinux.so.1 libpcre2-8.so.0
libmount.so.1 libblkid.so.1 libuuid.so.1 libzstd.so.1 liblzma.so.5 libbz2.so.1.0 liblz4.so.1
libcrypto.so.3 libssl.so.3'
# What is run or loaded there (relative to /): the closure of these is copied.
plugins='coreelements videotestsrc videoconvertscale app typefindfunctions playback jpeg png
avi matroska isomp4 multifile x264 videoparsersbad openh264'
roots="usr/bin/gst-launch-1.0 usr/bin/gst-inspect-1.0 usr/bin/pkgconf
$L/gstreamer1.0/gstreamer-1.0/gst-plugin-scanner
$(for p in $plugins; do echo "$L/gstreamer-1.0/libgst$p.so"; done)
$L/libgstvideo-1.0.so.0 $L/libgstapp-1.0.so.0 $L/libgstpbutils-1.0.so.0 $L/libgio-2.0.so.0
$L/libgthread-2.0.so.0 $L/libsentencepiece.so.0 $L/libmosquitto.so.1 $L/librdkafka.so.1
$L/libz.so.1 $L/libjpeg.so.62 $L/libpng16.so.16 $L/libwebp.so.7 $L/libtbb.so.12
$L/libgfortran.so.5 $L/libquadmath.so.0"
opencv="core imgproc imgcodecs"
dev_packages='libblas3 liblapack3 libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libglib2.0-dev
libopencv-core-dev libopencv-imgproc-dev libopencv-imgcodecs-dev libopencv-dev
nlohmann-json3-dev libsentencepiece-dev libmosquitto-dev librdkafka-dev zlib1g-dev'
headers="usr/include/gstreamer-1.0 usr/include/glib-2.0 $L/glib-2.0/include
$L/gstreamer-1.0/include usr/include/opencv4 usr/include/nlohmann usr/include/librdkafka
usr/include/mosquitto.h usr/include/mqtt_protocol.h usr/include/sentencepiece_processor.h
usr/include/zlib.h usr/include/zconf.h"
pcs='gstreamer-1.0 gstreamer-base-1.0 gstreamer-video-1.0 gstreamer-app-1.0 gstreamer-pbutils-1.0
gstreamer-audio-1.0 gstreamer-tag-1.0 glib-2.0 gobject-2.0 gmodule-no-export-2.0 gio-2.0
gthread-2.0 zlib sentencepiece libmosquitto rdkafka opencv4'

is_base() { case " $(echo $base) " in *" $1 "*) return 0 ;; esac; return 1; }

# The host's libraries a file needs (ldd: the whole closure), less the base ones, as paths
# under usr/ (ldd says /lib for some: Debian 12 merged /lib into /usr/lib).
closure() {
  ldd "/$1" | awk '$3 ~ /^\// { print $1, $3 }' | while read -r so path; do
    is_base "$so" || echo "usr/${path#/usr/}" | sed 's|^usr//|usr/|; s|^usr/lib/|usr/lib/|'
  done
}

# The Debian package a host file comes from (registered under /usr/lib or /lib).
package_of() {
  { dpkg -S "/$1" || dpkg -S "/${1#usr/}"; } 2>/dev/null | head -1 | cut -d: -f1
}

# Copies a file of the unpacked packages (under usr/ or, as some packages ship it, not) into
# the sysroot's usr/, with its chain of links.
copy_in() {
  local f="${1#usr/}" t src
  while :; do
    src="$work/full/usr/$f"
    [ -e "$src" ] || [ -L "$src" ] || src="$work/full/$f"
    mkdir -p "$S/usr/$(dirname "$f")"
    cp -a "$src" "$S/usr/$f"
    [ -L "$src" ] || break
    t="$(readlink "$src")"
    case "$t" in /*) f="${t#/}"; f="${f#usr/}" ;; *) f="$(dirname "$f")/$t" ;; esac
  done
}

# A stub library SONAME defining SYMBOLS (one per line), each returning 0, under VERSION (or
# none: "-").
stub() {  # SONAME VERSION SYMBOLS
  local c="$work/stubs/$1.c" i=0 map=()
  mkdir -p "$work/stubs" "$S/$L/opencv-stubs"
  : > "$c"
  while read -r sym; do
    [ -n "$sym" ] || continue
    echo "void *s$i(void) __asm__(\"$sym\"); void *s$i(void) { return 0; }" >> "$c"
    i=$((i + 1))
  done <<< "$3"
  if [ "$2" != - ]; then
    echo "$2 { global: *; };" > "$work/stubs/$1.map"
    map=("-Wl,--version-script=$work/stubs/$1.map")
  fi
  gcc -shared -fPIC -O1 -s -o "$S/$L/opencv-stubs/$1" "-Wl,-soname,$1" "${map[@]}" "$c"
}

# The stubs for what the OpenCV libraries need beyond the kept ones: each defines the symbols
# OpenCV takes from the real library of that name (read from the host's copy).
opencv_stubs() {
  local needed so undefined syms version
  needed="$(for m in $opencv; do readelf -d "/$L/libopencv_$m.so.406" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; done | sort -u)"
  undefined="$(for m in $opencv; do nm -D --undefined-only "/$L/libopencv_$m.so.406" | awk '{ print $2 }'; done | sort -u)"
  for so in $needed; do
    is_base "$so" || [ -e "$S/$L/$so" ] && continue
    syms="$( (nm -D --defined-only "/$L/$so" 2>/dev/null || true) | awk '{ print $3 }' |
      sed 's/@.*//' | sort -u | comm -12 - <(sed 's/@.*//' <<< "$undefined" | sort -u))"
    # A versioned reference (TIFFOpen@LIBTIFF_4.0) needs that version node in the stub.
    version="$(for sym in $syms; do grep -o "^$sym@[A-Za-z0-9_.]*" <<< "$undefined" || true; done |
      head -1 | sed 's/.*@//')"
    stub "$so" "${version:--}" "$syms"
  done
}

mkdir -p "$work/debs" "$work/full"
rm -rf "$S"
files="$(for r in $roots; do echo "$r"; closure "$r"; done; for m in $opencv; do echo "$L/libopencv_$m.so.406"; done)"
files="$(sort -u <<< "$files")"
packages="$(for f in $files; do package_of "$f"; done | sort -u) $dev_packages"
(cd "$work/debs" && for p in $packages; do ls "${p}"_*.deb > /dev/null 2>&1 || apt-get download "$p"; done)
for d in "$work"/debs/*.deb; do dpkg -x "$d" "$work/full"; done
for f in $files; do copy_in "$f"; done
for h in $headers; do mkdir -p "$S/$(dirname "$h")"; cp -a "$work/full/$h" "$S/$h"; done
rm -rf "$S/usr/include/opencv4/opencv2/cudaarithm.hpp" "$S"/usr/include/opencv4/opencv2/{cuda*,ocl*,opencl}
for so in gstreamer-1.0 gstbase-1.0 gstvideo-1.0 gstapp-1.0 gstpbutils-1.0 gstaudio-1.0 gsttag-1.0 \
  glib-2.0 gobject-2.0 gmodule-2.0 gio-2.0 gthread-2.0 sentencepiece mosquitto rdkafka \
  opencv_core opencv_imgproc opencv_imgcodecs; do
  cp -a "$work/full/$L/lib$so.so" "$S/$L/"
done
ln -sf libz.so.1 "$S/$L/libz.so"  # zlib1g-dev's link is absolute
for f in blas/libblas.so.3 lapack/liblapack.so.3; do  # the reference ones, not an alternative
  cp -L "$work/full/$L/$f" "$S/$L/"
done
opencv_stubs
mkdir -p "$S/$L/pkgconfig"
for pc in $pcs; do
  src="$work/full/$L/pkgconfig/$pc.pc"
  [ -f "$src" ] || src="$work/full/usr/share/pkgconfig/$pc.pc"
  # Only what the project links: pkgconf reads Requires.private even without --static.
  sed '/^Requires.private:/d; s/ -lsentencepiece_train//' "$src" > "$S/$L/pkgconfig/$pc.pc"
done
cp "$work/full/usr/share/pkgconfig/nlohmann_json.pc" "$S/$L/pkgconfig/"
# OpenCV's .pc lists every module: only the three the project uses.
sed -i 's/^Libs: .*/Libs: -L${libdir} -lopencv_imgcodecs -lopencv_imgproc -lopencv_core/' \
  "$S/$L/pkgconfig/opencv4.pc"

rm -rf "$carry"
mkdir -p "$carry/golden"
tar -C "$work" -cJf "$carry/sysroot.tar.xz" sysroot
# The golden cases the GPU checks run (the checkpoint layouts in formats/ are checked here).
for c in "$golden"/*/config.json; do cp -r "$(dirname "$c")" "$carry/golden/"; done
cp "$golden"/bpe_simple_vocab_16e6.txt.gz "$carry/golden/"
echo "sysroot: $(du -sh --apparent-size "$S" | cut -f1) ($(du -sh "$carry/sysroot.tar.xz" | cut -f1) as tar.xz); build-carry: $(du -sh "$carry" | cut -f1)"
