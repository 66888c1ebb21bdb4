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

std::array<Rgb, 256> colormap_levels(Colormap colormap) {
  cv::Mat ramp(1, 256, CV_8U), bgr;
  for (int i = 0; i < 256; ++i) ramp.at<uint8_t>(0, i) = static_cast<uint8_t>(i);
  cv::applyColorMap(ramp, bgr, colormap_info(colormap).opencv_id);
  std::array<Rgb, 256> levels;
  for (int i = 0; i < 256; ++i) {
    const cv::Vec3b c = bgr.at<cv::Vec3b>(0, i);
    levels[i] = {c[2], c[1], c[0]};
  }
  return levels;
}

}  // namespace legrad
