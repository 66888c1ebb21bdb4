#!/usr/bin/env bash
# Formats the C/C++ sources with clang-format (14 or newer), or with --check lists the files
# clang-format would change (exit status 1 if any) and changes nothing.
#   scripts/format.sh [--check] [FILE...]   (FILEs relative to the repository root; default:
#                                            every tracked or new C++ file in the project's
#                                            style, which the `format` test checks)
# Styles: the top-level .clang-format (Google, 100 columns) everywhere, except the GObject
# element files in gst-plugin/ (gst*, meta/), written in GStreamer's gst-indent style:
# gst-plugin/.clang-format approximates it for editors, but clang-format cannot reproduce it,
# so they are formatted only when named. The plain C++ in gst-plugin/ (legrad*) is Google
# style too, but clang-format 14 picks a .clang-format by folder only, so this script names
# its style file.
set -euo pipefail
cd "$(dirname "$0")/.."
check=0
if [ "${1:-}" = --check ]; then check=1; shift; fi
files=("$@")
if [ ${#files[@]} -eq 0 ]; then
  mapfile -t files < <(git ls-files --cached --others --exclude-standard -- \
    core lab cli tests fuzz 'gst-plugin/legrad*' | grep -E '\.(c|h|cc|cpp|hpp)$')
fi
status=0
for f in "${files[@]}"; do
  case "$f" in
    gst-plugin/legrad*) style="file:$PWD/.clang-format" ;;
    *) style=file ;;
  esac
  if [ $check = 1 ]; then
    if ! clang-format --style="$style" "$f" | cmp -s - "$f"; then echo "$f"; status=1; fi
  else
    clang-format -i --style="$style" "$f"
  fi
done
exit $status
