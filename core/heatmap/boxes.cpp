#include "heatmap/boxes.h"

#include <ATen/ATen.h>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

#include "base/error.h"

namespace legrad {

std::optional<Box> largest_region(const at::Tensor& heatmap, float threshold) {
  if (heatmap.dim() != 2) throw Error("heatmap must be two-dimensional");
  at::Tensor mask = heatmap.detach().to(at::kCPU).gt(threshold).to(at::kByte).contiguous();
  cv::Mat m(static_cast<int>(mask.size(0)), static_cast<int>(mask.size(1)), CV_8U,
            mask.data_ptr<uint8_t>());
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
