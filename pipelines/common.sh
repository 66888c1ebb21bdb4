# Sourced by the pipeline scripts: finds the built plugin, the legrad tool and the model.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The plugin and tool from this checkout's build (installed ones are found without this), unless
# the caller chose a plugin path already (another build folder, the tests).
if [ -z "${GST_PLUGIN_PATH:-}" ] && [ -f "$root/build/gst-plugin/libgstlegrad.so" ]; then
  export GST_PLUGIN_PATH="$root/build/gst-plugin${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
fi
# Two malloc arenas: each camera connection starts streaming threads, and glibc gives threads
# arenas of their own that it keeps; with two, a day of reconnections stays flat
# (docs/reliability.md, cameras that drop).
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
LEGRAD="${LEGRAD:-$root/build/cli/legrad}"
[ -x "$LEGRAD" ] || LEGRAD="$(command -v legrad || true)"
# MODEL: a .safetensors file or an open_clip model folder. The default is the bundled model
# (models/fashion-clip, trained here on Fashion-MNIST scenes: it knows the ten clothing
# classes, prompted as "a photo of a bag", ...).
MODEL="${MODEL:-$root/models/fashion-clip}"
if [ ! -e "$MODEL" ]; then
  echo "error: model '$MODEL' not found; set MODEL=/path/to/model (see README, Models)" >&2
  exit 1
fi
# The generated test video shows a sneaker, a dress and a sandal.
PROMPTS="${PROMPTS:-a photo of a sneaker;a photo of a dress}"
OUT="${OUT:-$root/out}"
mkdir -p "$OUT"
command -v gst-launch-1.0 >/dev/null || { echo "error: gst-launch-1.0 missing (run scripts/setup.sh)" >&2; exit 1; }

# Writes FRAMES frames of a generated test video (Fashion-MNIST items moving over a textured
# background: held-out photographs, scene SCENE, SCENE_SIZE pixels square, default 64; the
# element resizes them to the model's input) to $OUT/frames/frame_NNNN.png and lists each
# frame's items in $OUT/frames/items.txt; prints the multifilesrc source description.
moving_items_source() {
  [ -x "$LEGRAD" ] || { echo "error: the legrad tool is not built (run scripts/setup.sh)" >&2; exit 1; }
  local frames="${FRAMES:-60}"
  rm -rf "$OUT/frames" && mkdir -p "$OUT/frames"
  "$LEGRAD" scenes --test --seed 1000 --scene "${SCENE:-8}" --frames "$frames" \
    --size "${SCENE_SIZE:-64}" --out "$OUT/frames/frame" > "$OUT/frames/items.txt"
  echo "multifilesrc location=$OUT/frames/frame_%04d.png index=0 stop-index=$((frames - 1)) \
    caps=image/png,framerate=10/1 ! pngdec"
}

# THREADS: the model's compute threads (the element's `threads`; 0 = its default, which leaves
# a core to the decoder and encoder).
THREADS="${THREADS:-0}"

# The URI of INPUT: a URI as it is, a file path made absolute and escaped. A missing file is an
# error naming it.
input_uri() {
  case "$1" in
    *://*) echo "$1" ;;
    *) [ -f "$1" ] || { echo "error: no file '$1'" >&2; exit 1; }
       echo "file://$(realpath "$1" | sed 's/%/%25/g; s/ /%20/g; s/#/%23/g; s/?/%3F/g')" ;;
  esac
}

# Reads INPUT's streams (gst-discoverer-1.0; a camera is connected to once for it) and sets
# input_has_audio to 1 or 0. An input that cannot be read, or whose video cannot be decoded,
# is an error naming it and the reason, before any output file is made; sound no installed
# plugin decodes is left out with a warning (an audio branch that never gets a stream would
# hold the muxer). Every codec GStreamer's installed plugins decode is read (H.264, H.265,
# MJPEG, MPEG-4, VP8/9, AV1; AAC, MP3, Opus, G.711 ...).
probe_input() {
  local uri report missing
  uri="$(input_uri "$1")"
  report="$(gst-discoverer-1.0 --timeout=20 "$uri" 2>&1 || true)"
  if grep -q "An error was encountered" <<< "$report"; then
    echo "error: cannot read '$1': $(sed -n '/An error was encountered/{n;p}' <<< "$report" | sed 's/^ *//')" >&2
    exit 1
  fi
  if grep -q "Analyzing URI timed out" <<< "$report"; then
    echo "error: '$1' sent no stream description within 20 s" >&2
    exit 1
  fi
  grep -Eq '^ +video #' <<< "$report" || { echo "error: '$1' has no video stream" >&2; exit 1; }
  # "Missing plugins" lists one a line: " (gstreamer|1.0|gst-discoverer-1.0|WHAT|KIND, caps)".
  missing="$(grep -E '^ *\(gstreamer\|' <<< "$report" || true)"
  local what
  what="$(sed 's/^ *(gstreamer|[^|]*|[^|]*|\([^|]*\)|.*/\1/' <<< "$missing" | paste -sd ';' -)"
  if grep -q '|decoder-video/' <<< "$missing"; then
    echo "error: cannot decode the video of '$1': missing $what" >&2
    exit 1
  fi
  input_has_audio=0
  if grep -Eq '^ +audio #' <<< "$report"; then input_has_audio=1; fi
  if grep -q '|decoder-audio/' <<< "$missing"; then
    echo "warning: recording '$1' without its sound, which no installed plugin decodes (missing $what)" >&2
    input_has_audio=0
  fi
}

# The elements from the audio pad PAD (a decoder's "d.", a camera's "cam.audio") that carry
# the sound into the muxer pad SINK ("mux.", "rec.audio_%u") as AAC, which every MP4 player
# plays, or nothing where the input has no audio: an audio branch that never gets a stream
# would hold the muxer at EOS.
audio_branch() {  # PAD SINK
  [ "$input_has_audio" = 1 ] || return 0
  echo "$1 ! audio/x-raw ! queue ! audioconvert ! audioresample ! avenc_aac ! $2"
}

# A file's recording, as gst-launch-1.0 words in the array recording_args: encoded video
# into the muxer NAME (its sound on NAME.) and the MP4 at PATH, fragmented and written out as
# it comes, so a killed recorder leaves a file that plays to its last second. Files are
# recorded whole: legradrecordsink's segments are for cameras, which run for days. The encoder
# makes no B-frames: a fragmented MP4 has no edit list, and players would cut its last frames.
file_recording() {  # NAME PATH
  recording_args=(mp4mux name="$1" fragment-duration=1000 ! filesink location="$2"
    buffer-mode=unbuffered)
}

# With CLIPS (a folder) set: a branch from the tee TEE of the encoded video to a clip of each
# presence event of STREAM, from PRE_ROLL s before it to POST_ROLL s after it (5 each), as
# gst-launch-1.0 words in the array clip_args (none without CLIPS). EVENT_MIN_FRAMES and
# EVENT_HOLD (ms) decide, in event_words, when an event starts and ends.
clip_branch() {  # TEE STREAM
  clip_args=()
  [ -n "${CLIPS:-}" ] || return 0
  mkdir -p "$CLIPS"
  clip_args=("$1." ! queue ! legradclipsink location="$CLIPS" stream-id="$2"
    pre-roll="${PRE_ROLL:-5}" post-roll="${POST_ROLL:-5}")
}
event_words="${EVENT_MIN_FRAMES:+event-min-frames=$EVENT_MIN_FRAMES} ${EVENT_HOLD:+event-hold=$EVENT_HOLD}"

# SEGMENT: seconds of video per recorded camera file (legradrecordsink's segment-duration;
# 0: one file). Every recording is fragmented MP4 written out whole each second, so a killed
# or powered-off recorder leaves files that play to their last second or so.
SEGMENT="${SEGMENT:-600}"

# A camera as legradcamerasrc words: URL kept connected (lost on an error or TIMEOUT seconds
# without data, default 5, and connected to again after 1, 2, 4 ... up to 30 s), named NAME:
# its pads are NAME.video and NAME.audio.
camera_source() {  # NAME URL
  echo "legradcamerasrc name=$1 uri=$2 timeout=${TIMEOUT:-5} latency=200"
}

# True for an input that is a camera (a URL other than file://), which legradcamerasrc keeps
# connected; files are read once, to their end.
is_camera() {
  case "$1" in file://*) return 1 ;; *://*) return 0 ;; *) return 1 ;; esac
}

# Removes the named files at exit where they are empty: a pipeline that failed before its first
# frame leaves no empty recording behind.
remove_empty_at_exit() {
  empty_at_exit=("$@")
  trap 'for f in "${empty_at_exit[@]}"; do [ -s "$f" ] || rm -f "$f"; done' EXIT
}
