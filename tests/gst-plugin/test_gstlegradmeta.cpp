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

// The binding-friendly accessors: every meta as a list, in attach order, and the values as bytes.
TEST(Meta, ListAndBytesForBindings) {
  GstBuffer* buffer = gst_buffer_new();
  const float a[2] = {0.25f, 0.5f}, b[2] = {1.0f, 0.0f};
  GBytes* va = g_bytes_new(a, sizeof a);
  GBytes* vb = g_bytes_new(b, sizeof b);
  gst_buffer_add_legrad_heatmap_meta(buffer, "a", 0, 0.1f, 2, 1, va, 0, 0);
  gst_buffer_add_legrad_heatmap_meta(buffer, "b", 1, 0.2f, 1, 2, vb, 0, 3);
  GList* metas = gst_buffer_get_legrad_heatmap_metas(buffer);
  ASSERT_EQ(g_list_length(metas), 2u);
  EXPECT_STREQ(static_cast<GstLegradHeatmapMeta*>(metas->data)->prompt, "a");
  auto* second = static_cast<GstLegradHeatmapMeta*>(metas->next->data);
  EXPECT_EQ(second->age, 3u);
  GBytes* bytes = gst_legrad_heatmap_meta_get_bytes(second);
  gsize size = 0;
  const auto* values = static_cast<const float*>(g_bytes_get_data(bytes, &size));
  ASSERT_EQ(size, sizeof b);
  EXPECT_EQ(values[0], 1.0f);
  EXPECT_EQ(values[1], 0.0f);
  g_bytes_unref(bytes);
  g_list_free(metas);
  g_bytes_unref(va);
  g_bytes_unref(vb);
  gst_buffer_unref(buffer);
}

}  // namespace
}  // namespace legrad
