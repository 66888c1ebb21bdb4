# Sourced by the benchmark scripts (after they set $root): the tool and plugin of this checkout's
# build (LEGRAD, GST_PLUGIN_PATH override them), the machine line every table starts with, and
# the keep-the-best helpers of their alternating rounds.

legrad="${LEGRAD:-$root/build/cli/legrad}"
export GST_PLUGIN_PATH="${GST_PLUGIN_PATH:-$root/build/gst-plugin}"

# "DATE HOST: CPU model; N cores" (the caller appends its own settings).
machine_line() {
  echo "$(date -u +%F) $(hostname): $(lscpu | sed -n 's/^Model name: *//p' | head -1); $(nproc) cores"
}

# The lower (or higher) of a new figure and the best so far ("" before the first round).
lower() { awk -v a="$1" -v b="$2" 'BEGIN { print (b == "" || a + 0 < b + 0) ? a : b }'; }
higher() { awk -v a="$1" -v b="$2" 'BEGIN { print (b == "" || a + 0 > b + 0) ? a : b }'; }
