#include "heatmap/canvas.h"

#include <algorithm>
#include <string>

#include "base/error.h"

namespace legrad {

bool is_drawable(PixelFormat format) {
  return is_packed_rgb(format) || format == PixelFormat::I420 || format == PixelFormat::NV12;
}

Canvas rgb_canvas(const PixelView& pixels) {
  Canvas c;
  c.width = pixels.width;
  c.height = pixels.height;
  c.rgb = pixels;
  return c;
}

Canvas yuv420_canvas(PixelFormat format, int width, int height, uint8_t* const data[3],
                     const int64_t stride[3], const YuvEncoding& encoding) {
  if (format != PixelFormat::I420 && format != PixelFormat::NV12)
    throw Error("cannot draw on this YUV format in place (I420 and NV12 only)");
  Canvas c;
  c.format = format;
  c.width = width;
  c.height = height;
  c.y = data[0];
  c.y_stride = stride[0];
  c.u = data[1];
  c.u_stride = stride[1];
  c.chroma_step = format == PixelFormat::NV12 ? 2 : 1;
  c.v = format == PixelFormat::NV12 ? data[1] + 1 : data[2];
  c.v_stride = format == PixelFormat::NV12 ? stride[1] : stride[2];
  c.encoding = encoding;
  return c;
}

LabelRect clip_to(const Canvas& canvas, const LabelRect& rect) {
  const int x0 = std::clamp(rect.x, 0, canvas.width), y0 = std::clamp(rect.y, 0, canvas.height);
  const int x1 = std::clamp(rect.x + rect.width, 0, canvas.width);
  const int y1 = std::clamp(rect.y + rect.height, 0, canvas.height);
  return {x0, y0, std::max(0, x1 - x0), std::max(0, y1 - y0)};
}

namespace {

// The chroma samples under a rectangle of pixels: every 2x2 block it touches.
LabelRect chroma_rect(const LabelRect& r) {
  const int x0 = r.x / 2, y0 = r.y / 2;
  return {x0, y0, (r.x + r.width + 1) / 2 - x0, (r.y + r.height + 1) / 2 - y0};
}

void set_rgb(const PixelView& p, uint8_t* px, Rgb c) {
  px[p.red] = c.r;
  px[p.green] = c.g;
  px[p.blue] = c.b;
  if (p.alpha >= 0) px[p.alpha] = 255;
}

}  // namespace

void fill_rect(const Canvas& canvas, const LabelRect& rect, Rgb color) {
  const LabelRect r = clip_to(canvas, rect);
  if (r.width == 0 || r.height == 0) return;
  if (!canvas.is_yuv()) {
    const PixelView& p = canvas.rgb;
    for (int y = r.y; y < r.y + r.height; ++y)
      for (int x = r.x; x < r.x + r.width; ++x)
        set_rgb(p, p.data + y * p.row_stride + static_cast<int64_t>(x) * p.pixel_stride, color);
    return;
  }
  const YuvSample s = rgb_to_yuv(color.r, color.g, color.b, canvas.encoding);
  for (int y = r.y; y < r.y + r.height; ++y)
    std::fill_n(canvas.y + y * canvas.y_stride + r.x, r.width, s.y);
  const LabelRect c = chroma_rect(r);
  for (int y = c.y; y < c.y + c.height; ++y)
    for (int x = c.x; x < c.x + c.width; ++x) {
      canvas.u[canvas.u_at(x, y)] = s.u;
      canvas.v[canvas.v_at(x, y)] = s.v;
    }
}

namespace {

// The picture's chroma: each sample the mean of the picture's pixels in its 2x2 block.
void paste_chroma(const Canvas& canvas, const RgbToYuv& to_yuv, const cv::Mat& picture, int px,
                  int py, const LabelRect& r) {
  const LabelRect c = chroma_rect(r);
  for (int cy = c.y; cy < c.y + c.height; ++cy)
    for (int cx = c.x; cx < c.x + c.width; ++cx) {
      // the block's pixels that lie in the picture (all four but at its edges)
      const int x0 = std::max(2 * cx, r.x), x1 = std::min(2 * cx + 2, r.x + r.width);
      const int y0 = std::max(2 * cy, r.y), y1 = std::min(2 * cy + 2, r.y + r.height);
      int sum[3] = {0, 0, 0};
      const int n = (x1 - x0) * (y1 - y0);
      for (int y = y0; y < y1; ++y) {
        const uint8_t* s = picture.ptr<uint8_t>(y - py) + 3 * (x0 - px);
        for (int x = x0; x < x1; ++x, s += 3) sum[0] += s[0], sum[1] += s[1], sum[2] += s[2];
      }
      const YuvSample s = to_yuv(static_cast<uint8_t>((sum[0] + n / 2) / n),
                                 static_cast<uint8_t>((sum[1] + n / 2) / n),
                                 static_cast<uint8_t>((sum[2] + n / 2) / n));
      canvas.u[canvas.u_at(cx, cy)] = s.u;
      canvas.v[canvas.v_at(cx, cy)] = s.v;
    }
}

}  // namespace

void paste_rgb(const Canvas& canvas, const cv::Mat& picture, int x, int y) {
  if (picture.type() != CV_8UC3) throw Error("paste_rgb takes an 8-bit RGB picture");
  const LabelRect r = clip_to(canvas, {x, y, picture.cols, picture.rows});
  if (r.width == 0 || r.height == 0) return;
  const RgbToYuv to_yuv(canvas.encoding);
  for (int py = r.y; py < r.y + r.height; ++py) {
    const uint8_t* src = picture.ptr<uint8_t>(py - y) + 3 * (r.x - x);
    for (int px = r.x; px < r.x + r.width; ++px, src += 3) {
      if (!canvas.is_yuv()) {
        const PixelView& p = canvas.rgb;
        set_rgb(p, p.data + py * p.row_stride + static_cast<int64_t>(px) * p.pixel_stride,
                Rgb{src[0], src[1], src[2]});
      } else {
        canvas.y[py * canvas.y_stride + px] = to_yuv.luma(src[0], src[1], src[2]);
      }
    }
  }
  if (canvas.is_yuv()) paste_chroma(canvas, to_yuv, picture, x, y, r);
}

}  // namespace legrad
