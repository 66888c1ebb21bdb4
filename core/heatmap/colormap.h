// The colour maps a single prompt's heatmap is drawn through, listed once: the CLI's
// `--colormap` and the overlay element's `colormap` enum come from this table.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace legrad {

struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
};

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

// The colour of each heat level 0-255 along the map.
std::array<Rgb, 256> colormap_levels(Colormap colormap);

}  // namespace legrad
