#!/usr/bin/env bash
# A camera's (or file's) LeGrad results published to an MQTT broker, for a monitoring system:
# every analysed frame's prompts, scores, probabilities and boxes on legrad/STREAM/frames; on
# legrad/STREAM/events a presence event when a prompt has been seen for EVENT_MIN_FRAMES
# analysed frames and another when it has been gone EVENT_HOLD ms (with the peak and the box
# where the model saw it), and camera-lost / camera-back; on legrad/STREAM/status the answers
# to commands. A command on CONTROL changes the prompts while it runs:
#   mosquitto_pub -t legrad/control -m '{"stream_id": "cam", "prompts": ["a person"]}'
# (no "stream_id": every stream listening there). The video never waits for the broker: while
# it is away, messages wait in a bounded outbox (frames dropped first, every loss counted) and
# it is connected to again 1, 2, 4 ... up to 30 s apart; a camera that drops is connected to
# again too. A file plays at its own rate, as a camera would, and the script ends at its end.
# Usage: publish-to-mqtt.sh INPUT [BROKER]
#   INPUT: a file path or an rtsp:// / http:// URL; BROKER: host:port (default 127.0.0.1:1883)
# Environment: MODEL, PROMPTS, SIZE, THREADS, STREAM (the stream id in topics and messages,
# default cam), PUBLISH (frames, events or all; default all), FRAME_INTERVAL (publish every
# Nth frame's results, default 1), EVENT_MIN_FRAMES and EVENT_HOLD (ms; default: the
# element's), EVIDENCE (pixels: each start event carries a JPEG of its frame with the heatmap
# this wide at most; default none), CONTROL (the control topic, default legrad/control; empty: none), CREDENTIALS (a
# file: user name line, password line), TLS_CA (a CA file: TLS to the broker), TIMEOUT
# (seconds without data before a camera counts as lost, default 5). Ctrl-C ends the presence
# events under way and stops.
set -euo pipefail
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: $0 INPUT [BROKER]" >&2; exit 2; }
source "$(dirname "$0")/common.sh"
probe_input "$1"
uri="$(input_uri "$1")"
if is_camera "$uri"; then
  source_words="$(camera_source src "$uri") src.video"
else
  # A file: decoded at its own pace (the sink keeps the clock), analysed frame by frame.
  source_words="uridecodebin uri=$uri name=src src. ! video/x-raw"
fi
publish_args=(method=mqtt address="${2:-127.0.0.1:1883}" stream-id="${STREAM:-cam}"
  publish="${PUBLISH:-all}" frame-interval="${FRAME_INTERVAL:-1}"
  control-topic="${CONTROL-legrad/control}")
[ -z "${CREDENTIALS:-}" ] || publish_args+=(credentials-file="$CREDENTIALS")
[ -z "${TLS_CA:-}" ] || publish_args+=(tls-ca-file="$TLS_CA")
# (the source words are left unquoted: they are gst-launch-1.0's)
gst-launch-1.0 -e $source_words ! queue ! videoconvert ! \
  legrad model="$MODEL" prompts="$PROMPTS" input-size="${SIZE:-0}" threads="$THREADS" \
    attach-roi=true ${EVENT_MIN_FRAMES:+event-min-frames=$EVENT_MIN_FRAMES} \
    ${EVENT_HOLD:+event-hold=$EVENT_HOLD} ${EVIDENCE:+event-evidence=$EVIDENCE} ! \
  legradmetapublish "${publish_args[@]}" ! fakesink sync=true
