#!/usr/bin/env bash
# The whole test suite built with AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/).
# Leaks are checked too; tests/lsan.supp lists the only suppressions (third-party, explained).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh > /dev/null
[ -f build-asan/build.ninja ] ||
  meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debugoptimized
ninja -C build-asan
# Plugins are scanned in-process so the sanitizer runtime is loaded before our plugin; a
# gst-launch-1.0 child (the pipeline test) is not instrumented, hence verify_asan_link_order=0.
# allocator_may_return_null: the out-of-memory test's terabyte allocation must fail as it does
# without ASan (an error the element reports), not abort the process.
export GST_REGISTRY_FORK=no
export ASAN_OPTIONS=detect_leaks=1:verify_asan_link_order=0:fast_unwind_on_malloc=0:allocator_may_return_null=1
export LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# The pipeline test's gst-launch-1.0 children load the instrumented plugin: it gives them the
# runtime first (tests/pipelines/test_pipelines.cpp says why), with the C++ library, whose
# exceptions the runtime intercepts (a C program such as gst-discoverer-1.0 loads it late).
LEGRAD_SANITIZER_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libstdc++.so.6)"
export LEGRAD_SANITIZER_PRELOAD
rm -f build-asan/tests/gst-registry.bin
meson test -C build-asan --timeout-multiplier 4 --print-errorlogs "$@"
