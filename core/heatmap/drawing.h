// Heatmap post-processing for pictures: resize a [S, S] map in [0, 1] to the frame, colour
// it and blend it over the frame (OpenCV).
#pragma once

#include <ATen/Tensor.h>
#include <opencv2/core.hpp>

#include <cstdint>
#include <string>

namespace legrad {

enum class Colormap { Jet, Turbo, Inferno, Viridis };

// "jet", "turbo", "inferno", "viridis"; throws legrad::Error otherwise.
Colormap parse_colormap(const std::string& name);

// [S, S] float map -> CV_32F width x height (bilinear), values kept in [0, 1].
cv::Mat heatmap_to_size(const at::Tensor& heatmap, int width, int height);

// CV_32F map in [0, 1] -> CV_8UC3 RGB colours.
cv::Mat colorize(const cv::Mat& heatmap, Colormap map);

// frame (CV_8UC3 RGB) * (1 - alpha) + colours * alpha.
cv::Mat blend(const cv::Mat& frame_rgb, const cv::Mat& colors_rgb, double alpha);

}  // namespace legrad

namespace legrad {

// Writable interleaved 8-bit pixels (a mapped video frame, or an overlay canvas); red,
// green, blue and alpha are byte offsets within a pixel (alpha -1: none).
struct PixelView {
  uint8_t* data = nullptr;
  int width = 0;
  int height = 0;
  int64_t row_stride = 0;
  int pixel_stride = 3;
  int red = 0, green = 1, blue = 2;
  int alpha = -1;
};

struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
};

// A distinct colour per prompt index, for drawing several prompts at once.
Rgb prompt_color(size_t index);

// pixel = pixel * (1 - a) + colour * a with a = alpha * heat, so pixels where the heatmap is
// zero are left exactly as they were. With an alpha channel the same "over" operation runs on
// it too: on a transparent canvas this builds a premultiplied overlay that, composited over
// the frame, gives what blending into the frame directly gives. `heat` is CV_32F at the view's size; `colors` is
// CV_8UC3 RGB at that size (a colour map) or empty, then `solid` is used everywhere.
void blend_heatmap(const PixelView& view, const cv::Mat& heat, const cv::Mat& colors, Rgb solid,
                   double alpha);

// Premultiplied colours of a canvas with an alpha channel -> straight (colour / alpha).
void unpremultiply(const PixelView& view);

// A rectangle outline and a text label (with a dark backing box) in the frame.
void draw_box(const PixelView& view, int x, int y, int width, int height, Rgb color);
void draw_label(const PixelView& view, const std::string& text, int x, int y, Rgb color);

}  // namespace legrad
