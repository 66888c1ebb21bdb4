// Y'CbCr as video carries it: the BT.601 or BT.709 matrix, studio (16-235) or full range.
// Both directions: reading frames (frame_to_rgb) and drawing colours onto YUV frames.
#pragma once

#include <cstdint>

namespace legrad {

enum class YuvMatrix { BT601, BT709 };

struct YuvEncoding {
  YuvMatrix matrix = YuvMatrix::BT601;
  bool full_range = false;
};

struct YuvSample {
  uint8_t y = 0, u = 128, v = 128;
};

// R'G'B' -> Y'CbCr, rounded and clamped to the range; the constants worked out once, since
// drawing converts every pixel of a label.
class RgbToYuv {
 public:
  explicit RgbToYuv(const YuvEncoding& encoding);
  YuvSample operator()(uint8_t r, uint8_t g, uint8_t b) const;
  uint8_t luma(uint8_t r, uint8_t g, uint8_t b) const;

 private:
  float y_[3], u_[3], v_[3], y_offset_;
};

YuvSample rgb_to_yuv(uint8_t r, uint8_t g, uint8_t b, const YuvEncoding& encoding);

// Y'CbCr -> R'G'B' as r = (y - y_offset) * y_scale + rv * (v - 128), g = ... + gu * (u - 128)
// + gv * (v - 128), b = ... + bu * (u - 128).
struct YuvToRgb {
  float y_offset, y_scale, rv, gu, gv, bu;
};
YuvToRgb yuv_to_rgb(const YuvEncoding& encoding);

}  // namespace legrad
