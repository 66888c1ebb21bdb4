// Drawing heatmaps, boxes and labels onto pictures and video frames (OpenCV); the heatmaps
// arrive at the picture's size (heatmap_view.h) and coloured (colormap.h) or in one colour.
#pragma once

#include <opencv2/core.hpp>

#include <cstdint>
#include <string>

#include "heatmap/label_layout.h"
#include "video/pixel_view.h"

namespace legrad {

// How much of the colour a fully hot pixel gets.
constexpr double kDefaultAlpha = 0.5;

struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
};

// A distinct colour per prompt index, for drawing several prompts at once.
Rgb prompt_color(size_t index);

// pixel = pixel * (1 - a) + colour * a with a = alpha * heat, so pixels where the heatmap is
// zero are left exactly as they were. With an alpha channel the same "over" operation runs on
// it too: on a transparent canvas this builds a premultiplied overlay that, composited over
// the frame, gives what blending into the frame directly gives. `heat` is CV_32F at the view's
// size; `colors` is CV_8UC3 RGB at that size (a colour map) or empty, then `solid` is used
// everywhere.
void blend_heatmap(const PixelView& view, const cv::Mat& heat, const cv::Mat& colors, Rgb solid,
                   double alpha);

// Premultiplied colours of a canvas with an alpha channel -> straight (colour / alpha).
void unpremultiply(const PixelView& view);

// Lines and text grow with the frame (a 2-pixel line and 0.4-scale text up to VGA), so they
// stay as legible at 1080p or 12 megapixels as at 640x480.
int line_width(const PixelView& view);

// A rectangle outline in `color`.
void draw_box(const PixelView& view, int x, int y, int width, int height, Rgb color);
// A text label on a plate of `color`, in black or white, whichever reads better on it; its
// bottom-left corner at (x, y), moved inside the frame where needed.
void draw_label(const PixelView& view, const std::string& text, int x, int y, Rgb color);
// The size of the plate draw_label puts `text` on (at 0, 0), for LabelLayout.
LabelRect label_plate(const PixelView& view, const std::string& text);
// The label on its plate at `where` (label_plate's size, placed).
void draw_label_at(const PixelView& view, const std::string& text, const LabelRect& where,
                   Rgb color);

}  // namespace legrad
