#!/usr/bin/env bash
# Long run of cameras that drop (a measurement, not a unit test): CAMERAS (default 4) RTSP
# cameras on 127.0.0.1 (tests/tools' rtsp-test-server, 320x240 at 15 fps, H.264) recorded by
# pipelines/many-cameras.sh through one shared model (the bundled one unless MODEL is set) for
# MINUTES (default 30). Every DROP_EVERY seconds (default 180) each camera in turn, spread
# over that period, is stopped for DOWN_FOR seconds (default 20) and started again on its port.
# Every 10 s the recorder's resident memory, open file descriptors and threads are sampled
# (OUT/samples.csv). At the end (Ctrl-C to the recorder) it prints, as Markdown: the memory
# of the first and last thirds (their means) and its growth, the range of descriptors and
# threads, for each camera the drops made beside the camera-lost / camera-back lines its
# sidecar holds, and whether every segment decodes to its end.
#   [MINUTES=30] [CAMERAS=4] [DROP_EVERY=180] [DOWN_FOR=20] [SEGMENT=300] scripts/soak-cameras.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/scripts/bench-common.sh"
server="$root/build/tests/rtsp-test-server"
[ -x "$server" ] || { echo "error: $server is not built (run scripts/setup.sh)" >&2; exit 1; }
minutes="${MINUTES:-30}"
cameras="${CAMERAS:-4}"
drop_every="${DROP_EVERY:-180}"
down_for="${DOWN_FOR:-20}"
out="${OUT:-$root/out/soak-cameras}"
rm -rf "$out"
mkdir -p "$out/rec"
launch="videotestsrc is-live=true pattern=ball ! video/x-raw,format=I420,width=320,height=240,\
framerate=15/1 ! x264enc tune=zerolatency speed-preset=ultrafast ! rtph264pay name=pay0 pt=96"

declare -a ports server_pids drops
recorder=""
cleanup() {
  for pid in "${server_pids[@]}" "$recorder"; do [ -z "$pid" ] || kill "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

start_camera() {  # INDEX PORT: starts the camera, waits until it listens
  local log="$out/camera-$1.log"
  "$server" "$2" "$launch" > "$log" 2>&1 &
  server_pids[$1]=$!
  for _ in $(seq 100); do grep -q rtsp:// "$log" && return 0; sleep 0.1; done
  echo "error: camera $1 did not start: $(cat "$log")" >&2
  exit 1
}
urls=()
for i in $(seq "$cameras"); do
  start_camera "$i" 0
  url="$(grep -o 'rtsp://[^ ]*' "$out/camera-$i.log")"
  port="${url##*:}"
  ports[$i]="${port%%/*}"
  drops[$i]=0
  urls+=("$url")
done

# The recorder in its own process group, so that Ctrl-C reaches gst-launch-1.0 and no further.
setsid env OUT="$out/rec" MODEL="${MODEL:-$root/models/fashion-clip}" SEGMENT="${SEGMENT:-300}" \
  TIMEOUT=3 "$root/pipelines/many-cameras.sh" "${urls[@]}" > "$out/recorder.log" 2>&1 &
recorder=$!
gst=""
for _ in $(seq 300); do
  gst="$(pgrep -P "$recorder" gst-launch-1.0 || true)"
  [ -n "$gst" ] && grep -q "Setting pipeline to PLAYING" "$out/recorder.log" && break
  sleep 0.1
done
[ -n "$gst" ] || { echo "error: the recorder did not start:" >&2; cat "$out/recorder.log" >&2; exit 1; }

echo "seconds,rss_kib,fds,threads" > "$out/samples.csv"
sample() {  # SECONDS
  echo "$1,$(awk '/VmRSS/ { print $2 }' "/proc/$gst/status"),$(ls "/proc/$gst/fd" | wc -l),\
$(awk '/Threads/ { print $2 }' "/proc/$gst/status")" >> "$out/samples.csv"
}
# Camera i goes down at (i - 1) * DROP_EVERY / CAMERAS into each period, for DOWN_FOR s.
total=$((minutes * 60))
for t in $(seq 0 "$total"); do
  kill -0 "$gst" 2>/dev/null || { echo "error: the recorder ended early:" >&2; tail "$out/recorder.log" >&2; exit 1; }
  [ $((t % 10)) -eq 0 ] && sample "$t"
  for i in $(seq "$cameras"); do
    phase=$(((t - (i - 1) * drop_every / cameras) % drop_every))
    if [ "$t" -ge "$drop_every" ] && [ "$phase" -eq 0 ] && [ "$t" -lt $((total - down_for - 30)) ]; then
      kill "${server_pids[$i]}"; wait "${server_pids[$i]}" 2>/dev/null || true
      drops[$i]=$((drops[$i] + 1))
    elif [ "$t" -ge "$drop_every" ] && [ "$phase" -eq "$down_for" ] && [ "${drops[$i]}" -gt 0 ] &&
         ! kill -0 "${server_pids[$i]}" 2>/dev/null; then
      start_camera "$i" "${ports[$i]}"
    fi
  done
  sleep 1
done
kill -INT -- "-$recorder"
wait "$recorder" || true

summary() {  # CSV FROM TO COLUMN -> mean
  awk -F, -v a="$2" -v b="$3" -v c="$4" 'NR > 1 && $1 >= a && $1 < b { s += $c; n++ }
    END { printf "%.0f", n ? s / n : 0 }' "$1"
}
range() {  # CSV COLUMN -> "min-max"
  awk -F, -v c="$2" 'NR > 1 { if (min == "" || $c < min) min = $c; if ($c > max) max = $c }
    END { print min "-" max }' "$1"
}
third=$((total / 3))
thirds() {  # COLUMN -> "first-third mean / last-third mean (min-max)"
  echo "$(summary "$out/samples.csv" 0 "$third" "$1") /" \
    "$(summary "$out/samples.csv" $((total - third)) $((total + 1)) "$1")" \
    "($(range "$out/samples.csv" "$1"))"
}
first=$(summary "$out/samples.csv" 0 "$third" 2)
last=$(summary "$out/samples.csv" $((total - third)) $((total + 1)) 2)
echo "$(machine_line)"
echo "scripts/soak-cameras.sh: $cameras cameras (320x240 H.264 15 fps, 127.0.0.1) through" \
  "pipelines/many-cameras.sh, bundled model unless MODEL, $minutes min, each camera down" \
  "${down_for} s every ${drop_every} s, segments of ${SEGMENT:-300} s"
echo
echo "| resident memory, first third | last third | growth | open descriptors, first / last third (range) | threads, the same |"
echo "|---|---|---|---|---|"
echo "| $((first / 1024)) MiB | $((last / 1024)) MiB |" \
  "$(awk -v a="$first" -v b="$last" 'BEGIN { printf "%+.1f%%", (b - a) * 100 / a }') |" \
  "$(thirds 3) | $(thirds 4) |"
echo
echo "| camera | drops | camera-lost lines | camera-back lines | segments | all decode to their end |"
echo "|---|---|---|---|---|---|"
for i in $(seq "$cameras"); do
  lost=$(cat "$out/rec/cam-$i-"*.jsonl | grep -c '"event":"camera-lost"' || true)
  back=$(cat "$out/rec/cam-$i-"*.jsonl | grep -c '"event":"camera-back"' || true)
  segments=0 playable=yes
  for f in "$out/rec/cam-$i-"*.mp4; do
    segments=$((segments + 1))
    gst-launch-1.0 -q filesrc location="$f" ! qtdemux ! h264parse ! avdec_h264 ! \
      fakesink > /dev/null 2>&1 || playable="no ($f)"
  done
  echo "| $i | ${drops[$i]} | $lost | $back | $segments | $playable |"
done
