#include "heatmap/colormap.h"

#include <opencv2/imgproc.hpp>

#include "base/error.h"

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
  for (const ColormapInfo& c : colormaps())
    if (name == c.name) return c.colormap;
  throw Error("unknown colour map '" + name + "' (" + colormap_names(", ") + ")");
}

std::string colormap_names(const std::string& separator) {
  std::string out;
  for (const ColormapInfo& c : colormaps()) out += (out.empty() ? "" : separator) + c.name;
  return out;
}

cv::Mat colorize(const cv::Mat& heatmap, Colormap colormap) {
  cv::Mat u8, bgr, rgb;
  heatmap.convertTo(u8, CV_8U, 255.0);
  cv::applyColorMap(u8, bgr, colormap_info(colormap).opencv_id);
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  return rgb;
}

}  // namespace legrad
