// A frame to draw on in place, in the formats drawing writes: packed RGB, or YUV 4:2:0 as
// cameras and encoders carry it (I420: three planes; NV12: luma, then interleaved chroma), so
// a YUV stream is drawn on without converting it to RGB and back. The three things drawing
// does to one: blend heat (drawing.h), fill a rectangle, paste a small RGB picture (a label).
#pragma once

#include <opencv2/core.hpp>

#include <cstdint>

#include "heatmap/colormap.h"
#include "heatmap/label_layout.h"
#include "video/pixel_view.h"
#include "video/yuv.h"

namespace legrad {

struct Canvas {
  PixelFormat format = PixelFormat::RGB;
  int width = 0;
  int height = 0;
  PixelView rgb;  // packed RGB formats: the pixels (an alpha channel, if set, is drawn on too)
  // YUV 4:2:0: the luma plane and the two chroma planes at half width and height (NV12: v =
  // u + 1 in one plane, both stepping 2 bytes a sample)
  uint8_t* y = nullptr;
  uint8_t* u = nullptr;
  uint8_t* v = nullptr;
  int64_t y_stride = 0, u_stride = 0, v_stride = 0;
  int chroma_step = 1;

  // The byte offsets of chroma sample (x, y) in the U and V planes.
  int64_t u_at(int x, int y) const { return y * u_stride + static_cast<int64_t>(x) * chroma_step; }
  int64_t v_at(int x, int y) const { return y * v_stride + static_cast<int64_t>(x) * chroma_step; }
  YuvEncoding encoding;

  bool is_yuv() const { return y != nullptr; }
};

// Whether drawing writes this format in place (packed RGB, I420, NV12).
bool is_drawable(PixelFormat format);

Canvas rgb_canvas(const PixelView& pixels);
// I420 or NV12 planes: data[0] luma, data[1] chroma (U, or UV for NV12), data[2] V (I420).
// Throws legrad::Error for other formats.
Canvas yuv420_canvas(PixelFormat format, int width, int height, uint8_t* const data[3],
                     const int64_t stride[3], const YuvEncoding& encoding);

// `rect` clipped to the canvas (empty where it lies outside).
LabelRect clip_to(const Canvas& canvas, const LabelRect& rect);

// Every pixel of `rect` (clipped) in `color`; on YUV the chroma of every 2x2 block it touches.
void fill_rect(const Canvas& canvas, const LabelRect& rect, Rgb color);

// A CV_8UC3 RGB picture with its top-left corner at (x, y), clipped to the canvas; on YUV each
// chroma sample takes the mean colour of the picture's pixels it covers.
void paste_rgb(const Canvas& canvas, const cv::Mat& picture, int x, int y);

}  // namespace legrad
