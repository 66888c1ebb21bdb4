#include "heatmap/heatmap_view.h"

#include <opencv2/imgproc.hpp>

#include <string>

#include "base/error.h"

namespace legrad {

cv::Mat resize_heatmap(const HeatmapView& heatmap, int width, int height) {
  if (!heatmap.values || heatmap.width <= 0 || heatmap.height <= 0 || width <= 0 || height <= 0)
    throw Error("cannot resize a " + std::to_string(heatmap.width) + "x" +
                std::to_string(heatmap.height) + " heatmap to " + std::to_string(width) + "x" +
                std::to_string(height));
  const cv::Mat src(heatmap.height, heatmap.width, CV_32F, const_cast<float*>(heatmap.values));
  cv::Mat out;
  cv::resize(src, out, cv::Size(width, height), 0, 0, cv::INTER_LINEAR);
  cv::min(cv::max(out, 0.0), 1.0, out);
  return out;
}

}  // namespace legrad
