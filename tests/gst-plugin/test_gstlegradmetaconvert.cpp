// The `legradmetaconvert` element: JSON lines.
#include "plugin_support.h"

namespace legrad {
namespace {

TEST_F(Plugin, JsonLinesMatchTheMetas) {
  test::TempDir out_dir;
  const std::string path = out_dir.file("meta.jsonl");
  const std::string desc =
      "legrad model=" + model() +
      " prompts=\"a cat;a dog\" attach-roi=true "
      "inference-interval=2 ! legradmetaconvert include-heatmap=true location=" +
      path;
  GstHarness* h = gst_harness_new_parse(desc.c_str());
  gst_harness_set_src_caps_str(h, caps("RGB", 40, 30).c_str());
  std::vector<std::pair<std::string, float>> want;
  for (int i = 0; i < 3; ++i) {
    GstBuffer* out = gst_harness_push_and_pull(h, frame("RGB", 40, 30, i * GST_MSECOND));
    gpointer state = nullptr;
    while (GstLegradHeatmapMeta* m = gst_buffer_iterate_legrad_heatmap_meta(out, &state))
      want.push_back({m->prompt, m->score});
    gst_buffer_unref(out);
  }
  gst_harness_teardown(h);
  std::ifstream in(path);
  std::string line;
  size_t k = 0;
  int lines = 0;
  while (std::getline(in, line)) {
    const nlohmann::json j = nlohmann::json::parse(line);
    EXPECT_EQ(j["pts"], lines * GST_MSECOND);
    EXPECT_EQ(j["width"], 40);
    for (const auto& p : j["prompts"]) {
      ASSERT_LT(k, want.size());
      EXPECT_EQ(p["prompt"], want[k].first);
      EXPECT_FLOAT_EQ(p["score"].get<float>(), want[k].second);
      EXPECT_TRUE(p["probability"].is_null());  // a CLIP model gives none
      EXPECT_EQ(p["age"], lines % 2);
      EXPECT_EQ(p["heatmap"]["values"].size(), 32u * 32u);
      EXPECT_TRUE(p["box"].is_object() || p["box"].is_null());
      ++k;
    }
    ++lines;
  }
  EXPECT_EQ(lines, 3);
  EXPECT_EQ(k, want.size());
}

// region=roi-list: each object's heatmaps come with its box and `object` (id and type).
TEST_F(Plugin, JsonLinesCarryEachObjectsBox) {
  test::TempDir out_dir;
  const std::string path = out_dir.file("objects.jsonl");
  GstHarness* h = gst_harness_new_parse(
      ("legrad model=" + model() +
       " prompts=\"a cat\" region=roi-list ! legradmetaconvert location=" + path)
          .c_str());
  gst_harness_set_src_caps_str(h, caps("RGB", 40, 30).c_str());
  GstBuffer* in = frame("RGB", 40, 30);
  gst_buffer_add_video_region_of_interest_meta(in, "person", 2, 3, 20, 16)->id = 7;
  gst_buffer_unref(gst_harness_push_and_pull(h, in));
  gst_harness_teardown(h);
  std::ifstream file(path);
  std::string line;
  ASSERT_TRUE(std::getline(file, line));
  const nlohmann::json j = nlohmann::json::parse(line);
  ASSERT_EQ(j["prompts"].size(), 1u);
  const nlohmann::json& p = j["prompts"][0];
  EXPECT_EQ(p["object"]["roi_id"], 7);
  EXPECT_EQ(p["object"]["type"], "person");
  EXPECT_EQ(p["box"], (nlohmann::json{{"x", 2}, {"y", 3}, {"width", 20}, {"height", 16}}));
}

}  // namespace
}  // namespace legrad
