// Interleaved 8-bit pixels in memory someone else owns (a mapped video frame, a decoded
// picture, an overlay canvas), read through ImageView or drawn on through PixelView.
#pragma once

#include <cstdint>

namespace legrad {

// The formats the elements accept: packed RGB variants, YUV 4:2:0 (planar I420, semi-planar
// NV12), packed YUV 4:2:2 as webcams send it (YUY2, UYVY) and grey (GRAY8).
enum class PixelFormat {
  RGB,
  BGR,
  RGBx,
  BGRx,
  xRGB,
  xBGR,
  RGBA,
  BGRA,
  ARGB,
  ABGR,
  I420,
  NV12,
  YUY2,
  UYVY,
  GRAY8
};

bool is_packed_rgb(PixelFormat format);

// Where each channel sits in a packed pixel (alpha -1: none).
struct PackedLayout {
  int bytes = 3;
  int red = 0, green = 1, blue = 2, alpha = -1;
};
// Throws legrad::Error for YUV formats.
PackedLayout packed_layout(PixelFormat format);

template <typename Byte>
struct BasicPixelView {
  Byte* data = nullptr;
  int width = 0;
  int height = 0;
  int64_t row_stride = 0;            // bytes between rows
  int pixel_stride = 3;              // bytes between pixels
  int red = 0, green = 1, blue = 2;  // byte offsets of each channel within a pixel
  int alpha = -1;                    // -1: no alpha channel, or one left as it is
};
using ImageView = BasicPixelView<const uint8_t>;
using PixelView = BasicPixelView<uint8_t>;

// A view of `data` in a packed RGB format; throws legrad::Error for YUV.
template <typename Byte>
BasicPixelView<Byte> packed_pixels(Byte* data, int width, int height, int64_t row_stride,
                                   PixelFormat format) {
  const PackedLayout l = packed_layout(format);
  return {data, width, height, row_stride, l.bytes, l.red, l.green, l.blue, l.alpha};
}

// The rectangle [x, x + width) x [y, y + height) of `view`, which must lie inside it.
template <typename Byte>
BasicPixelView<Byte> crop_view(const BasicPixelView<Byte>& view, int x, int y, int width,
                               int height) {
  BasicPixelView<Byte> out = view;
  out.data = view.data + y * view.row_stride + static_cast<int64_t>(x) * view.pixel_stride;
  out.width = width;
  out.height = height;
  return out;
}

}  // namespace legrad
