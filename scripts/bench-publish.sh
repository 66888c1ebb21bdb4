#!/usr/bin/env bash
# What publishing to MQTT costs, in one run: STREAMS streams (videotestsrc, 320x240 RGB, FRAMES
# frames each, no clock: as fast as they go) through one shared, batching model, each ending in
# fakesink (no publishing), in legradmetapublish publishing every frame's results, or in one
# publishing events only, to a mosquitto this script starts on 127.0.0.1; the three alternate
# ROUNDS times (with the restart run below), giving each one's best and median frame rate and
# its least CPU time (user + system): this VM's speed changes from minute to minute. A subscriber
# (mosquitto_sub) times every message as it arrives: messages per second, and the latency from
# the publisher making the message (its utc_us, just after the analysis) to the subscriber,
# median and 99th percentile.
# A fourth run publishes every frame at QoS 1 while the broker is killed (SIGKILL) after KILL_AT s
# and started again DOWN s later: its frame rate, and the messages lost beside the publishers'
# counters (their last legrad-publish-stats, at EOS: frames dropped + messages still waiting).
# Prints a Markdown table.
# Usage: bench-publish.sh [MODEL]   (default: the bundled model)
# Environment: STREAMS (16), FRAMES (100), ROUNDS (3), PROMPTS (2), QOS (0), KILL_AT (5),
# DOWN (3), LEGRAD, GST_PLUGIN_PATH (default build/gst-plugin).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/scripts/bench-common.sh"
model="${1:-$root/models/fashion-clip}"
streams="${STREAMS:-16}"
frames="${FRAMES:-100}"
rounds="${ROUNDS:-3}"
qos="${QOS:-0}"
kill_at="${KILL_AT:-5}"
down="${DOWN:-3}"
prompts=$(echo "a photo of a bag;a photo of a dress;a photo of a sneaker;a photo of a coat" |
  cut -d';' -f1-"${PROMPTS:-2}")
command -v mosquitto_sub > /dev/null && [ -x /usr/sbin/mosquitto ] ||
  { echo "error: needs Debian's mosquitto and mosquitto-clients (scripts/setup.sh)" >&2; exit 1; }
work="$(mktemp -d)"
chmod 777 "$work"  # the broker (user mosquitto) saves its database there
port=$((20000 + RANDOM % 20000))  # a taken port: mosquitto does not start, and the script says so
# Persistent, saved every second: a broker killed and started again still has the subscriber's
# session, so what the publishers send before the subscriber is back is kept for it.
printf 'listener %s 127.0.0.1\nallow_anonymous true\nmax_queued_messages 100000\npersistence true\npersistence_location %s/\nautosave_interval 1\n' \
  "$port" "$work" > "$work/mosquitto.conf"
# User + system CPU seconds of process $1 so far (0 if it is gone).
cpu_seconds() {
  awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / hz }' \
    "/proc/$1/stat" 2> /dev/null || echo 0
}
start_broker() {
  /usr/sbin/mosquitto -c "$work/mosquitto.conf" >> "$work/broker.log" 2>&1 &
  for _ in $(seq 50); do mosquitto_pub -p "$port" -t ping -n 2> /dev/null && return; sleep 0.1; done
  echo "error: mosquitto did not start on port $port" >&2; exit 1
}
# The broker's pid now (found by its config: a restart starts it in a subshell).
broker_now() { pgrep -f "mosquitto -c $work/mosquitto.conf" | head -1; }
sub_pid=""
cleanup() {
  [ -z "$sub_pid" ] || kill "$sub_pid" 2> /dev/null || true
  pkill -9 -f "mosquitto -c $work/mosquitto.conf" 2> /dev/null || true
  [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

# Runs the pipeline for SINK (none, frames or events; restart: frames with the broker killed
# and started again); prints its frames per second. The subscriber's log: $work/received.
run() {
  local desc=() i tail_words q="$qos"
  [ "$1" != restart ] || q=1  # at QoS 0 what was written to the dying connection is lost uncounted
  for i in $(seq "$streams"); do
    case "$1" in
      none) tail_words=(fakesink) ;;
      *) tail_words=(legradmetapublish method=mqtt address="127.0.0.1:$port" stream-id="cam-$i"
           qos="$q" stats-interval=1 publish="$([ "$1" = events ] && echo events || echo frames)" ! fakesink) ;;
    esac
    desc+=(videotestsrc num-buffers="$frames" pattern=ball ! video/x-raw,format=RGB,width=320,height=240 !
      legrad model="$model" prompts="$prompts" model-instance-id=bench batch-size="$streams"
      batch-timeout=100 threads="$(nproc)" nice=0 ! "${tail_words[@]}")
  done
  : > "$work/received"
  # (restart: a lasting session, -c, which the broker keeps across its restart)
  mosquitto_sub -p "$port" -t 'legrad/#' -q "$q" -F '%U %p' $([ "$1" != restart ] || echo -c -i bench-sub) \
    > "$work/received" 2> /dev/null &
  sub_pid=$!
  local broker_cpu0
  broker_cpu0=$(cpu_seconds "$(broker_now)")
  sleep 0.3
  local restart=""
  if [ "$1" = restart ]; then
    (sleep "$kill_at"; kill -9 "$(broker_now)"; sleep "$down"; start_broker) &
    restart=$!
  fi
  local TIMEFORMAT='%U %S'
  { time gst-launch-1.0 -m "${desc[@]}" > "$work/launch.log" 2>&1; } 2> "$work/launch.cpu"
  [ -z "$restart" ] || wait "$restart"
  sleep 1
  # CPU seconds: the pipeline's, and the broker's and subscriber's (which share the cores).
  awk '{ printf "%.1f", $1 + $2 }' "$work/launch.cpu" > "$work/pipeline.cpu"
  awk -v a="$(cpu_seconds "$(broker_now)")" -v b="$broker_cpu0" -v c="$(cpu_seconds "$sub_pid")" \
    'BEGIN { printf "%.1f", (a > b ? a - b : a) + c }' > "$work/others.cpu"
  kill "$sub_pid" 2> /dev/null || true
  wait "$sub_pid" 2> /dev/null || true
  sub_pid=""
  sed -n 's/^Execution ended after \([0-9]*\):\([0-9]*\):\([0-9.]*\)$/\1 \2 \3/p' "$work/launch.log" |
    awk -v n=$((streams * frames)) '{ print n / ($1 * 3600 + $2 * 60 + $3) }'
}

# "messages msgs/s p50_ms p99_ms lost" of the subscriber's log: lost = sequence numbers never
# received, over every stream (each stream's seq counts from 0).
received() {
  awk 'function field(name,   v) { if (!match($0, "\"" name "\":\"?[^,\"}]*")) return ""
                                   v = substr($0, RSTART + length(name) + 3, RLENGTH - length(name) - 3)
                                   sub(/^"/, "", v); return v }
       { split($1, t, "."); recv = t[1] * 1000000 + substr(t[2], 1, 6); utc = field("utc_us")
         if (utc == "") next
         s = field("stream_id"); q = field("seq"); n++
         printf "%.3f\n", (recv - utc) / 1000 > "/dev/stderr"
         if (n == 1 || recv < first) first = recv; if (recv > last) last = recv
         if (!((s, q) in seen)) { seen[s, q] = 1; distinct[s]++ } if (q + 1 > top[s]) top[s] = q + 1 }
       END { lost = 0; for (s in top) lost += top[s] - distinct[s]
             span = (last - first) / 1e6; printf "%d %.0f %d\n", n, (span > 0 ? n / span : 0), lost }' \
    "$work/received" 2> "$work/latency" > "$work/counts"
  read -r n rate lost < "$work/counts"
  local p50="-" p99="-"
  if [ "$n" -gt 0 ]; then
    p50=$(sort -n "$work/latency" | awk -v k=$(((n + 1) / 2)) 'NR == k { printf "%.1f", $1 }')
    p99=$(sort -n "$work/latency" | awk -v k=$(((n * 99 + 99) / 100)) 'NR == k { printf "%.1f", $1 }')
  fi
  echo "$n $rate $p50 $p99 $lost"
}
# Of the last legrad-publish-stats of every publisher (at EOS), summed: the frames dropped plus
# the messages still waiting for a broker (dropped when the pipeline stops).
frames_dropped() {
  { grep -o 'legradmetapublish[0-9]*.*legrad-publish-stats.*' "$work/launch.log" || true; } |
    sed 's/^\(legradmetapublish[0-9]*\).*waiting=(guint64)\([0-9]*\).*frames-dropped=(guint64)\([0-9]*\).*/\1 \2 \3/' |
    awk '{ last[$1] = $2 + $3 } END { s = 0; for (e in last) s += last[e]; print s }'
}

start_broker
echo "$(machine_line); mosquitto $(/usr/sbin/mosquitto -h | sed -n 's/^mosquitto version \([0-9.]*\).*/\1/p')"
echo "$model: $streams streams, $(echo "$prompts" | tr ';' '\n' | wc -l) prompts, $frames frames each, 320x240, QoS $qos; $rounds rounds"
echo
declare -A best stats least_cpu others_cpu all_fps dropped
for _ in $(seq "$rounds"); do
  for mode in none frames events restart; do
    fps=$(run "$mode")
    all_fps[$mode]="${all_fps[$mode]:-} $fps"
    if [ -z "${best[$mode]:-}" ] || [ "$(higher "$fps" "${best[$mode]}")" = "$fps" ]; then
      best[$mode]=$fps
      stats[$mode]=$(received)
      [ "$mode" != restart ] || dropped[$mode]=$(frames_dropped)
    fi
    least_cpu[$mode]=$(lower "$(cat "$work/pipeline.cpu")" "${least_cpu[$mode]:-}")
    others_cpu[$mode]=$(cat "$work/others.cpu")
  done
done
median() { tr ' ' '\n' <<< "$1" | grep . | sort -g | awk '{ v[NR] = $1 } END { printf "%.1f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
cost() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.1f%%", (a / b - 1) * 100 }'; }
row() {  # LABEL MODE
  read -r n rate p50 p99 lost <<< "${stats[$2]}"
  local med
  med=$(median "${all_fps[$2]}")
  echo "| $1 | $(printf %.1f "${best[$2]}") ($(cost "${best[$2]}" "${best[none]}")) | $med ($(cost "$med" "$(median "${all_fps[none]}")")) | ${least_cpu[$2]} | ${others_cpu[$2]} | $n | $rate | $p50 | $p99 | $lost | ${dropped[$2]:--} |"
}
echo "| publishing | pipeline fps, best (vs none) | median (vs none) | pipeline CPU s (least) | broker + subscriber CPU s | messages | msgs/s | latency p50 ms | p99 ms | lost | dropped + waiting at EOS |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
echo "| none | $(printf %.1f "${best[none]}") | $(median "${all_fps[none]}") | ${least_cpu[none]} | | | | | | | |"
row "every frame" frames
row "events only" events
row "every frame (QoS 1), broker killed at ${kill_at} s, back ${down} s later" restart
