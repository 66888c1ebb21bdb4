// The colour maps a single prompt's heatmap is drawn through, listed once: the CLI's
// `--colormap` and the overlay element's `colormap` enum come from this table.
#pragma once

#include <opencv2/core.hpp>

#include <string>
#include <vector>

namespace legrad {

enum class Colormap { Jet, Turbo, Inferno, Viridis };

struct ColormapInfo {
  Colormap colormap;
  const char* name;         // the CLI's and the element's name for it
  const char* description;  // for gst-inspect
  int opencv_id;            // cv::ColormapTypes
};

constexpr Colormap kDefaultColormap = Colormap::Jet;

// Every colour map, in Colormap order.
const std::vector<ColormapInfo>& colormaps();
const ColormapInfo& colormap_info(Colormap colormap);

// By name; throws legrad::Error naming the choices otherwise.
Colormap parse_colormap(const std::string& name);
// Every name, joined by `separator`.
std::string colormap_names(const std::string& separator);

// CV_32F map in [0, 1] -> CV_8UC3 RGB colours.
cv::Mat colorize(const cv::Mat& heatmap, Colormap colormap);

}  // namespace legrad
