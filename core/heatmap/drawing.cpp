#include "heatmap/drawing.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <vector>

#include "base/error.h"

namespace legrad {

Rgb prompt_color(size_t index) {
  static const Rgb kPalette[] = {{230, 25, 75},  {60, 180, 75},  {0, 130, 200},  {255, 225, 25},
                                 {245, 130, 48}, {145, 30, 180}, {70, 240, 240}, {240, 50, 230}};
  return kPalette[index % (sizeof kPalette / sizeof kPalette[0])];
}

namespace {

// The target's heat x `scale`, 0-255: each map resized to width x height, their per-pixel
// maximum.
cv::Mat heat_at(const std::vector<HeatmapView>& maps, int width, int height, double scale) {
  cv::Mat heat;
  for (const HeatmapView& m : maps) {
    if (!m.values || m.width <= 0 || m.height <= 0)
      throw Error("cannot draw a " + std::to_string(m.width) + "x" + std::to_string(m.height) +
                  " heatmap");
    cv::Mat grid, one;
    // 8-bit before resizing: OpenCV's fixed-point bilinear path is several times faster.
    cv::Mat(m.height, m.width, CV_32F, const_cast<float*>(m.values))
        .convertTo(grid, CV_8U, 255.0 * scale);
    cv::resize(grid, one, cv::Size(width, height), 0, 0, cv::INTER_LINEAR);
    heat = heat.empty() ? one : cv::max(heat, one);
  }
  return heat;
}

// A share of the colour 0-255 as a weight 0-256 (255 -> 256, so full heat gives the colour).
inline unsigned weight_of(unsigned share) { return share + (share >> 7); }

// How one channel is blended: a solid colour's value, the heat already scaled by alpha (the
// share of the colour); or a colour map's value for each heat level, alpha in 1/256.
struct ChannelBlend {
  bool solid;
  uint8_t value[256];
  unsigned alpha256;
};

// dst = (dst * (256 - w) + value * w + 128) / 256 along one row of one channel, its samples
// `Step` bytes apart (a compile-time stride, so the loops vectorise); `values` holds room for
// a colour map's values of the row.
template <int Step>
void blend_row(uint8_t* dst, const uint8_t* heat, const ChannelBlend& b, int n, uint8_t* values) {
  if (b.solid) {
    const unsigned v = b.value[0];
    for (int i = 0; i < n; ++i) {
      const unsigned w = weight_of(heat[i]);
      dst[i * Step] = static_cast<uint8_t>((dst[i * Step] * (256u - w) + v * w + 128) >> 8);
    }
    return;
  }
  // The table look-ups on their own, so that the blend itself vectorises.
  for (int i = 0; i < n; ++i) values[i] = b.value[heat[i]];
  for (int i = 0; i < n; ++i) {
    const unsigned w = weight_of((heat[i] * b.alpha256 + 128) >> 8);
    dst[i * Step] = static_cast<uint8_t>((dst[i * Step] * (256u - w) + values[i] * w + 128) >> 8);
  }
}

// One channel of a plane: its target's first sample, rows `stride` bytes apart, samples `step`
// bytes apart.
struct ChannelTarget {
  uint8_t* origin;
  int64_t stride;
  int step;
  ChannelBlend blend;
};

// The channels sharing one heat (a packed pixel's, or a chroma plane's two) blended row by
// row, each row's channels one after the other while the row is in cache.
void blend_channels(const std::vector<ChannelTarget>& channels, const cv::Mat& heat) {
  std::vector<uint8_t> values(heat.cols);
  for (int y = 0; y < heat.rows; ++y) {
    const uint8_t* h = heat.ptr<uint8_t>(y);
    for (const ChannelTarget& c : channels) {
      uint8_t* row = c.origin + y * c.stride;
      switch (c.step) {
        case 1: blend_row<1>(row, h, c.blend, heat.cols, values.data()); break;
        case 2: blend_row<2>(row, h, c.blend, heat.cols, values.data()); break;
        case 3: blend_row<3>(row, h, c.blend, heat.cols, values.data()); break;
        case 4: blend_row<4>(row, h, c.blend, heat.cols, values.data()); break;
        default: throw Error("unsupported sample step " + std::to_string(c.step));
      }
    }
  }
}

// What heat means to one channel: `pick` reads the channel's value off a colour.
template <typename Colour, typename Pick>
ChannelBlend channel_blend(const std::array<Colour, 256>& levels, bool solid, double alpha,
                           Pick pick) {
  ChannelBlend b{solid, {}, static_cast<unsigned>(std::lround(alpha * 256.0))};
  for (int i = 0; i < 256; ++i) b.value[i] = pick(levels[i]);
  return b;
}

// The colour of each heat level.
std::array<Rgb, 256> colour_levels(const HeatColours& colours) {
  if (colours.colormap) return colormap_levels(*colours.colormap);
  std::array<Rgb, 256> levels;
  levels.fill(colours.solid);
  return levels;
}

// A solid colour's heat arrives scaled by alpha (the weights themselves); a colour map's as
// heat levels, which pick the colour.
cv::Mat heat_for(const std::vector<HeatmapView>& maps, int width, int height, bool solid,
                 double alpha) {
  return heat_at(maps, width, height, solid ? alpha : 1.0);
}

void blend_packed(const Canvas& canvas, const LabelRect& r, const std::vector<HeatmapView>& maps,
                  const std::array<Rgb, 256>& levels, bool solid, double alpha) {
  const PixelView& p = canvas.rgb;
  uint8_t* origin = p.data + r.y * p.row_stride + static_cast<int64_t>(r.x) * p.pixel_stride;
  const auto channel = [&](int offset, auto pick) {
    return ChannelTarget{origin + offset, p.row_stride, p.pixel_stride,
                         channel_blend(levels, solid, alpha, pick)};
  };
  std::vector<ChannelTarget> channels = {channel(p.red, [](Rgb c) { return c.r; }),
                                         channel(p.green, [](Rgb c) { return c.g; }),
                                         channel(p.blue, [](Rgb c) { return c.b; })};
  if (p.alpha >= 0) channels.push_back(channel(p.alpha, [](Rgb) { return uint8_t{255}; }));
  blend_channels(channels, heat_for(maps, r.width, r.height, solid, alpha));
}

void blend_yuv(const Canvas& canvas, const LabelRect& r, const std::vector<HeatmapView>& maps,
               const std::array<Rgb, 256>& levels, bool solid, double alpha) {
  const RgbToYuv to_yuv(canvas.encoding);
  std::array<YuvSample, 256> yuv;
  for (int i = 0; i < 256; ++i) yuv[i] = to_yuv(levels[i].r, levels[i].g, levels[i].b);
  blend_channels({{canvas.y + r.y * canvas.y_stride + r.x, canvas.y_stride, 1,
                   channel_blend(yuv, solid, alpha, [](YuvSample s) { return s.y; })}},
                 heat_for(maps, r.width, r.height, solid, alpha));
  // Chroma samples cover 2x2 pixels: the ones whose block starts inside the target.
  const int cx = (r.x + 1) / 2, cy = (r.y + 1) / 2;
  const int cw = (r.x + r.width + 1) / 2 - cx, ch = (r.y + r.height + 1) / 2 - cy;
  if (cw <= 0 || ch <= 0) return;
  blend_channels({{canvas.u + canvas.u_at(cx, cy), canvas.u_stride, canvas.chroma_step,
                   channel_blend(yuv, solid, alpha, [](YuvSample s) { return s.u; })},
                  {canvas.v + canvas.v_at(cx, cy), canvas.v_stride, canvas.chroma_step,
                   channel_blend(yuv, solid, alpha, [](YuvSample s) { return s.v; })}},
                 heat_for(maps, cw, ch, solid, alpha));
}

}  // namespace

void blend_heatmaps(const Canvas& canvas, const LabelRect& target,
                    const std::vector<HeatmapView>& maps, const HeatColours& colours,
                    double alpha) {
  const LabelRect r = clip_to(canvas, target);
  if (r.width == 0 || r.height == 0 || maps.empty()) return;
  alpha = std::clamp(alpha, 0.0, 1.0);  // the fixed-point weights hold no more than the colour
  const std::array<Rgb, 256> levels = colour_levels(colours);
  const bool solid = !colours.colormap;
  if (canvas.is_yuv())
    blend_yuv(canvas, r, maps, levels, solid, alpha);
  else
    blend_packed(canvas, r, maps, levels, solid, alpha);
}

void unpremultiply(const PixelView& view) {
  if (view.alpha < 0) return;
  for (int y = 0; y < view.height; ++y) {
    uint8_t* px = view.data + y * view.row_stride;
    for (int x = 0; x < view.width; ++x, px += view.pixel_stride) {
      const int a = px[view.alpha];
      if (a == 0 || a == 255) continue;
      for (int c : {view.red, view.green, view.blue})
        px[c] = static_cast<uint8_t>(std::min(255, (px[c] * 255 + a / 2) / a));
    }
  }
}

namespace {

// Frames are measured by their shorter side; 480 is the size the base sizes are made for.
double frame_scale(const Canvas& canvas) { return std::min(canvas.width, canvas.height) / 480.0; }

double text_scale(const Canvas& canvas) { return std::max(0.4, 0.5 * frame_scale(canvas)); }

int text_thickness(const Canvas& canvas) {
  return std::max(1, static_cast<int>(std::lround(text_scale(canvas) * 2.0)));
}

Rgb readable_on(Rgb plate) {
  const double luma = 0.299 * plate.r + 0.587 * plate.g + 0.114 * plate.b;
  return luma > 140 ? Rgb{0, 0, 0} : Rgb{255, 255, 255};
}

}  // namespace

int line_width(const Canvas& canvas) {
  return std::max(2, static_cast<int>(std::lround(2.0 * frame_scale(canvas))));
}

void draw_box(const Canvas& canvas, int x, int y, int width, int height, Rgb color) {
  // Lines centred on the box's edges, as a stroked rectangle.
  const int t = line_width(canvas), out = t / 2;
  const int left = x - out, top = y - out, right = x + width - 1 - out,
            bottom = y + height - 1 - out;
  const int across = width - 1 + t, down = height - 1 + t;
  fill_rect(canvas, {left, top, across, t}, color);
  fill_rect(canvas, {left, bottom, across, t}, color);
  fill_rect(canvas, {left, top, t, down}, color);
  fill_rect(canvas, {right, top, t, down}, color);
}

LabelRect label_plate(const Canvas& canvas, const std::string& text) {
  int baseline = 0;
  const cv::Size size = cv::getTextSize(text, cv::FONT_HERSHEY_SIMPLEX, text_scale(canvas),
                                        text_thickness(canvas), &baseline);
  const int pad = line_width(canvas);
  return {0, 0, size.width + 2 * pad, size.height + baseline + 2 * pad};
}

void draw_label_at(const Canvas& canvas, const std::string& text, const LabelRect& where,
                   Rgb color) {
  if (where.width <= 0 || where.height <= 0) return;
  // Drawn on a plate of its own, then pasted: one way for every canvas format.
  cv::Mat plate(where.height, where.width, CV_8UC3, cv::Scalar(color.r, color.g, color.b));
  const int pad = line_width(canvas);
  int baseline = 0;
  cv::getTextSize(text, cv::FONT_HERSHEY_SIMPLEX, text_scale(canvas), text_thickness(canvas),
                  &baseline);
  const Rgb ink = readable_on(color);
  cv::putText(plate, text, cv::Point(pad, where.height - pad - baseline), cv::FONT_HERSHEY_SIMPLEX,
              text_scale(canvas), cv::Scalar(ink.r, ink.g, ink.b), text_thickness(canvas),
              cv::LINE_AA);
  paste_rgb(canvas, plate, where.x, where.y);
}

void draw_label(const Canvas& canvas, const std::string& text, int x, int y, Rgb color) {
  LabelRect plate = label_plate(canvas, text);
  plate.x = std::clamp(x, 0, std::max(0, canvas.width - plate.width));
  plate.y = std::clamp(y, plate.height, std::max(plate.height, canvas.height)) - plate.height;
  draw_label_at(canvas, text, plate, color);
}

}  // namespace legrad
