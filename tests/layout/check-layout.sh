#!/usr/bin/env bash
# The layout's rules, checked on the sources (and, given the built plugin and lab library, on
# the plugin's symbols):
#   - core/ includes run one way: base -> model, text, video -> explain -> heatmap -> engine
#     (a folder includes its own headers and those of lower folders, never a sibling's);
#   - core/ includes no lab/, GStreamer or CLI header; lab/ and cli/ no GStreamer header;
#   - no header is part of an include cycle (an interface never includes its implementations);
#   - the plugin's shared object defines none of the lab's symbols (training, scenes,
#     benchmarks).
# Usage: check-layout.sh SOURCE_ROOT [PLUGIN.so LAB.a]
set -euo pipefail
root=$1
cd "$root"
failures=0
fail() { echo "layout: $*"; failures=$((failures + 1)); }

declare -A rank=([base]=0 [model]=1 [text]=1 [video]=1 [explain]=2 [heatmap]=3 [engine]=4)

# Every quoted include of the given files: "FILE INCLUDED".
quoted_includes() {
  grep -Ho '^#include "[^"]*"' "$@" | sed 's/:#include "\(.*\)"$/ \1/'
}

if [ $# -lt 2 ]; then
  while read -r file inc; do
    folder=$(echo "$file" | cut -d/ -f2)
    target=${inc%%/*}
    case "$inc" in
      lab/* | gst/* | meta/* | *gstlegrad*) fail "$file includes $inc (core/ is GStreamer- and lab-free)" ;;
      */*)
        [ -n "${rank[$target]:-}" ] || { fail "$file includes $inc, outside core/"; continue; }
        if [ "$target" != "$folder" ] && [ "${rank[$target]}" -ge "${rank[$folder]}" ]; then
          fail "$file ($folder) includes $inc ($target): includes run base -> model/text/video -> explain -> heatmap -> engine"
        fi ;;
      *) fail "$file includes \"$inc\" without its folder" ;;
    esac
  done < <(quoted_includes core/*/*.h core/*/*.cpp)

  if grep -Hn '^#include <gst/' core/*/* lab/* cli/* 2>/dev/null; then
    fail "GStreamer headers outside gst-plugin/"
  fi
  if grep -Hn '^#include ".*\.cpp"' core/*/* lab/* cli/* gst-plugin/*.* 2>/dev/null; then
    fail "a source file includes another source file"
  fi

  # Include cycles among the project's headers (paths as written from core/ or the root).
  edges=$(mktemp)
  trap 'rm -f "$edges"' EXIT
  while read -r file inc; do
    from=${file#core/}
    [ -f "core/$inc" ] && echo "$from $inc" >> "$edges"
    [ -f "$inc" ] && echo "$from $inc" >> "$edges"
  done < <(quoted_includes core/*/*.h lab/*.h)
  if ! tsort "$edges" > /dev/null 2> /tmp/layout-tsort.$$; then
    fail "include cycle: $(tr '\n' ' ' < /tmp/layout-tsort.$$)"
  fi
  rm -f /tmp/layout-tsort.$$
else
  plugin=$2
  lab=$3
  # Functions and variables the lab library defines (weak template instances aside).
  lab_symbols=$(nm -C --defined-only "$lab" 2>/dev/null | awk '$2 ~ /^[TDBR]$/ {$1 = $2 = ""; print substr($0, 3)}' | sort -u)
  [ -n "$lab_symbols" ] || fail "no symbols read from $lab"
  plugin_symbols=$(nm -C --defined-only "$plugin" | awk '{$1 = $2 = ""; print substr($0, 3)}' | sort -u)
  leaked=$(comm -12 <(echo "$lab_symbols") <(echo "$plugin_symbols"))
  if [ -n "$leaked" ]; then
    fail "the plugin defines lab symbols:"
    echo "$leaked" | head -20
  fi
  echo "layout: the plugin defines none of the lab's $(echo "$lab_symbols" | wc -l) symbols"
fi

if [ $failures -gt 0 ]; then
  echo "layout: $failures problem(s)"
  exit 1
fi
echo "layout: ok"
