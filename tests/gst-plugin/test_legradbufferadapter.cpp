// Between buffers and the StreamAnalyzer: objects read and clipped to the frame, per-frame
// prompts, and a FrameResult's metadata (maps shared, boxes with ids after the buffer's own).
#include "legradbufferadapter.h"

#include <gtest/gtest.h>

#include "meta/gstlegradmeta.h"
#include "plugin_support.h"

namespace legrad {
namespace {

GstVideoInfo frame_info(int width, int height) {
  GstVideoInfo info;
  gst_video_info_set_format(&info, GST_VIDEO_FORMAT_RGB, width, height);
  return info;
}

// An analysis of one frame map per prompt (size 4), as StreamAnalyzer makes them.
std::shared_ptr<Analysis> analysis_of(const std::vector<std::string>& prompts) {
  auto a = std::make_shared<Analysis>();
  a->prompts = prompts;
  a->size = 4;
  for (size_t p = 0; p < prompts.size(); ++p) {
    for (int i = 0; i < 16; ++i) a->maps.push_back(static_cast<float>(p) + i / 16.0f);
    a->scores.push_back(0.1f * static_cast<float>(p + 1));
  }
  a->source_pts = 40;
  return a;
}

TEST(BufferAdapter, ObjectsAreClippedToTheFrameAndFilteredByType) {
  gst_init(nullptr, nullptr);
  GstBuffer* buf = gst_buffer_new();
  gst_buffer_add_video_region_of_interest_meta(buf, "person", 10, 5, 100, 20)->id = 3;
  gst_buffer_add_video_region_of_interest_meta(buf, "car", 70, 0, 5, 5)->id = 4;  // outside
  gst_buffer_add_video_region_of_interest_meta(buf, "car", 2, 2, 4, 4)->id = 7;
  const GstVideoInfo info = frame_info(64, 48);
  const std::vector<Region> any = regions_of(buf, info, "");
  ASSERT_EQ(any.size(), 2u) << "the region outside the frame is skipped";
  EXPECT_EQ(any[0].id, 3);
  EXPECT_EQ(any[0].width, 54) << "clipped at the right edge";
  EXPECT_EQ(any[0].height, 20);
  const std::vector<Region> cars = regions_of(buf, info, "car");
  ASSERT_EQ(cars.size(), 1u);
  EXPECT_EQ(cars[0].id, 7);
  EXPECT_FALSE(prompt_list_of(buf));
  gst_buffer_add_legrad_prompts_meta(buf, "a cat;a dog");
  EXPECT_EQ(prompt_list_of(buf), "a cat;a dog");
  gst_buffer_unref(buf);
}

TEST(BufferAdapter, MapsAreSharedAndBoxesGetIdsAfterTheBuffersOwn) {
  gst_init(nullptr, nullptr);
  FrameResult result;
  result.analysis = analysis_of({"a cat", "a dog"});
  const Analysis* analysis = result.analysis.get();
  result.age = 2;
  result.present = {true, false};
  result.boxes = {Box{1, 2, 30, 20}, std::nullopt};
  GstBuffer* buf = gst_buffer_new();
  gst_buffer_add_video_region_of_interest_meta(buf, "person", 0, 0, 8, 8)->id = 5;
  attach_result(buf, result);
  ASSERT_EQ(gst_buffer_get_n_legrad_heatmap_metas(buf), 2u);
  const GstLegradHeatmapMeta* cat = gst_buffer_get_legrad_heatmap_meta_by_index(buf, 0);
  EXPECT_EQ(gst_legrad_heatmap_meta_get_values(cat), analysis->map(0)) << "no copy";
  EXPECT_EQ(cat->age, 2u);
  EXPECT_EQ(cat->source_pts, 40u);
  EXPECT_EQ(cat->probability, -1.0f) << "no probability from this model";
  EXPECT_EQ(cat->roi_id, 6) << "after the detector's region 5";
  const GstVideoRegionOfInterestMeta* box = gst_legrad_heatmap_meta_get_region(cat, buf);
  ASSERT_NE(box, nullptr);
  EXPECT_EQ(box->w, 30u);
  const GstLegradHeatmapMeta* dog = gst_buffer_get_legrad_heatmap_meta_by_index(buf, 1);
  EXPECT_EQ(dog->roi_id, -1) << "no box: not present";
  EXPECT_EQ(gst_legrad_heatmap_meta_get_region(dog, buf), nullptr);
  // The maps outlive the result: the metas hold the analysis, and let it go with the buffer.
  const std::weak_ptr<const Analysis> held = result.analysis;
  result.analysis.reset();
  EXPECT_FALSE(held.expired());
  gst_buffer_unref(buf);
  EXPECT_TRUE(held.expired());
}

TEST(BufferAdapter, ObjectsMapsPointToTheirRegions) {
  gst_init(nullptr, nullptr);
  FrameResult result;
  auto analysis = analysis_of({"a cat", "a dog"});
  analysis->regions = {{5, 0, 0, 8, 8}};
  analysis->probabilities = {0.9f, 0.2f};
  result.analysis = analysis;
  GstBuffer* buf = gst_buffer_new();
  attach_result(buf, result);
  GList* metas = gst_buffer_get_legrad_heatmap_metas(buf);
  ASSERT_EQ(g_list_length(metas), 2u);
  for (GList* l = metas; l; l = l->next) {
    const auto* m = static_cast<GstLegradHeatmapMeta*>(l->data);
    EXPECT_TRUE(m->covers_roi);
    EXPECT_EQ(m->roi_id, 5);
  }
  EXPECT_FLOAT_EQ(static_cast<GstLegradHeatmapMeta*>(metas->data)->probability, 0.9f);
  g_list_free(metas);
  gst_buffer_unref(buf);
}

}  // namespace
}  // namespace legrad
