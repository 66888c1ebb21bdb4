#!/usr/bin/env bash
# Sets up (Debian 12 packages, build) and runs every test suite. Golden-case tests read
# ../shared/golden and skip with a message when it is absent.
set -euo pipefail
cd "$(dirname "$0")"
./scripts/setup.sh
status=0
meson test -C build --print-errorlogs "$@" || status=$?

# One closing line counting individual test cases across all suites.
junit=build/meson-logs/testlog.junit.xml
if [ -f "$junit" ]; then
  grep -o '<testsuite [^>]*' "$junit" | awk '
    { for (i = 1; i <= NF; i++) { split($i, kv, "="); gsub(/"/, "", kv[2]);
        if (kv[1] == "tests") t += kv[2]; else if (kv[1] == "failures") f += kv[2];
        else if (kv[1] == "errors") f += kv[2]; else if (kv[1] == "skipped") s += kv[2]; } }
    END { printf "%d passed, %d failed, %d skipped\n", t - f - s, f, s }'
fi
exit $status
