#include "heatmap/boxes.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

#include "base/error.h"

namespace legrad {

std::optional<Box> largest_region(const HeatmapView& heatmap, float roi_threshold) {
  if (!heatmap.values || heatmap.width <= 0 || heatmap.height <= 0)
    throw Error("cannot find regions in an empty heatmap");
  const cv::Mat map(heatmap.height, heatmap.width, CV_32F, const_cast<float*>(heatmap.values));
  const cv::Mat m = map > roi_threshold;
  cv::Mat labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(m, labels, stats, centroids, 8, CV_32S);
  int best = -1;
  for (int i = 1; i < n; ++i)
    if (best < 0 || stats.at<int>(i, cv::CC_STAT_AREA) > stats.at<int>(best, cv::CC_STAT_AREA))
      best = i;
  if (best < 0) return std::nullopt;
  return Box{stats.at<int>(best, cv::CC_STAT_LEFT), stats.at<int>(best, cv::CC_STAT_TOP),
             stats.at<int>(best, cv::CC_STAT_WIDTH), stats.at<int>(best, cv::CC_STAT_HEIGHT)};
}

Box scale_box(const Box& box, int map_w, int map_h, int frame_w, int frame_h) {
  const double sx = static_cast<double>(frame_w) / map_w;
  const double sy = static_cast<double>(frame_h) / map_h;
  const int x0 = std::clamp(static_cast<int>(std::floor(box.x * sx)), 0, frame_w);
  const int y0 = std::clamp(static_cast<int>(std::floor(box.y * sy)), 0, frame_h);
  const int x1 = std::clamp(static_cast<int>(std::ceil((box.x + box.width) * sx)), 0, frame_w);
  const int y1 = std::clamp(static_cast<int>(std::ceil((box.y + box.height) * sy)), 0, frame_h);
  return {x0, y0, x1 - x0, y1 - y0};
}

}  // namespace legrad
