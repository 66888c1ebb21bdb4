// Drawing heatmaps, boxes and labels onto pictures and video frames in place (a Canvas: packed
// RGB, I420 or NV12). Heatmaps arrive at the model's grid and are resized here.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "heatmap/canvas.h"
#include "heatmap/colormap.h"
#include "heatmap/heatmap_view.h"
#include "heatmap/label_layout.h"

namespace legrad {

// How much of the colour a fully hot pixel gets.
constexpr double kDefaultAlpha = 0.5;

// A heatmap older than this many frames counts as stale (a second at 30 fps): async analysis
// and an inference interval give every heatmap some age, and only an old one misleads.
constexpr unsigned kStaleAfterFrames = 30;

// A distinct colour per prompt index, for drawing several prompts at once.
Rgb prompt_color(size_t index);

// What colour heat is drawn in: a colour map's (the hotter, the further along it), or one
// solid colour everywhere.
struct HeatColours {
  std::optional<Colormap> colormap;
  Rgb solid;
};

// Blends heat into `target` (frame pixels, clipped to the canvas): pixel = pixel * (1 - a) +
// colour * a with a = alpha * heat (alpha clamped to [0, 1]), in 8-bit fixed point, so pixels
// where the heat is zero keep their values. The heat is the per-pixel maximum of `maps`, each
// resized (bilinear) to the target as clipped (a target partly outside the frame squeezes its
// map, as a region clipped to the frame does); throws legrad::Error for an empty map. On YUV the
// blend runs on the luma at full and the chroma at half resolution (Y'CbCr is affine in R'G'B', so
// it is the RGB blend). With an alpha channel the same "over" runs on it too: on a transparent
// canvas this builds a premultiplied overlay that, composited over the frame, gives what blending
// into it gives.
void blend_heatmaps(const Canvas& canvas, const LabelRect& target,
                    const std::vector<HeatmapView>& maps, const HeatColours& colours, double alpha);

// Premultiplied colours of a canvas with an alpha channel -> straight (colour / alpha).
void unpremultiply(const PixelView& view);

// Lines and text grow with the frame (a 2-pixel line and 0.4-scale text up to VGA), so they
// stay as legible at 1080p or 12 megapixels as at 640x480.
int line_width(const Canvas& canvas);

// A rectangle outline in `color`.
void draw_box(const Canvas& canvas, int x, int y, int width, int height, Rgb color);
// A text label on a plate of `color`, in black or white, whichever reads better on it; its
// bottom-left corner at (x, y), moved inside the frame where needed.
void draw_label(const Canvas& canvas, const std::string& text, int x, int y, Rgb color);
// The size of the plate draw_label puts `text` on (at 0, 0), for LabelLayout.
LabelRect label_plate(const Canvas& canvas, const std::string& text);
// The label on its plate at `where` (label_plate's size, placed).
void draw_label_at(const Canvas& canvas, const std::string& text, const LabelRect& where,
                   Rgb color);

}  // namespace legrad
