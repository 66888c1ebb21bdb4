#include "video/yuv.h"

#include <algorithm>

namespace legrad {

namespace {

// The matrix's luma weights of red and blue.
struct LumaWeights {
  float kr, kb;
};

LumaWeights luma_weights(YuvMatrix matrix) {
  return matrix == YuvMatrix::BT709 ? LumaWeights{0.2126f, 0.0722f} : LumaWeights{0.299f, 0.114f};
}

// Studio range puts luma in 16-235 (219 steps) and chroma in 16-240 (224 steps).
float luma_steps(bool full_range) { return full_range ? 255.0f : 219.0f; }
float chroma_steps(bool full_range) { return full_range ? 255.0f : 224.0f; }

uint8_t clamp8(float v) { return static_cast<uint8_t>(std::clamp(v + 0.5f, 0.0f, 255.0f)); }

}  // namespace

RgbToYuv::RgbToYuv(const YuvEncoding& encoding) {
  const LumaWeights w = luma_weights(encoding.matrix);
  const float ys = luma_steps(encoding.full_range) / 255.0f;
  const float cs = chroma_steps(encoding.full_range) / 255.0f;
  const float luma[3] = {w.kr, 1 - w.kr - w.kb, w.kb};
  // Cb = (B - Y) / (2 (1 - kb)), Cr = (R - Y) / (2 (1 - kr)), then scaled to the range.
  for (int k = 0; k < 3; ++k) {
    y_[k] = luma[k] * ys;
    u_[k] = ((k == 2 ? 1.0f : 0.0f) - luma[k]) / (2 * (1 - w.kb)) * cs;
    v_[k] = ((k == 0 ? 1.0f : 0.0f) - luma[k]) / (2 * (1 - w.kr)) * cs;
  }
  y_offset_ = encoding.full_range ? 0.0f : 16.0f;
}

uint8_t RgbToYuv::luma(uint8_t r, uint8_t g, uint8_t b) const {
  return clamp8(y_offset_ + y_[0] * r + y_[1] * g + y_[2] * b);
}

YuvSample RgbToYuv::operator()(uint8_t r, uint8_t g, uint8_t b) const {
  return {luma(r, g, b), clamp8(128.0f + u_[0] * r + u_[1] * g + u_[2] * b),
          clamp8(128.0f + v_[0] * r + v_[1] * g + v_[2] * b)};
}

YuvSample rgb_to_yuv(uint8_t r, uint8_t g, uint8_t b, const YuvEncoding& encoding) {
  return RgbToYuv(encoding)(r, g, b);
}

YuvToRgb yuv_to_rgb(const YuvEncoding& encoding) {
  const LumaWeights w = luma_weights(encoding.matrix);
  const float y_scale = 255.0f / luma_steps(encoding.full_range);
  const float c_scale = 255.0f / chroma_steps(encoding.full_range);
  const float g_weight = 1 - w.kr - w.kb;
  return {encoding.full_range ? 0.0f : 16.0f,
          y_scale,
          2 * (1 - w.kr) * c_scale,
          -2 * w.kb * (1 - w.kb) / g_weight * c_scale,
          -2 * w.kr * (1 - w.kr) / g_weight * c_scale,
          2 * (1 - w.kb) * c_scale};
}

}  // namespace legrad
