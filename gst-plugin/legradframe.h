// GStreamer video frames described for the core: the format mapping, a read-only mapped
// frame as planes, and a writable frame as a pixel view. Shared by the elements.
#pragma once

#include <gst/video/video.h>

#include <string>

#include "heatmap/canvas.h"
#include "video/video_frame.h"

namespace legrad {

// The core's name for a GStreamer format; false for formats the core does not read.
bool to_pixel_format(GstVideoFormat format, PixelFormat* out);

// Every format the core reads, or those drawing writes in place (packed RGB, I420, NV12).
enum class FrameFormats { All, Drawable };
// video/x-raw caps with those formats (transfer full).
GstCaps* frame_caps(FrameFormats which);
// "sink" and "src" pad templates, always present, with those caps.
void add_frame_pad_templates(GstElementClass* klass, FrameFormats which);

// For an accept-caps query on an element's sink pad, answered (what upstream asks just before
// it fails with "not-negotiated"): where it offered raw video that only its format keeps out,
// a sentence naming the formats the element takes, what was offered and the way out; else "".
// Without it a refused format reads as upstream's "not-negotiated", naming neither the
// element nor its formats. (Offers mixing raw video with other media, as some webcams make,
// say nothing.)
std::string refused_formats_note(GstQuery* query, FrameFormats which);

// A frame mapped for reading (unmapped on destruction), described for the core. Throws
// legrad::Error for unsupported formats or a failed map.
class MappedFrame {
 public:
  MappedFrame(GstBuffer* buffer, const GstVideoInfo& info);
  ~MappedFrame();
  MappedFrame(const MappedFrame&) = delete;
  MappedFrame& operator=(const MappedFrame&) = delete;
  const FramePlanes& planes() const { return planes_; }

 private:
  GstVideoFrame frame_;
  FramePlanes planes_;
};

// A frame mapped for writing as a canvas to draw on. The frame's own alpha channel, if any, is
// left as it is by drawing. Throws legrad::Error for formats drawing does not write.
Canvas writable_canvas(GstVideoFrame* frame);

}  // namespace legrad
