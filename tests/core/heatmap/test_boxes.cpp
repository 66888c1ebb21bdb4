// The box finder: the largest connected region above the threshold, and its box in the frame.
#include <gtest/gtest.h>

#include <vector>

#include "base/error.h"
#include "heatmap/boxes.h"

namespace legrad {
namespace {

// A width x height map of zeros with `value` in the given rectangles.
struct Map {
  Map(int w, int h) : width(w), height(h), values(static_cast<size_t>(w) * h, 0.0f) {}
  Map& fill(int x, int y, int w, int h, float value) {
    for (int j = y; j < y + h; ++j)
      for (int i = x; i < x + w; ++i) values[static_cast<size_t>(j) * width + i] = value;
    return *this;
  }
  HeatmapView view() const { return {values.data(), width, height}; }
  int width, height;
  std::vector<float> values;
};

void expect_box(const std::optional<Box>& got, Box want) {
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->x, want.x);
  EXPECT_EQ(got->y, want.y);
  EXPECT_EQ(got->width, want.width);
  EXPECT_EQ(got->height, want.height);
}

TEST(Boxes, TheLargestRegionWinsWhateverItsHeat) {
  Map m(12, 10);
  m.fill(1, 1, 2, 2, 1.0f).fill(6, 4, 4, 3, 0.6f);
  expect_box(largest_region(m.view(), kDefaultRoiThreshold), {6, 4, 4, 3});
}

TEST(Boxes, OnlyValuesStrictlyAboveTheThresholdCount) {
  Map m(8, 8);
  m.fill(0, 0, 8, 8, 0.5f).fill(2, 3, 1, 2, 0.51f);
  expect_box(largest_region(m.view(), 0.5f), {2, 3, 1, 2});
  EXPECT_FALSE(largest_region(Map(8, 8).fill(0, 0, 8, 8, 0.5f).view(), 0.5f).has_value());
  EXPECT_FALSE(largest_region(Map(4, 4).view(), 0.0f).has_value());
}

TEST(Boxes, DiagonalNeighboursAreOneRegion) {
  Map m(6, 6);
  m.fill(0, 0, 1, 1, 1.0f).fill(1, 1, 1, 1, 1.0f).fill(2, 2, 1, 1, 1.0f).fill(5, 0, 1, 2, 1.0f);
  expect_box(largest_region(m.view(), 0.5f), {0, 0, 3, 3});
}

TEST(Boxes, AnEmptyMapIsAnError) {
  EXPECT_THROW(largest_region(HeatmapView{}, 0.5f), Error);
  const float one = 1.0f;
  EXPECT_THROW(largest_region(HeatmapView{&one, 0, 1}, 0.5f), Error);
}

TEST(Boxes, ScaledToTheFrameCoveringWholePixelsAndClamped) {
  const Box b = scale_box({4, 2, 4, 4}, 16, 16, 64, 48);
  EXPECT_EQ(b.x, 16);
  EXPECT_EQ(b.y, 6);
  EXPECT_EQ(b.width, 16);
  EXPECT_EQ(b.height, 12);
  // 3x3 map onto 10x10: box edges fall inside pixels and are rounded outwards.
  const Box odd = scale_box({1, 1, 1, 1}, 3, 3, 10, 10);
  EXPECT_EQ(odd.x, 3);
  EXPECT_EQ(odd.width, 4);
  const Box edge = scale_box({0, 0, 20, 20}, 16, 16, 64, 48);
  EXPECT_EQ(edge.width, 64);
  EXPECT_EQ(edge.height, 48);
}

}  // namespace
}  // namespace legrad
