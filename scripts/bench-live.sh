#!/usr/bin/env bash
# Does the RTSP recording script keep real time? A camera on 127.0.0.1 (tests/tools'
# rtsp-test-server streaming a pre-encoded H.264 file in real time, so the camera itself costs
# this machine next to nothing) is recorded with pipelines/rtsp-to-mp4.sh and the bundled model
# for SECONDS, then stopped with Ctrl-C (SIGINT to its process group). Per run: the share of the
# camera's seconds the MP4 holds (from PLAYING to Ctrl-C), how long the script took to stop
# after Ctrl-C, and the median and 95th-percentile heatmap age in frames (from the JSON lines).
# Each THREADS value runs alternately ROUNDS times (this kind of VM runs at two speeds from one
# minute to the next). Prints a Markdown table.
# Usage: bench-live.sh   Environment: SIZES ("1280x720 1920x1080"), THREADS_LIST ("0 1 2";
# 0 is the element's default), SECONDS_RUN (15), ROUNDS (2), FPS (30).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/scripts/bench-common.sh"
server="$root/build/tests/rtsp-test-server"
[ -x "$server" ] || { echo "error: $server is not built (run scripts/setup.sh)" >&2; exit 1; }
sizes="${SIZES:-1280x720 1920x1080}"
threads_list="${THREADS_LIST:-0 1 2}"
run_s="${SECONDS_RUN:-15}"
rounds="${ROUNDS:-2}"
fps="${FPS:-30}"
work="$(mktemp -d)"
server_pid=""
trap '[ -z "$server_pid" ] || kill "$server_pid" 2>/dev/null; rm -rf "$work"' EXIT

now() { date +%s.%N; }
seconds_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
mp4_seconds() {
  gst-discoverer-1.0 "$1" 2>/dev/null | sed -n 's/^ *Duration: //p' |
    awk -F: '{ printf "%.2f", $1 * 3600 + $2 * 60 + $3 }'
}
ages() {  # JSONL -> the median and 95th percentile of the first prompt's heatmap age
  grep -o '"age":[0-9]*' "$1" | awk -F: 'NR % 2 == 1 { print $2 }' | sort -n |
    awk '{ a[NR] = $1 } END { if (NR == 0) { print "- -"; exit }
      print a[int((NR + 1) / 2)], a[int(NR * 0.95 + 0.5) < 1 ? 1 : int(NR * 0.95 + 0.5)] }'
}

# One recording: prints "share stop_s median_age p95_age".
record() {  # URL THREADS
  local out="$work/rec" log="$work/log" started="" t_int t_end
  rm -rf "$out"
  setsid env THREADS="$2" SEGMENT=0 "$root/pipelines/rtsp-to-mp4.sh" "$1" "$out" > "$log" 2>&1 &
  local pid=$!
  for _ in $(seq 300); do  # PLAYING within 30 s
    grep -q "Setting pipeline to PLAYING" "$log" 2>/dev/null && { started=$(now); break; }
    sleep 0.1
  done
  [ -n "$started" ] || { echo "error: the recording did not start:" >&2; cat "$log" >&2; exit 1; }
  sleep "$run_s"
  t_int=$(now)
  kill -INT -- "-$pid"
  wait "$pid" || true
  t_end=$(now)
  local camera recorded
  camera=$(seconds_between "$started" "$t_int")
  recorded=$(mp4_seconds "$out"/cam-*.mp4)
  echo "$(awk -v r="$recorded" -v c="$camera" 'BEGIN { printf "%.3f", r / c }') \
$(seconds_between "$t_int" "$t_end") $(ages "$out"/cam-*.jsonl)"
}

echo "$(machine_line)"
echo "pipelines/rtsp-to-mp4.sh, bundled model, $run_s s a run, camera H.264 ${fps} fps from 127.0.0.1"
echo
echo "| camera | THREADS | round | recorded / camera s | stop after Ctrl-C s | heatmap age median | p95 |"
echo "|---|---|---|---|---|---|---|"
for size in $sizes; do
  w=${size%x*} h=${size#*x}
  gst-launch-1.0 -q videotestsrc num-buffers=$(((run_s + 60) * fps)) pattern=smpte \
    horizontal-speed=4 ! "video/x-raw,format=I420,width=$w,height=$h,framerate=$fps/1" ! \
    x264enc speed-preset=ultrafast key-int-max="$fps" ! h264parse ! mp4mux ! \
    filesink location="$work/cam.mp4"
  "$server" 0 "filesrc location=$work/cam.mp4 ! qtdemux ! h264parse ! rtph264pay name=pay0 pt=96" \
    > "$work/url" &
  server_pid=$!
  for _ in $(seq 50); do [ -s "$work/url" ] && break; sleep 0.1; done
  url=$(cat "$work/url")
  for round in $(seq "$rounds"); do
    for t in $threads_list; do
      read -r share stop median p95 <<< "$(record "$url" "$t")"
      echo "| ${size}p$fps | $t | $round | $share | $stop | $median | $p95 |"
    done
  done
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
done
