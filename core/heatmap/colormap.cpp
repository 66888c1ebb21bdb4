#include "heatmap/colormap.h"

#include <opencv2/imgproc.hpp>

#include "base/named_table.h"

namespace legrad {

const std::vector<ColormapInfo>& colormaps() {
  static const std::vector<ColormapInfo> maps = {
      {Colormap::Jet, "jet", "Jet", cv::COLORMAP_JET},
      {Colormap::Turbo, "turbo", "Turbo", cv::COLORMAP_TURBO},
      {Colormap::Inferno, "inferno", "Inferno", cv::COLORMAP_INFERNO},
      {Colormap::Viridis, "viridis", "Viridis", cv::COLORMAP_VIRIDIS},
  };
  return maps;
}

const ColormapInfo& colormap_info(Colormap colormap) {
  return colormaps().at(static_cast<size_t>(colormap));
}

Colormap parse_colormap(const std::string& name) {
  return row_named(colormaps(), name, "colour map").colormap;
}

std::string colormap_names(const std::string& separator) {
  return joined_names(colormaps(), separator);
}

cv::Mat colorize(const cv::Mat& heatmap, Colormap colormap) {
  cv::Mat u8, bgr, rgb;
  heatmap.convertTo(u8, CV_8U, 255.0);
  cv::applyColorMap(u8, bgr, colormap_info(colormap).opencv_id);
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  return rgb;
}

}  // namespace legrad
