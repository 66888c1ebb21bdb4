# Sourced by the pipeline scripts: finds the built plugin, the legrad tool and the model.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The plugin and tool from this checkout's build (installed ones are found without this), unless
# the caller chose a plugin path already (another build folder, the tests).
if [ -z "${GST_PLUGIN_PATH:-}" ] && [ -f "$root/build/gst-plugin/libgstlegrad.so" ]; then
  export GST_PLUGIN_PATH="$root/build/gst-plugin${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
fi
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
