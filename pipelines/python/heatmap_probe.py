#!/usr/bin/python3
"""Reads LeGrad heatmaps from Python: a pad probe after `legrad` prints, per frame, where each
prompt's hot region lies, and can save the heatmaps as NumPy arrays.

  heatmap_probe.py [--prompts "a;b"] [--model PATH] [--frames N] [--save DIR] [FILE]

FILE is a video or a picture (a picture is repeated --frames times); without it, the bundled
test picture (a sneaker, a dress and a sandal). One JSON object per frame on standard output:
  {"frame": 0, "pts": 0, "heatmaps": [{"prompt": "a photo of a sneaker", "index": 0,
   "score": 0.31, "probability": 0.55, "age": 0, "hot_share": 0.12,
   "hot_centroid": [0.25, 0.71]}, ...]}
probability: the model's own presence probability (null for models that give none, CLIP).
hot_share: the fraction of the heatmap above 0.5; hot_centroid: the value-weighted centre of
that region, as fractions of the frame's width and height (null when nothing is hot).
--save DIR writes DIR/frame_NNNN.npz per frame: one float32 array (height, width) per prompt,
named by its index ("0", "1", ...).

Needs Debian's python3-gi, gir1.2-gstreamer-1.0 and python3-numpy, and the plugin and
GstLegrad-1.0.typelib installed (`ninja -C build install`); for a build that is not installed,
GST_PLUGIN_PATH, GI_TYPELIB_PATH and LD_LIBRARY_PATH pointing at build/gst-plugin.
"""
import argparse
import json
import os
import sys

import gi
import numpy

gi.require_version("Gst", "1.0")
gi.require_version("GstLegrad", "1.0")
from gi.repository import GLib, Gst, GstLegrad  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TEST_PICTURE = os.path.join(HERE, "..", "data", "sneaker-dress-sandal.png")
PICTURE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp")


def heatmap_array(meta):
    """The meta's values as a (height, width) float32 array (numpy reads the bytes in place)."""
    values = numpy.frombuffer(meta.get_bytes().get_data(), dtype=numpy.float32)
    return values.reshape(meta.height, meta.width)


def hot_region(values):
    """Share of the map above 0.5, and the value-weighted centre of that region (fractions)."""
    hot = numpy.where(values > 0.5, values, 0.0)
    total = float(hot.sum())
    if total == 0.0:
        return 0.0, None
    rows, cols = numpy.indices(values.shape)
    centre = [float((hot * (cols + 0.5)).sum() / total / values.shape[1]),
              float((hot * (rows + 0.5)).sum() / total / values.shape[0])]
    return float((values > 0.5).mean()), centre


class HeatmapPrinter:
    """The pad probe: one JSON line per frame, and the arrays when asked to save them."""

    def __init__(self, save_dir):
        self.save_dir = save_dir
        self.frame = 0

    def __call__(self, pad, info):
        buffer = info.get_buffer()
        heatmaps, arrays = [], {}
        for meta in GstLegrad.buffer_get_legrad_heatmap_metas(buffer):
            values = heatmap_array(meta)
            share, centre = hot_region(values)
            heatmaps.append({"prompt": meta.prompt, "index": meta.prompt_index,
                             "score": round(meta.score, 4),
                             "probability": (round(meta.probability, 4)
                                             if meta.probability >= 0 else None),
                             "age": meta.age,
                             "hot_share": round(share, 4),
                             "hot_centroid": centre and [round(c, 4) for c in centre]})
            arrays[str(meta.prompt_index)] = values
        print(json.dumps({"frame": self.frame, "pts": buffer.pts, "heatmaps": heatmaps}),
              flush=True)
        if self.save_dir:
            numpy.savez(os.path.join(self.save_dir, "frame_%04d.npz" % self.frame), **arrays)
        self.frame += 1
        return Gst.PadProbeReturn.OK


def build_pipeline(path, frames):
    picture = path.lower().endswith(PICTURE_EXTENSIONS)
    description = (
        "filesrc name=source ! decodebin ! "
        + ("imagefreeze num-buffers=%d ! " % frames if picture else "identity eos-after=%d ! " % frames)
        + "videoconvert ! video/x-raw,format=RGBx ! legrad name=legrad ! fakesink name=sink")
    pipeline = Gst.parse_launch(description)
    # Set apart from the description, so that any path (spaces, quotes) is taken as it is.
    pipeline.get_by_name("source").set_property("location", path)
    return pipeline


def run(pipeline):
    """Plays the pipeline to its end; returns an error message or None."""
    pipeline.set_state(Gst.State.PLAYING)
    message = pipeline.get_bus().timed_pop_filtered(
        Gst.CLOCK_TIME_NONE, Gst.MessageType.EOS | Gst.MessageType.ERROR)
    pipeline.set_state(Gst.State.NULL)
    if message.type == Gst.MessageType.ERROR:
        error, debug = message.parse_error()
        return "%s (%s)" % (error.message, debug)
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", nargs="?", default=TEST_PICTURE, help="a video or a picture")
    parser.add_argument("--prompts", default="a photo of a sneaker;a photo of a dress")
    parser.add_argument("--model", help="model folder or .safetensors (default: bundled)")
    parser.add_argument("--frames", type=int, default=10, help="frames to analyse")
    parser.add_argument("--save", metavar="DIR", help="write frame_NNNN.npz heatmaps here")
    args = parser.parse_args()
    if args.frames < 1:
        parser.error("--frames must be at least 1")
    if args.save:
        os.makedirs(args.save, exist_ok=True)

    Gst.init(None)
    try:
        pipeline = build_pipeline(args.file, args.frames)
    except GLib.Error as e:
        sys.exit("error: %s (is the legrad plugin installed or on GST_PLUGIN_PATH?)" % e.message)
    legrad = pipeline.get_by_name("legrad")
    legrad.set_property("prompts", args.prompts)
    if args.model:
        legrad.set_property("model", args.model)
    sink_pad = pipeline.get_by_name("sink").get_static_pad("sink")
    sink_pad.add_probe(Gst.PadProbeType.BUFFER, HeatmapPrinter(args.save))
    error = run(pipeline)
    if error:
        sys.exit("error: " + error)


if __name__ == "__main__":
    main()
