#!/usr/bin/python3
"""The Python example (pipelines/python/heatmap_probe.py) reads the same heatmaps through
GObject introspection as legradmetaconvert include-heatmap=true writes for the same frames.
Skips (exit 77) where PyGObject, NumPy or the GstLegrad typelib are missing."""
import json
import os
import subprocess
import sys
import tempfile

SKIP = 77
PROMPTS = "a photo of a sneaker;a photo of a dress"
FRAMES = 3


def skip_unless_available():
    try:
        import gi
        import numpy  # noqa: F401
        gi.require_version("GstLegrad", "1.0")
        gi.require_version("Gst", "1.0")
        gi.require_version("GstVideo", "1.0")
    except (ImportError, ValueError) as e:
        print("skipped: %s (install python3-gi, python3-numpy and gobject-introspection, "
              "then rebuild)" % e)
        sys.exit(SKIP)


def metaconvert_lines(picture, out_dir):
    """What legradmetaconvert writes of each frame of the example's pipeline, a dict each."""
    location = os.path.join(out_dir, "meta.jsonl")
    subprocess.run(
        ["gst-launch-1.0", "-q", "filesrc", "location=" + picture, "!", "decodebin", "!",
         "imagefreeze", "num-buffers=%d" % FRAMES, "!", "videoconvert", "!",
         "video/x-raw,format=RGBx", "!", "legrad", "prompts=" + PROMPTS, "!",
         "legradmetaconvert", "include-heatmap=true", "location=" + location, "!", "fakesink"],
        check=True)
    with open(location) as f:
        lines = [json.loads(line) for line in f]
    # The frames' lines (the others are events: a prompt's presence starting and ending).
    return [line for line in lines if "event" not in line]


def check_region_functions():
    """A heatmap's region and regions clipped to the frame, as the elements find them."""
    from gi.repository import GLib, Gst, GstLegrad, GstVideo
    Gst.init(None)
    buffer = Gst.Buffer.new()
    roi = GstVideo.buffer_add_video_region_of_interest_meta(buffer, "person", 40, 10, 100, 20)
    roi.id = 7
    inside, x, y, w, h = GstLegrad.legrad_clip_region(roi, 64, 48)
    assert inside and (x, y, w, h) == (40, 10, 24, 20), (x, y, w, h)
    values = GLib.Bytes.new(bytes(16 * 4))
    meta = GstLegrad.buffer_add_legrad_heatmap_meta(buffer, "a cat", 0, 0.3, 4, 4, values,
                                                    Gst.CLOCK_TIME_NONE, 0)
    assert meta.get_region(buffer) is None, "no region: roi_id is -1"
    meta.roi_id = 7
    assert meta.get_region(buffer).id == 7


def main():
    skip_unless_available()
    check_region_functions()
    import numpy
    example = os.path.join(os.environ["LEGRAD_PIPELINES"], "python", "heatmap_probe.py")
    picture = os.path.join(os.environ["LEGRAD_PIPELINES"], "data", "sneaker-dress-sandal.png")
    with tempfile.TemporaryDirectory() as tmp:
        probe = subprocess.run([sys.executable, example, "--prompts", PROMPTS, "--frames",
                                str(FRAMES), "--save", tmp, picture],
                               check=True, capture_output=True, text=True).stdout
        printed = [json.loads(line) for line in probe.splitlines()]
        expected = metaconvert_lines(picture, tmp)
        assert len(printed) == FRAMES == len(expected), (len(printed), len(expected))
        for frame, (line, meta) in enumerate(zip(printed, expected)):
            assert line["pts"] == meta["pts"], (line["pts"], meta["pts"])
            arrays = numpy.load(os.path.join(tmp, "frame_%04d.npz" % frame))
            assert len(line["heatmaps"]) == len(meta["prompts"]) == 2
            for heatmap, prompt in zip(line["heatmaps"], meta["prompts"]):
                assert heatmap["prompt"] == prompt["prompt"] and heatmap["index"] == prompt["index"]
                assert abs(heatmap["score"] - prompt["score"]) < 1e-4
                assert abs(heatmap["probability"] - prompt["probability"]) < 1e-4
                written = numpy.array(prompt["heatmap"]["values"], dtype=numpy.float32)
                read = arrays[str(prompt["index"])]
                assert read.shape == (prompt["heatmap"]["height"], prompt["heatmap"]["width"])
                assert numpy.array_equal(read.ravel(), written), "heatmap values differ"
                assert heatmap["hot_centroid"] is not None and 0 < heatmap["hot_share"] < 1
    # The two prompts name different items of the picture: their hot regions lie apart.
    first, second = (h["hot_centroid"] for h in printed[0]["heatmaps"])
    assert abs(first[0] - second[0]) > 0.2, (first, second)
    print("python example: %d frames, heatmaps equal to legradmetaconvert's" % FRAMES)


if __name__ == "__main__":
    main()
