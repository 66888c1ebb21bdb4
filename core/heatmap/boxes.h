// Boxes around heatmap regions, for region-of-interest metadata.
#pragma once

#include <optional>

#include "heatmap/heatmap_view.h"

namespace legrad {

// The heatmap level that bounds a region.
constexpr float kDefaultRoiThreshold = 0.5f;

struct Box {
  int x = 0, y = 0, width = 0, height = 0;
};

// The bounding box (in heatmap pixels) of the largest 8-connected region of `heatmap` strictly
// above `roi_threshold`; nothing if no pixel is above it.
std::optional<Box> largest_region(const HeatmapView& heatmap, float roi_threshold);

// Maps a box from a map of map_w x map_h to a frame of frame_w x frame_h (the heatmap
// covers the whole frame), clamped to the frame.
Box scale_box(const Box& box, int map_w, int map_h, int frame_w, int frame_h);

}  // namespace legrad
