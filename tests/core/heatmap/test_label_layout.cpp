// Labels apart: twenty labels wanted at one corner all land inside the frame, none covering
// another, each near where it asked to be.
#include "heatmap/label_layout.h"

#include <gtest/gtest.h>

namespace legrad {
namespace {

TEST(LabelLayout, AFreeSpotIsKeptAndLabelsStayInsideTheFrame) {
  LabelLayout layout(640, 480);
  const LabelRect a = layout.place(100, 50, 120, 20);
  EXPECT_EQ(a.x, 100);
  EXPECT_EQ(a.y, 50);
  const LabelRect edge = layout.place(600, -10, 120, 20);
  EXPECT_EQ(edge.x, 520) << "moved inside the frame";
  EXPECT_EQ(edge.y, 0);
}

TEST(LabelLayout, TwentyLabelsAtOneCornerNeverOverlap) {
  LabelLayout layout(640, 360);
  std::vector<LabelRect> placed;
  for (int i = 0; i < 20; ++i) placed.push_back(layout.place(300, 100, 150, 22));
  for (size_t i = 0; i < placed.size(); ++i) {
    const LabelRect& r = placed[i];
    EXPECT_GE(r.x, 0);
    EXPECT_GE(r.y, 0);
    EXPECT_LE(r.x + r.width, 640);
    EXPECT_LE(r.y + r.height, 360);
    for (size_t j = 0; j < i; ++j) EXPECT_FALSE(r.overlaps(placed[j])) << i << " covers " << j;
  }
  EXPECT_EQ(placed[1].y, 122) << "the next free row down";
  EXPECT_EQ(placed[2].y, 78) << "then the one up";
}

TEST(LabelLayout, AFullFrameKeepsTheWantedSpot) {
  LabelLayout layout(100, 40);
  layout.place(0, 0, 100, 20);
  layout.place(0, 20, 100, 20);
  const LabelRect r = layout.place(0, 10, 100, 20);
  EXPECT_EQ(r.y, 10) << "nowhere free: where it asked, inside the frame";
}

}  // namespace
}  // namespace legrad
