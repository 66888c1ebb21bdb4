// The metadata library: heatmap metas through elements that copy, scale and convert frames.
#include "plugin_support.h"

namespace legrad {
namespace {

TEST_F(Plugin, MetaSurvivesScalingAndConversion) {
  const std::string desc = "legrad model=" + model() +
                           " prompts=\"a cat\" attach-roi=true ! videoscale ! "
                           "capsfilter caps=video/x-raw,width=96,height=72 ! videoconvert ! "
                           "capsfilter caps=video/x-raw,format=BGRx";
  GstHarness* h = gst_harness_new_parse(desc.c_str());
  gst_harness_set_src_caps_str(h, caps("RGB", 48, 36).c_str());
  GstBuffer* out = gst_harness_push_and_pull(h, frame("RGB", 48, 36));
  ASSERT_NE(out, nullptr);
  GstLegradHeatmapMeta* m = gst_buffer_get_legrad_heatmap_meta_by_index(out, 0);
  ASSERT_NE(m, nullptr);
  EXPECT_STREQ(m->prompt, "a cat");
  EXPECT_EQ(m->width, 32u);
  // The box is scaled with the frame and still belongs to this heatmap.
  GstVideoRegionOfInterestMeta* roi =
      gst_buffer_get_video_region_of_interest_meta_id(out, m->roi_id);
  ASSERT_NE(roi, nullptr);
  GstHarness* direct = analyzer("prompts=\"a cat\" attach-roi=true", caps("RGB", 48, 36));
  GstBuffer* ref = gst_harness_push_and_pull(direct, frame("RGB", 48, 36));
  GstVideoRegionOfInterestMeta* want = gst_buffer_get_video_region_of_interest_meta_id(
      ref, gst_buffer_get_legrad_heatmap_meta_by_index(ref, 0)->roi_id);
  ASSERT_NE(want, nullptr);
  EXPECT_NEAR(roi->x, 2.0 * want->x, 1.0);
  EXPECT_NEAR(roi->y, 2.0 * want->y, 1.0);
  EXPECT_NEAR(roi->w, 2.0 * want->w, 1.0);
  EXPECT_NEAR(roi->h, 2.0 * want->h, 1.0);
  gst_buffer_unref(ref);
  gst_harness_teardown(direct);
  gst_buffer_unref(out);
  gst_harness_teardown(h);
}

}  // namespace
}  // namespace legrad
