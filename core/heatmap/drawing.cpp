#include "heatmap/drawing.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

#include "base/error.h"

namespace legrad {

namespace {

// The frame as an OpenCV image of its own channel count, and a colour in its channel order.
cv::Mat as_mat(const PixelView& view) {
  return cv::Mat(view.height, view.width, view.pixel_stride == 4 ? CV_8UC4 : CV_8UC3, view.data,
                 static_cast<size_t>(view.row_stride));
}

cv::Scalar in_frame_order(const PixelView& view, Rgb c) {
  cv::Scalar s(255, 255, 255, 255);
  s[view.red] = c.r;
  s[view.green] = c.g;
  s[view.blue] = c.b;
  return s;
}

}  // namespace

Rgb prompt_color(size_t index) {
  static const Rgb kPalette[] = {{230, 25, 75},  {60, 180, 75},  {0, 130, 200},  {255, 225, 25},
                                 {245, 130, 48}, {145, 30, 180}, {70, 240, 240}, {240, 50, 230}};
  return kPalette[index % (sizeof kPalette / sizeof kPalette[0])];
}

void blend_heatmap(const PixelView& view, const cv::Mat& heat, const cv::Mat& colors, Rgb solid,
                   double alpha) {
  for (int y = 0; y < view.height; ++y) {
    uint8_t* row = view.data + y * view.row_stride;
    const float* h = heat.ptr<float>(y);
    const uint8_t* c = colors.empty() ? nullptr : colors.ptr<uint8_t>(y);
    for (int x = 0; x < view.width; ++x) {
      const double a = alpha * h[x];
      if (a <= 0.0) continue;
      uint8_t* px = row + static_cast<int64_t>(x) * view.pixel_stride;
      const uint8_t rgb[3] = {c ? c[3 * x] : solid.r, c ? c[3 * x + 1] : solid.g,
                              c ? c[3 * x + 2] : solid.b};
      const int offsets[3] = {view.red, view.green, view.blue};
      for (int k = 0; k < 3; ++k)
        px[offsets[k]] = static_cast<uint8_t>(px[offsets[k]] * (1.0 - a) + rgb[k] * a + 0.5);
      if (view.alpha >= 0)
        px[view.alpha] = static_cast<uint8_t>(px[view.alpha] * (1.0 - a) + 255.0 * a + 0.5);
    }
  }
}

void unpremultiply(const PixelView& view) {
  if (view.alpha < 0) return;
  for (int y = 0; y < view.height; ++y) {
    uint8_t* px = view.data + y * view.row_stride;
    for (int x = 0; x < view.width; ++x, px += view.pixel_stride) {
      const int a = px[view.alpha];
      if (a == 0 || a == 255) continue;
      for (int c : {view.red, view.green, view.blue})
        px[c] = static_cast<uint8_t>(std::min(255, (px[c] * 255 + a / 2) / a));
    }
  }
}

namespace {

// Frames are measured by their shorter side; 480 is the size the base sizes are made for.
double frame_scale(const PixelView& view) { return std::min(view.width, view.height) / 480.0; }

double text_scale(const PixelView& view) { return std::max(0.4, 0.5 * frame_scale(view)); }

int text_thickness(const PixelView& view) {
  return std::max(1, static_cast<int>(std::lround(text_scale(view) * 2.0)));
}

Rgb readable_on(Rgb plate) {
  const double luma = 0.299 * plate.r + 0.587 * plate.g + 0.114 * plate.b;
  return luma > 140 ? Rgb{0, 0, 0} : Rgb{255, 255, 255};
}

}  // namespace

int line_width(const PixelView& view) {
  return std::max(2, static_cast<int>(std::lround(2.0 * frame_scale(view))));
}

void draw_box(const PixelView& view, int x, int y, int width, int height, Rgb color) {
  cv::Mat m = as_mat(view);
  cv::rectangle(m, cv::Rect(x, y, width, height), in_frame_order(view, color), line_width(view));
}

LabelRect label_plate(const PixelView& view, const std::string& text) {
  int baseline = 0;
  const cv::Size size = cv::getTextSize(text, cv::FONT_HERSHEY_SIMPLEX, text_scale(view),
                                        text_thickness(view), &baseline);
  const int pad = line_width(view);
  return {0, 0, size.width + 2 * pad, size.height + baseline + 2 * pad};
}

void draw_label_at(const PixelView& view, const std::string& text, const LabelRect& where,
                   Rgb color) {
  cv::Mat m = as_mat(view);
  const int pad = line_width(view);
  int baseline = 0;
  cv::getTextSize(text, cv::FONT_HERSHEY_SIMPLEX, text_scale(view), text_thickness(view),
                  &baseline);
  cv::rectangle(m, cv::Rect(where.x, where.y, where.width, where.height),
                in_frame_order(view, color), cv::FILLED);
  cv::putText(m, text, cv::Point(where.x + pad, where.y + where.height - pad - baseline),
              cv::FONT_HERSHEY_SIMPLEX, text_scale(view), in_frame_order(view, readable_on(color)),
              text_thickness(view), cv::LINE_AA);
}

void draw_label(const PixelView& view, const std::string& text, int x, int y, Rgb color) {
  LabelRect plate = label_plate(view, text);
  plate.x = std::clamp(x, 0, std::max(0, view.width - plate.width));
  plate.y = std::clamp(y, plate.height, std::max(plate.height, view.height)) - plate.height;
  draw_label_at(view, text, plate, color);
}

}  // namespace legrad
