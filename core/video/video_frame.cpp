#include "video/video_frame.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cstring>

#include "base/error.h"

namespace legrad {

FramePlanes rgb_planes(const at::Tensor& rgb) {
  if (rgb.dim() != 3 || rgb.size(2) != 3 || rgb.scalar_type() != at::kByte || !rgb.is_contiguous())
    throw Error("expected a contiguous [height, width, 3] uint8 RGB tensor");
  FramePlanes planes;
  planes.format = PixelFormat::RGB;
  planes.width = static_cast<int>(rgb.size(1));
  planes.height = static_cast<int>(rgb.size(0));
  planes.data[0] = rgb.data_ptr<uint8_t>();
  planes.stride[0] = rgb.size(1) * 3;
  return planes;
}
namespace {

uint8_t clamp8(float v) { return static_cast<uint8_t>(std::clamp(v + 0.5f, 0.0f, 255.0f)); }

// Where row y of a YUV frame keeps its samples: pixel x's luma at luma[x * luma_step], the
// chroma of pixels 2c and 2c + 1 at u[c * chroma_step] and v[c * chroma_step].
struct YuvRow {
  const uint8_t *luma, *u, *v;
  int luma_step, chroma_step;
};

YuvRow yuv_row(const FramePlanes& f, int y) {
  const uint8_t* packed = f.data[0] + y * f.stride[0];
  switch (f.format) {
    case PixelFormat::NV12: {
      const uint8_t* uv = f.data[1] + (y / 2) * f.stride[1];
      return {packed, uv, uv + 1, 1, 2};
    }
    case PixelFormat::YUY2: return {packed, packed + 1, packed + 3, 2, 4};  // Y0 U Y1 V
    case PixelFormat::UYVY: return {packed + 1, packed, packed + 2, 2, 4};  // U Y0 V Y1
    default:                                                                // I420
      return {packed, f.data[1] + (y / 2) * f.stride[1], f.data[2] + (y / 2) * f.stride[2], 1, 1};
  }
}

}  // namespace

ImageView packed_view(const FramePlanes& frame) {
  return packed_pixels(frame.data[0], frame.width, frame.height, frame.stride[0], frame.format);
}

at::Tensor frame_to_rgb(const FramePlanes& frame) {
  if (frame.width <= 0 || frame.height <= 0 || !frame.data[0])
    throw Error("empty video frame (" + std::to_string(frame.width) + "x" +
                std::to_string(frame.height) + ")");
  at::Tensor out = at::empty({frame.height, frame.width, 3}, at::kByte);
  uint8_t* o = out.data_ptr<uint8_t>();
  if (is_packed_rgb(frame.format)) {
    const ImageView v = packed_view(frame);
    for (int y = 0; y < frame.height; ++y) {
      const uint8_t* row = v.data + y * v.row_stride;
      uint8_t* dst = o + static_cast<size_t>(y) * frame.width * 3;
      for (int x = 0; x < frame.width; ++x) {
        dst[3 * x] = row[x * v.pixel_stride + v.red];
        dst[3 * x + 1] = row[x * v.pixel_stride + v.green];
        dst[3 * x + 2] = row[x * v.pixel_stride + v.blue];
      }
    }
    return out;
  }
  if (frame.format == PixelFormat::GRAY8) {
    for (int y = 0; y < frame.height; ++y) {
      const uint8_t* row = frame.data[0] + y * frame.stride[0];
      uint8_t* dst = o + static_cast<size_t>(y) * frame.width * 3;
      for (int x = 0; x < frame.width; ++x) dst[3 * x] = dst[3 * x + 1] = dst[3 * x + 2] = row[x];
    }
    return out;
  }
  const YuvToRgb k = yuv_to_rgb({frame.matrix, frame.full_range});
  for (int y = 0; y < frame.height; ++y) {
    const YuvRow row = yuv_row(frame, y);
    uint8_t* dst = o + static_cast<size_t>(y) * frame.width * 3;
    for (int x = 0; x < frame.width; ++x) {
      const int c = (x / 2) * row.chroma_step;
      const float luma = (row.luma[x * row.luma_step] - k.y_offset) * k.y_scale;
      const float u = row.u[c] - 128.0f, v = row.v[c] - 128.0f;
      dst[3 * x] = clamp8(luma + k.rv * v);
      dst[3 * x + 1] = clamp8(luma + k.gu * u + k.gv * v);
      dst[3 * x + 2] = clamp8(luma + k.bu * u);
    }
  }
  return out;
}

}  // namespace legrad
