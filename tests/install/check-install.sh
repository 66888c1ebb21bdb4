#!/usr/bin/env bash
# Installs the build into a staging folder (DESTDIR) and finds the elements there as an
# installed system would: the plugin in GStreamer's own plugin directory, the metadata
# library, headers and pkg-config file under the prefix, the tool and the bundled model; the
# introspection typelib where PyGObject looks.
# Usage: check-install.sh BUILD_DIR PREFIX
set -euo pipefail
build=$1
prefix=$2
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
meson install -C "$build" --no-rebuild --quiet --destdir "$stage" > /dev/null
pluginsdir=$(pkg-config --variable=pluginsdir gstreamer-1.0)
fail() { echo "install: $*"; exit 1; }
[ -f "$stage$pluginsdir/libgstlegrad.so" ] || fail "no plugin in $stage$pluginsdir"
lib=$(find "$stage$prefix" -name 'libgstlegradmeta-1.0.so*' | head -1)
[ -n "$lib" ] || fail "no libgstlegradmeta-1.0 under $stage$prefix"
find "$stage$prefix" -path '*gstreamer-1.0/gst/legrad/gstlegradmeta.h' | grep -q . || fail "no header"
find "$stage$prefix" -name gstlegradmeta-1.0.pc | grep -q . || fail "no pkg-config file"
[ -x "$stage$prefix/bin/legrad" ] || fail "no legrad tool in $stage$prefix/bin"
[ -f "$stage$prefix/share/legrad/models/fashion-clip/open_clip_model.safetensors" ] || fail "no bundled model"
if [ -f "$build/gst-plugin/GstLegrad-1.0.typelib" ]; then
  typelibdir=$(pkg-config --variable=typelibdir gobject-introspection-1.0)
  [ -f "$stage$typelibdir/GstLegrad-1.0.typelib" ] || fail "no GstLegrad-1.0.typelib in $stage$typelibdir"
fi
# GStreamer's scan of the staged system plugin directory only (no GST_PLUGIN_PATH).
export GST_PLUGIN_SYSTEM_PATH_1_0="$stage$pluginsdir:$pluginsdir"
export GST_PLUGIN_PATH_1_0="" GST_PLUGIN_PATH=""
export GST_REGISTRY_1_0="$stage/registry.bin"
export LD_LIBRARY_PATH="$(dirname "$lib")"
# A sanitizer build's plugin needs its runtime first in gst-inspect-1.0, which is not
# instrumented (else two allocators meet); leaks are checked in-process by the other suites.
asan=$(ldd "$stage$pluginsdir/libgstlegrad.so" | awk '/libasan/ { print $3 }')
if [ -n "$asan" ]; then
  export LD_PRELOAD="$asan"
  export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"
fi
out=$(gst-inspect-1.0 legrad 2>&1) || fail "gst-inspect-1.0 does not find legrad: $out"
echo "$out" | grep -q "$stage$pluginsdir/libgstlegrad.so" || fail "legrad found elsewhere: $out"
for element in legradoverlay legradmetaconvert; do
  gst-inspect-1.0 "$element" > /dev/null 2>&1 || fail "gst-inspect-1.0 does not find $element"
done
echo "install: ok (plugin in $pluginsdir, the rest under $prefix)"
