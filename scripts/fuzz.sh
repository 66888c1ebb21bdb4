#!/usr/bin/env bash
# Builds the libFuzzer targets with clang + AddressSanitizer (build-fuzz/) and runs each for
# SECONDS (default 600) from the committed seed corpus (copied, so the repository stays as it
# is). New findings are written to build-fuzz/findings/; a crash fails the script.
#   scripts/fuzz.sh [SECONDS] [TARGET...]   targets: safetensors model_config tokenizer prompt_list
#                                           word_tokenizer torch_pickle prompt_command
#                                           fragment_duration
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(safetensors model_config tokenizer prompt_list word_tokenizer torch_pickle prompt_command fragment_duration)
./scripts/setup.sh > /dev/null
if ! command -v clang++ > /dev/null || ! dpkg-query -W libclang-rt-14-dev > /dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends clang libclang-rt-14-dev
fi
[ -f build-fuzz/build.ninja ] ||
  CC=clang CXX=clang++ meson setup build-fuzz -Dfuzzing=true -Db_sanitize=address -Db_lundef=false \
    -Dtests=disabled -Dbuildtype=debugoptimized
ninja -C build-fuzz
mkdir -p build-fuzz/findings
for t in "${targets[@]}"; do
  work=$(mktemp -d)
  cp fuzz/corpus/"$t"/* "$work"/
  echo "fuzz_$t: ${seconds}s"
  status=0
  ASAN_OPTIONS=detect_leaks=1 build-fuzz/fuzz/fuzz_"$t" -max_total_time="$seconds" -max_len=4096 \
    -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix=build-fuzz/findings/"$t"- "$work" \
    > build-fuzz/findings/"$t".log 2>&1 || status=$?
  grep -E "^stat::number_of_executed_units|^stat::new_units_added|ERROR|SUMMARY" \
    build-fuzz/findings/"$t".log || true
  rm -rf "$work"
  [ "$status" -eq 0 ] || { echo "fuzz_$t found a problem: see build-fuzz/findings/"; exit 1; }
done
