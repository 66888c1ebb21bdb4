#include "video/pixel_view.h"

#include "base/error.h"

namespace legrad {

bool is_packed_rgb(PixelFormat format) {
  switch (format) {
    case PixelFormat::I420:
    case PixelFormat::NV12:
    case PixelFormat::YUY2:
    case PixelFormat::UYVY:
    case PixelFormat::GRAY8: return false;
    default: return true;
  }
}

PackedLayout packed_layout(PixelFormat format) {
  switch (format) {
    case PixelFormat::RGB: return {3, 0, 1, 2, -1};
    case PixelFormat::BGR: return {3, 2, 1, 0, -1};
    case PixelFormat::RGBx: return {4, 0, 1, 2, -1};
    case PixelFormat::RGBA: return {4, 0, 1, 2, 3};
    case PixelFormat::BGRx: return {4, 2, 1, 0, -1};
    case PixelFormat::BGRA: return {4, 2, 1, 0, 3};
    case PixelFormat::xRGB: return {4, 1, 2, 3, -1};
    case PixelFormat::ARGB: return {4, 1, 2, 3, 0};
    case PixelFormat::xBGR: return {4, 3, 2, 1, -1};
    case PixelFormat::ABGR: return {4, 3, 2, 1, 0};
    default: throw Error("not a packed RGB format");
  }
}

}  // namespace legrad
