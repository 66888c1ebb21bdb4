# Sourced by the pipeline scripts: finds the built plugin and the model, checks tools.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The plugin from this checkout's build (an installed plugin is found without this).
if [ -f "$root/build/gst-plugin/libgstlegrad.so" ]; then
  export GST_PLUGIN_PATH="$root/build/gst-plugin${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
fi
# MODEL: a .safetensors file or an open_clip model folder. The default is the random-weight
# reference model of ../shared/golden: it exercises the whole chain but localises nothing.
MODEL="${MODEL:-$root/../shared/golden/vit_p16_224}"
if [ ! -e "$MODEL" ]; then
  echo "error: model '$MODEL' not found; set MODEL=/path/to/model (see README, Real weights)" >&2
  exit 1
fi
PROMPTS="${PROMPTS:-a red circle;a blue square}"
OUT="${OUT:-$root/out}"
mkdir -p "$OUT"
command -v gst-launch-1.0 >/dev/null || { echo "error: gst-launch-1.0 missing (run scripts/setup.sh)" >&2; exit 1; }
