// The clip ring's bounds and the schedule of overlapping events, without a pipeline.
#include "legradclip.h"

#include <gtest/gtest.h>

namespace legrad {
namespace {

constexpr GstClockTime kFrame = 100 * GST_MSECOND;  // 10 fps

// Frame `i` of a stream with a key frame every `gop` frames, `bytes` large.
GstBuffer* frame(int i, int gop, size_t bytes = 100) {
  GstBuffer* b = gst_buffer_new_allocate(nullptr, bytes, nullptr);
  GST_BUFFER_PTS(b) = GST_BUFFER_DTS(b) = i * kFrame;
  if (i % gop) GST_BUFFER_FLAG_SET(b, GST_BUFFER_FLAG_DELTA_UNIT);
  return b;
}

void push(ClipRing& ring, GstBuffer* b) {
  ring.push(b);
  gst_buffer_unref(b);
}

TEST(ClipRing, StartsAtTheKeyFrameBeforeThePreRoll) {
  ClipRing ring;
  ring.set_bounds(GST_SECOND, 1 << 20);
  push(ring, frame(3, 5));  // no key frame yet: nothing to keep
  EXPECT_TRUE(ring.frames().empty());
  for (int i = 5; i <= 47; ++i) push(ring, frame(i, 5));
  // The newest is 4.7 s: 1 s back is 3.7 s, so the ring starts at the key frame at 3.5 s.
  ASSERT_FALSE(ring.frames().empty());
  EXPECT_EQ(GST_BUFFER_PTS(ring.frames().front()), 35 * kFrame);
  EXPECT_FALSE(GST_BUFFER_FLAG_IS_SET(ring.frames().front(), GST_BUFFER_FLAG_DELTA_UNIT));
  EXPECT_EQ(ring.frames().size(), 13u);
  EXPECT_EQ(ring.bytes(), 13u * 100);
}

TEST(ClipRing, BytesAreBoundedInWholeGops) {
  ClipRing ring;
  ring.set_bounds(60 * GST_SECOND, 1000);  // 10 frames of 100 bytes
  for (int i = 0; i < 40; ++i) push(ring, frame(i, 5));
  EXPECT_LE(ring.bytes(), 1000u);
  EXPECT_FALSE(GST_BUFFER_FLAG_IS_SET(ring.frames().front(), GST_BUFFER_FLAG_DELTA_UNIT));
  // A GOP larger than the bound is kept whole: there is nothing smaller to start from.
  ClipRing big;
  big.set_bounds(60 * GST_SECOND, 100);
  for (int i = 0; i < 4; ++i) push(big, frame(i, 5));
  EXPECT_EQ(big.frames().size(), 4u);
}

TEST(ClipSchedule, OverlappingEventsShareOneClipThatEndsAPostRollAfterTheLast) {
  ClipSchedule schedule;
  schedule.set_post_roll(2 * GST_SECOND);
  EXPECT_TRUE(schedule.start("a"));   // opens a clip
  EXPECT_FALSE(schedule.start("b"));  // joins it
  schedule.end("a", 3 * GST_SECOND);
  EXPECT_FALSE(schedule.should_close(10 * GST_SECOND));  // b is still on
  schedule.end("b", 4 * GST_SECOND);
  EXPECT_FALSE(schedule.should_close(5 * GST_SECOND));
  EXPECT_FALSE(schedule.start("c"));  // within the post-roll: the same clip goes on
  EXPECT_TRUE(schedule.open());
  schedule.end("c", 6 * GST_SECOND);
  EXPECT_FALSE(schedule.should_close(7 * GST_SECOND));
  EXPECT_EQ(schedule.events(), "a,b,c");
  EXPECT_TRUE(schedule.should_close(8 * GST_SECOND));
  EXPECT_FALSE(schedule.open());
  EXPECT_TRUE(schedule.start("d"));  // a new clip
  EXPECT_EQ(schedule.events(), "d");
}

}  // namespace
}  // namespace legrad
