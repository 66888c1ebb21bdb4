// A heatmap as the elements carry it: width x height floats in [0, 1], row-major, in memory
// someone else owns (a tensor, a GBytes of a buffer's metadata). No LibTorch here.
#pragma once

namespace legrad {

struct HeatmapView {
  const float* values = nullptr;
  int width = 0;
  int height = 0;
};

}  // namespace legrad
