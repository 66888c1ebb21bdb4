#include "engine/event_evidence.h"

#include <ATen/ATen.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

#include "base/error.h"
#include "heatmap/drawing.h"

namespace legrad {

namespace {

// Coarser first, then smaller: a quarter of the pixels at the same quality is a smaller cut
// than the next quality step.
constexpr int kQualities[] = {85, 70, 55, 40};
constexpr int kSmallestSide = 32;

LabelRect scaled(const Box& box, double scale) {
  const int x = int(std::floor(box.x * scale)), y = int(std::floor(box.y * scale));
  return {x, y, std::max(1, int(std::ceil((box.x + box.width) * scale)) - x),
          std::max(1, int(std::ceil((box.y + box.height) * scale)) - y)};
}

// The frame at `scale` with the event's map, box and prompt drawn, as BGR for the encoder.
cv::Mat drawn_picture(const cv::Mat& rgb, double scale, const Analysis& analysis,
                      const PresenceEvent& event, const EvidenceSettings& settings) {
  cv::Mat picture;
  const cv::Size size(std::max(1, int(std::lround(rgb.cols * scale))),
                      std::max(1, int(std::lround(rgb.rows * scale))));
  cv::resize(rgb, picture, size, 0, 0, cv::INTER_AREA);
  const Canvas canvas = rgb_canvas(packed_pixels<uint8_t>(picture.data, picture.cols, picture.rows,
                                                          int64_t(picture.step), PixelFormat::RGB));
  LabelRect target{0, 0, picture.cols, picture.rows};
  if (analysis.covers_regions()) {
    const Region& r = analysis.regions[event.map / analysis.prompt_count()];
    target = scaled(Box{r.x, r.y, r.width, r.height}, scale);
  }
  HeatColours colours;
  colours.colormap = kDefaultColormap;
  blend_heatmaps(canvas, target, {{analysis.map(event.map), analysis.size, analysis.size}}, colours,
                 kDefaultAlpha);
  const Rgb colour = prompt_color(event.map % analysis.prompt_count());
  if (auto box = map_box(analysis, event.map, rgb.cols, rgb.rows, settings.box_threshold)) {
    const LabelRect b = scaled(*box, scale);
    draw_box(canvas, b.x, b.y, b.width, b.height, colour);
    draw_label(canvas, event.prompt, b.x, b.y, colour);
  } else {
    draw_label(canvas, event.prompt, 0, picture.rows, colour);
  }
  cv::cvtColor(picture, picture, cv::COLOR_RGB2BGR);
  return picture;
}

}  // namespace

std::string evidence_jpeg(const FramePlanes& frame, const Analysis& analysis,
                          const PresenceEvent& event, const EvidenceSettings& settings) {
  if (settings.longest_side <= 0) throw Error("evidence picture: no size asked");
  if (event.map >= analysis.map_count()) throw Error("evidence picture: no such map");
  const at::Tensor rgb_tensor = frame_to_rgb(frame);
  const cv::Mat rgb(int(rgb_tensor.size(0)), int(rgb_tensor.size(1)), CV_8UC3,
                    rgb_tensor.data_ptr<uint8_t>());
  const int side = std::max(rgb.cols, rgb.rows);
  for (int longest = std::min(side, settings.longest_side);; longest /= 2) {
    const cv::Mat picture = drawn_picture(rgb, double(longest) / side, analysis, event, settings);
    std::vector<uchar> jpeg;
    for (int quality : kQualities) {
      cv::imencode(".jpg", picture, jpeg, {cv::IMWRITE_JPEG_QUALITY, quality});
      if (jpeg.size() <= settings.max_bytes) return std::string(jpeg.begin(), jpeg.end());
    }
    if (longest <= kSmallestSide)
      throw Error("evidence picture: " + std::to_string(jpeg.size()) +
                  " bytes even at quality 40 and " + std::to_string(longest) +
                  " pixels, over the bound of " + std::to_string(settings.max_bytes));
  }
}

}  // namespace legrad
