// Drawing heatmaps, boxes and labels: exact blends, pixels left alone where there is no heat,
// channel orders honoured, and a canvas overlay that composes to the same picture.
#include <gtest/gtest.h>

#include <opencv2/core.hpp>

#include <vector>

#include "base/error.h"
#include "heatmap/colormap.h"
#include "heatmap/drawing.h"
#include "heatmap/heatmap_view.h"
#include "support.h"

namespace legrad {
namespace {

// A width x height frame in `format`, every pixel `fill`.
struct Frame {
  Frame(int w, int h, PixelFormat format, uint8_t fill)
      : bytes(static_cast<size_t>(w) * h * packed_layout(format).bytes, fill),
        view(packed_pixels(bytes.data(), w, h,
                           static_cast<int64_t>(w) * packed_layout(format).bytes, format)) {}
  const uint8_t* at(int x, int y) const {
    return bytes.data() + y * view.row_stride + static_cast<int64_t>(x) * view.pixel_stride;
  }
  std::vector<uint8_t> bytes;
  PixelView view;
};

// Heat 1 in the left half, 0 in the right half.
cv::Mat left_half_hot(int w, int h) {
  cv::Mat heat(h, w, CV_32F, cv::Scalar(0.0f));
  heat(cv::Rect(0, 0, w / 2, h)).setTo(1.0f);
  return heat;
}

TEST(Drawing, HeatBlendsExactlyAndColdPixelsStayAsTheyWere) {
  Frame f(8, 4, PixelFormat::BGRx, 100);
  blend_heatmap(f.view, left_half_hot(8, 4), cv::Mat(), Rgb{200, 0, 50}, 0.5);
  const uint8_t* hot = f.at(1, 1);
  EXPECT_EQ(hot[2], 150);  // red: 100 * 0.5 + 200 * 0.5
  EXPECT_EQ(hot[1], 50);   // green
  EXPECT_EQ(hot[0], 75);   // blue
  EXPECT_EQ(hot[3], 100);  // the padding byte is not a channel
  for (int i = 0; i < 4; ++i) EXPECT_EQ(f.at(6, 2)[i], 100);
}

TEST(Drawing, ColourMapColoursFollowTheHeat) {
  Frame f(8, 2, PixelFormat::RGB, 0);
  const cv::Mat heat = left_half_hot(8, 2);
  blend_heatmap(f.view, heat, colorize(heat, Colormap::Jet), Rgb{}, 1.0);
  const uint8_t* hot = f.at(0, 0);
  EXPECT_GT(hot[0], 100);  // jet's top is red
  EXPECT_LT(hot[2], 100);
  EXPECT_EQ(f.at(7, 1)[0], 0);
}

TEST(Drawing, ACanvasOverlayComposesToTheDirectBlend) {
  const Rgb red{230, 25, 75};
  cv::Mat heat(2, 2, CV_32F, cv::Scalar(0.8f));
  Frame direct(2, 2, PixelFormat::RGB, 40);
  blend_heatmap(direct.view, heat, cv::Mat(), red, 0.5);
  Frame canvas(2, 2, PixelFormat::RGBA, 0);
  blend_heatmap(canvas.view, heat, cv::Mat(), red, 0.5);
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
  draw_box(f.view, 10, 10, 20, 15, Rgb{0, 255, 0});
  EXPECT_EQ(f.at(10, 12)[1], 255);                                  // on the outline
  EXPECT_EQ(f.at(20, 17)[1], 0);                                    // inside stays
  draw_label(f.view, "a person 0.31", 60, -5, Rgb{255, 255, 255});  // off the corner
  draw_label(f.view, "", 0, 0, Rgb{255, 255, 255});
  int lit = 0;
  for (size_t i = 0; i < f.bytes.size(); i += 3) lit += f.bytes[i] > 128;
  EXPECT_GT(lit, 10);
}

// Lines and text grow with the frame; a label's text reads against its plate's colour.
TEST(Drawing, StrokesGrowWithTheFrameAndLabelsStayReadable) {
  EXPECT_EQ(line_width(Frame(640, 480, PixelFormat::RGB, 0).view), 2);
  EXPECT_EQ(line_width(Frame(1920, 1080, PixelFormat::RGB, 0).view), 5);
  EXPECT_GT(label_plate(Frame(1920, 1080, PixelFormat::RGB, 0).view, "Ag").height,
            label_plate(Frame(640, 480, PixelFormat::RGB, 0).view, "Ag").height);
  for (const Rgb plate : {Rgb{0, 0, 150}, Rgb{255, 225, 25}}) {
    Frame f(200, 60, PixelFormat::RGB, 0);
    draw_label(f.view, "a person 0.31", 10, 40, plate);
    const bool dark_plate = plate.b == 150;
    int text = 0;
    for (size_t i = 0; i < f.bytes.size(); i += 3) {
      const int sum = f.bytes[i] + f.bytes[i + 1] + f.bytes[i + 2];
      text += dark_plate ? sum > 600 : (sum < 100 && i / 3 % 200 > 12);
    }
    EXPECT_GT(text, 20) << (dark_plate ? "white on dark blue" : "black on yellow");
  }
}

TEST(HeatmapView, ResizesAndKeepsValuesInRange) {
  const std::vector<float> values = {0.0f, 1.0f, 1.0f, 0.0f};
  const cv::Mat big = resize_heatmap({values.data(), 2, 2}, 20, 10);
  EXPECT_EQ(big.cols, 20);
  EXPECT_EQ(big.rows, 10);
  double lo, hi;
  cv::minMaxLoc(big, &lo, &hi);
  EXPECT_GE(lo, 0.0);
  EXPECT_LE(hi, 1.0);
  EXPECT_LT(big.at<float>(0, 0), big.at<float>(0, 19));
  EXPECT_THROW(resize_heatmap({values.data(), 2, 2}, 0, 10), Error);
  EXPECT_THROW(resize_heatmap({}, 4, 4), Error);
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
