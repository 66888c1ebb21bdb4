// A heatmap as the elements carry it: width x height floats in [0, 1], row-major, in memory
// someone else owns (a tensor, a GBytes of a buffer's metadata). No LibTorch here.
#pragma once

#include <opencv2/core.hpp>

namespace legrad {

struct HeatmapView {
  const float* values = nullptr;
  int width = 0;
  int height = 0;
};

// The map resized to width x height (bilinear), values kept in [0, 1], as CV_32F. Throws
// legrad::Error for an empty map or size.
cv::Mat resize_heatmap(const HeatmapView& heatmap, int width, int height);

}  // namespace legrad
