// Heatmap post-processing for pictures: resize a [S, S] map in [0, 1] to the frame, colour
// it and blend it over the frame (OpenCV).
#pragma once

#include <ATen/Tensor.h>
#include <opencv2/core.hpp>

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
