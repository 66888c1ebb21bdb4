// Drawing heatmaps, boxes and labels: exact blends, pixels left alone where there is no heat,
// channel orders honoured, a canvas overlay that composes to the same picture, and YUV frames
// drawn on as their RGB conversion would be.
#include <gtest/gtest.h>

#include <opencv2/core.hpp>

#include <ATen/ATen.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "base/error.h"
#include "heatmap/colormap.h"
#include "heatmap/drawing.h"
#include "heatmap/heatmap_view.h"
#include "support.h"
#include "video/video_frame.h"

namespace legrad {
namespace {

// A width x height frame in `format`, every pixel `fill`.
struct Frame {
  Frame(int w, int h, PixelFormat format, uint8_t fill)
      : bytes(static_cast<size_t>(w) * h * packed_layout(format).bytes, fill),
        view(packed_pixels(bytes.data(), w, h,
                           static_cast<int64_t>(w) * packed_layout(format).bytes, format)),
        canvas(rgb_canvas(view)) {}
  const uint8_t* at(int x, int y) const {
    return bytes.data() + y * view.row_stride + static_cast<int64_t>(x) * view.pixel_stride;
  }
  LabelRect all() const { return {0, 0, view.width, view.height}; }
  std::vector<uint8_t> bytes;
  PixelView view;
  Canvas canvas;
};

// A w x h heat grid: 1 in the left half, 0 in the right half (drawn at its own size, so the
// resize keeps it as it is).
struct HalfHot {
  HalfHot(int w, int h) : values(static_cast<size_t>(w) * h, 0.0f), view{values.data(), w, h} {
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w / 2; ++x) values[y * w + x] = 1.0f;
  }
  std::vector<float> values;
  HeatmapView view;
};

HeatColours solid(Rgb c) {
  HeatColours colours;
  colours.solid = c;
  return colours;
}

TEST(Drawing, HeatBlendsExactlyAndColdPixelsStayAsTheyWere) {
  Frame f(8, 4, PixelFormat::BGRx, 100);
  const HalfHot heat(8, 4);
  blend_heatmaps(f.canvas, f.all(), {heat.view}, solid(Rgb{200, 0, 50}), 0.5);
  const uint8_t* hot = f.at(1, 1);
  EXPECT_EQ(hot[2], 150);  // red: 100 * 0.5 + 200 * 0.5
  EXPECT_EQ(hot[1], 50);   // green
  EXPECT_EQ(hot[0], 75);   // blue
  EXPECT_EQ(hot[3], 100);  // the padding byte is not a channel
  for (int i = 0; i < 4; ++i) EXPECT_EQ(f.at(6, 2)[i], 100);
}

TEST(Drawing, ColourMapColoursFollowTheHeat) {
  Frame f(8, 2, PixelFormat::RGB, 0);
  const HalfHot heat(8, 2);
  HeatColours jet;
  jet.colormap = Colormap::Jet;
  blend_heatmaps(f.canvas, f.all(), {heat.view}, jet, 1.0);
  const uint8_t* hot = f.at(0, 0);
  EXPECT_GT(hot[0], 100);  // jet's top is red
  EXPECT_LT(hot[2], 100);
  EXPECT_EQ(f.at(7, 1)[0], 0);
}

TEST(Drawing, ACanvasOverlayComposesToTheDirectBlend) {
  const Rgb red{230, 25, 75};
  const std::vector<float> values(4, 0.8f);
  const HeatmapView heat{values.data(), 2, 2};
  Frame direct(2, 2, PixelFormat::RGB, 40);
  blend_heatmaps(direct.canvas, direct.all(), {heat}, solid(red), 0.5);
  Frame canvas(2, 2, PixelFormat::RGBA, 0);
  blend_heatmaps(canvas.canvas, canvas.all(), {heat}, solid(red), 0.5);
  unpremultiply(canvas.view);
  const uint8_t* c = canvas.at(0, 0);
  EXPECT_EQ(c[3], 102);  // 255 * 0.4
  for (int k = 0; k < 3; ++k) {
    const double composed = (c[k] * c[3] + 40.0 * (255 - c[3])) / 255.0;
    EXPECT_NEAR(composed, direct.at(0, 0)[k], 1.0) << "channel " << k;
  }
}

TEST(Drawing, BoxesAndLabelsStayInsideTheFrame) {
  Frame f(64, 48, PixelFormat::RGB, 0);
  draw_box(f.canvas, 10, 10, 20, 15, Rgb{0, 255, 0});
  EXPECT_EQ(f.at(10, 12)[1], 255);                                    // on the outline
  EXPECT_EQ(f.at(20, 17)[1], 0);                                      // inside stays
  draw_label(f.canvas, "a person 0.31", 60, -5, Rgb{255, 255, 255});  // off the corner
  draw_label(f.canvas, "", 0, 0, Rgb{255, 255, 255});
  int lit = 0;
  for (size_t i = 0; i < f.bytes.size(); i += 3) lit += f.bytes[i] > 128;
  EXPECT_GT(lit, 10);
}

// Lines and text grow with the frame; a label's text reads against its plate's colour.
TEST(Drawing, StrokesGrowWithTheFrameAndLabelsStayReadable) {
  EXPECT_EQ(line_width(Frame(640, 480, PixelFormat::RGB, 0).canvas), 2);
  EXPECT_EQ(line_width(Frame(1920, 1080, PixelFormat::RGB, 0).canvas), 5);
  EXPECT_GT(label_plate(Frame(1920, 1080, PixelFormat::RGB, 0).canvas, "Ag").height,
            label_plate(Frame(640, 480, PixelFormat::RGB, 0).canvas, "Ag").height);
  for (const Rgb plate : {Rgb{0, 0, 150}, Rgb{255, 225, 25}}) {
    Frame f(200, 60, PixelFormat::RGB, 0);
    draw_label(f.canvas, "a person 0.31", 10, 40, plate);
    const bool dark_plate = plate.b == 150;
    int text = 0;
    for (size_t i = 0; i < f.bytes.size(); i += 3) {
      const int sum = f.bytes[i] + f.bytes[i + 1] + f.bytes[i + 2];
      text += dark_plate ? sum > 600 : (sum < 100 && i / 3 % 200 > 12);
    }
    EXPECT_GT(text, 20) << (dark_plate ? "white on dark blue" : "black on yellow");
  }
}

TEST(Drawing, HeatIsResizedToItsTargetAndEmptyMapsAreRefused) {
  Frame f(20, 10, PixelFormat::RGB, 0);
  const std::vector<float> values = {0.0f, 1.0f, 1.0f, 0.0f};
  blend_heatmaps(f.canvas, {10, 0, 10, 10}, {{values.data(), 2, 2}}, solid(Rgb{255, 0, 0}), 1.0);
  EXPECT_EQ(f.at(5, 5)[0], 0);                // outside the target
  EXPECT_GT(f.at(19, 0)[0], f.at(10, 0)[0]);  // the grid's top-right corner is hot
  EXPECT_THROW(blend_heatmaps(f.canvas, f.all(), {HeatmapView{}}, solid(Rgb{}), 1.0), Error);
}

// Several maps on one target: where they overlap, the hotter one shows.
TEST(Drawing, SeveralMapsShowTheirPerPixelMaximum) {
  const HalfHot left(8, 2);
  std::vector<float> right_values(16, 0.0f);
  for (int y = 0; y < 2; ++y)
    for (int x = 4; x < 8; ++x) right_values[y * 8 + x] = 1.0f;
  const HeatmapView right{right_values.data(), 8, 2};
  Frame f(8, 2, PixelFormat::RGB, 0);
  HeatColours jet;
  jet.colormap = Colormap::Jet;
  blend_heatmaps(f.canvas, f.all(), {left.view, right}, jet, 1.0);
  EXPECT_EQ(f.at(1, 0)[0], f.at(6, 1)[0]);
  EXPECT_GT(f.at(1, 0)[0], 100);
}

// An I420 / NV12 frame of one colour, drawn on, reads back (converted to RGB) as the packed
// RGB frame drawn on in the same way, to within the rounding of the YUV round trip.
struct YuvFrame {
  YuvFrame(int w, int h, PixelFormat format, YuvSample fill)
      : luma(static_cast<size_t>(w) * h, fill.y), chroma(static_cast<size_t>(w) * h / 2) {
    uint8_t* u = chroma.data();
    uint8_t* v = format == PixelFormat::NV12 ? u + 1 : u + w * h / 4;
    const int step = format == PixelFormat::NV12 ? 2 : 1;
    for (int i = 0; i < w * h / 4; ++i) u[i * step] = fill.u, v[i * step] = fill.v;
    uint8_t* data[3] = {luma.data(), u, format == PixelFormat::NV12 ? nullptr : v};
    const int64_t stride[3] = {w, format == PixelFormat::NV12 ? w : w / 2, w / 2};
    canvas = yuv420_canvas(format, w, h, data, stride, YuvEncoding{});
    planes.format = format;
    planes.width = w;
    planes.height = h;
    for (int i = 0; i < 3; ++i) planes.data[i] = data[i], planes.stride[i] = stride[i];
  }
  std::vector<uint8_t> luma, chroma;
  Canvas canvas;
  FramePlanes planes;
};

TEST(Drawing, YuvFramesAreDrawnOnAsTheirRgbWouldBe) {
  const Rgb grey{90, 110, 130}, red{230, 25, 75};
  for (PixelFormat format : {PixelFormat::I420, PixelFormat::NV12}) {
    YuvFrame yuv(16, 8, format, rgb_to_yuv(grey.r, grey.g, grey.b, YuvEncoding{}));
    const at::Tensor before = frame_to_rgb(yuv.planes);
    Frame rgb(16, 8, PixelFormat::RGB, 0);
    std::memcpy(rgb.bytes.data(), before.data_ptr<uint8_t>(), rgb.bytes.size());
    const HalfHot heat(16, 8);
    for (const Canvas& c : {yuv.canvas, rgb.canvas}) {
      blend_heatmaps(c, {0, 0, 16, 8}, {heat.view}, solid(red), 0.6);
      draw_box(c, 10, 2, 4, 4, Rgb{0, 255, 0});
    }
    const at::Tensor after = frame_to_rgb(yuv.planes);
    const uint8_t* a = after.data_ptr<uint8_t>();
    // Away from the box (whose edges share chroma samples with their neighbours) every pixel,
    // hot or cold, is the RGB frame's to within the YUV round trip.
    int worst = 0;
    for (int y = 0; y < 8; ++y)
      for (int x = 0; x < 8; ++x)
        for (int k = 0; k < 3; ++k)
          worst = std::max(worst, std::abs(a[(y * 16 + x) * 3 + k] - rgb.at(x, y)[k]));
    EXPECT_LE(worst, 4) << "format " << static_cast<int>(format);
    const auto& px = [&](int x, int y, int k) { return a[(y * 16 + x) * 3 + k]; };
    EXPECT_NEAR(px(5, 6, 0), rgb.at(5, 6)[0], 4);  // blended, away from the box
    EXPECT_NEAR(px(15, 7, 2), grey.b, 4);          // cold: as it was
    EXPECT_NEAR(px(9, 3, 1), 255, 30);             // on the box
  }
}

// Odd frame sizes, odd target corners, targets over the edge, padded rows, planes of their own
// strides: every write stays inside the planes (exactly sized here, for the sanitizers) and
// outside the target's 2x2 blocks nothing changes.
TEST(Drawing, OddSizesAndTargetsStayInsideTheirPlanes) {
  const int w = 15, h = 9, cw = 8, ch = 5;
  const std::vector<float> hot(4, 1.0f);
  for (PixelFormat format : {PixelFormat::I420, PixelFormat::NV12}) {
    const bool nv12 = format == PixelFormat::NV12;
    const int64_t stride[3] = {w + 5, nv12 ? 2 * cw + 4 : cw + 3, cw + 1};
    std::vector<uint8_t> luma(stride[0] * h, 50), u(stride[1] * ch, 60), v(stride[2] * ch, 70);
    uint8_t* data[3] = {luma.data(), u.data(), nv12 ? nullptr : v.data()};
    const Canvas c = yuv420_canvas(format, w, h, data, stride, YuvEncoding{});
    blend_heatmaps(c, {3, 1, 7, 5}, {{hot.data(), 2, 2}}, solid(Rgb{255, 0, 0}), 1.0);
    blend_heatmaps(c, {12, 6, 10, 10}, {{hot.data(), 2, 2}}, solid(Rgb{255, 0, 0}), 1.0);
    draw_box(c, -3, 7, 30, 5, Rgb{0, 255, 0});
    EXPECT_EQ(luma[0], 50);                  // outside every target
    EXPECT_NE(luma[1 * stride[0] + 3], 50);  // the first target's corner
    EXPECT_EQ(u[0], 60);
    draw_label(c, "far too long a label for this frame", 14, 8, Rgb{0, 0, 255});
    for (int y = 0; y < h; ++y)
      for (int64_t x = w; x < stride[0]; ++x)
        EXPECT_EQ(luma[y * stride[0] + x], 50) << "row padding untouched";
  }
}

TEST(Drawing, LabelsOnYuvFramesKeepTheirPlateColour) {
  YuvFrame f(64, 32, PixelFormat::I420, YuvSample{16, 128, 128});
  draw_label(f.canvas, "a person", 0, 30, Rgb{0, 0, 150});
  const at::Tensor rgb = frame_to_rgb(f.planes);
  const uint8_t* corner = rgb.data_ptr<uint8_t>() + (29 * 64 + 0) * 3;  // the plate's corner
  EXPECT_NEAR(corner[2], 150, 8);
  EXPECT_NEAR(corner[0], 0, 8);
}

TEST(Colormap, TheTableIsInEnumOrderAndNamesRoundTrip) {
  const auto& maps = colormaps();
  for (size_t i = 0; i < maps.size(); ++i) {
    EXPECT_EQ(static_cast<size_t>(maps[i].colormap), i);
    EXPECT_EQ(parse_colormap(maps[i].name), maps[i].colormap);
  }
  EXPECT_EQ(colormap_names("|"), "jet|turbo|inferno|viridis");
  const std::string error = test::error_of([] { parse_colormap("rainbow"); });
  EXPECT_NE(error.find("unknown colour map 'rainbow' (jet, turbo"), std::string::npos) << error;
}

}  // namespace
}  // namespace legrad
