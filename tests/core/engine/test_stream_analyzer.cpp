// The per-stream logic without GStreamer: which frames are analysed, what each frame carries
// (maps equal to the engine's, ages, presence, boxes), objects, per-frame prompts, the worker.
#include "engine/stream_analyzer.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "base/error.h"
#include "support.h"
#include "video/preprocess.h"

namespace legrad {
namespace {

class StreamAnalyzerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    test::write_tiny_model(dir_.path(), test::tiny_config());
    session_ = ModelSession::acquire(ModelRequest{dir_.path()});
    engine_ = std::make_unique<LegradEngine>(session_->model(), EngineOptions{});
  }
  StreamFrame frame() const {
    StreamFrame f;
    f.width = planes_.width;
    f.height = planes_.height;
    f.planes = [this]() -> const FramePlanes& { return planes_; };
    f.pts = 40;
    return f;
  }
  // Frame map i of `result` equals `expected` ([size, size]).
  static bool same_map(const FrameResult& result, size_t i, const at::Tensor& expected) {
    const Analysis& a = *result.analysis;
    const at::Tensor got =
        at::from_blob(const_cast<float*>(a.map(i)), {a.size, a.size}, at::kFloat);
    return got.allclose(expected, 0, 1e-5);
  }

  test::TempDir dir_;
  std::shared_ptr<ModelSession> session_;
  std::unique_ptr<LegradEngine> engine_;
  const at::Tensor picture_ = test::test_picture(48, 64);
  const FramePlanes planes_ = rgb_planes(picture_);
};

TEST_F(StreamAnalyzerTest, EachFrameCarriesTheEnginesMapsForItsPrompts) {
  StreamAnalyzer stream(session_, {});
  EXPECT_TRUE(stream.process(frame(), {}).analysis == nullptr) << "no prompts: nothing";
  stream.set_prompts("a cat;a dog");
  EXPECT_EQ(stream.prompt_list(), "a cat;a dog");
  const FrameResult r = stream.process(frame(), {});
  ASSERT_TRUE(r.analysis);
  const Explanation ex =
      engine_->explain(image_view(picture_), engine_->encode_prompts({"a cat", "a dog"}));
  ASSERT_EQ(r.analysis->map_count(), 2u);
  for (size_t p = 0; p < 2; ++p) {
    EXPECT_TRUE(same_map(r, p, ex.heatmaps[p])) << p;
    EXPECT_NEAR(r.analysis->scores[p], ex.scores[p].item<float>(), 1e-5);
  }
  EXPECT_EQ(r.age, 0u);
  EXPECT_EQ(r.analysis->source_pts, 40);
  EXPECT_EQ(stream.stats().frames_analyzed, 1u);
}

TEST_F(StreamAnalyzerTest, FramesBetweenAnalysesCarryTheNewestWithItsAge) {
  StreamAnalyzer stream(session_, {});
  stream.set_prompts("a cat");
  StreamSettings s;
  s.inference_interval = 3;
  std::vector<uint64_t> ages;
  std::vector<const Analysis*> analyses;
  for (int i = 0; i < 5; ++i) {
    const FrameResult r = stream.process(frame(), s);
    ages.push_back(r.age);
    analyses.push_back(r.analysis.get());
  }
  EXPECT_EQ(ages, (std::vector<uint64_t>{0, 1, 2, 0, 1}));
  EXPECT_EQ(analyses[1], analyses[0]);
  EXPECT_NE(analyses[3], analyses[0]);
  EXPECT_EQ(stream.stats().frames_analyzed, 2u);
  EXPECT_EQ(stream.stats().frames_skipped, 3u);
  stream.flush();
  EXPECT_EQ(stream.process(frame(), s).age, 0u) << "a flush starts counting again";
}

TEST_F(StreamAnalyzerTest, BoxesOnlyWhereThePresenceRuleSaysPresent) {
  StreamAnalyzer stream(session_, {});
  stream.set_prompts("a cat;a dog");
  StreamSettings s;
  s.attach_boxes = true;
  s.box_threshold = 0.2f;
  s.presence.min_probability = 0.0f;  // every prompt present: both get a box
  FrameResult r = stream.process(frame(), s);
  ASSERT_EQ(r.boxes.size(), 2u);
  ASSERT_TRUE(r.boxes[0] && r.boxes[1]);
  const bool probabilities = stream.gives_probabilities();
  for (size_t p = 0; p < 2; ++p) {
    EXPECT_EQ(r.present[p], s.presence.present(r.analysis->scores[p], r.analysis->probability(p)));
    EXPECT_EQ(r.analysis->probability(p).has_value(), probabilities);
    if (!r.boxes[p]) continue;
    EXPECT_TRUE(r.present[p]);
    EXPECT_LE(r.boxes[p]->x + r.boxes[p]->width, 64) << "in frame pixels";
    EXPECT_LE(r.boxes[p]->y + r.boxes[p]->height, 48);
  }
  // Above every score: nothing is present, no box.
  s.presence.min_score = 1.0f;
  r = stream.process(frame(), s);
  for (size_t p = 0; p < 2; ++p) {
    EXPECT_FALSE(r.present[p]);
    EXPECT_FALSE(r.boxes[p]);
  }
  s.attach_boxes = false;
  s.presence.min_score = -1.0f;
  r = stream.process(frame(), s);
  EXPECT_FALSE(r.boxes[0] || r.boxes[1]) << "boxes only where asked";
}

TEST_F(StreamAnalyzerTest, ObjectsAreExplainedAloneOnTheFrameThatCarriesThem) {
  StreamAnalyzer stream(session_, {});
  stream.set_prompts("a cat;a dog");
  StreamSettings s;
  s.region = RegionMode::RoiList;
  const std::vector<Region> objects = {{5, 8, 4, 24, 32}, {9, 40, 10, 24, 38}};
  StreamFrame with = frame();
  with.regions = [&] { return objects; };
  const FrameResult r = stream.process(with, s);
  ASSERT_TRUE(r.analysis && r.analysis->covers_regions());
  ASSERT_EQ(r.analysis->map_count(), 4u) << "[region][prompt]";
  const PromptSet prompts = engine_->encode_prompts({"a cat", "a dog"});
  for (size_t o = 0; o < objects.size(); ++o) {
    const Region& g = objects[o];
    const at::Tensor crop =
        picture_.slice(0, g.y, g.y + g.height).slice(1, g.x, g.x + g.width).contiguous();
    const Explanation ex = engine_->explain(image_view(crop), prompts);
    for (size_t p = 0; p < 2; ++p) EXPECT_TRUE(same_map(r, o * 2 + p, ex.heatmaps[p])) << o;
  }
  EXPECT_TRUE(r.boxes.empty());
  EXPECT_FALSE(stream.process(frame(), s).analysis) << "no objects: nothing to carry";
}

TEST_F(StreamAnalyzerTest, AFramesOwnPromptsReplaceTheStreamsForThatFrame) {
  StreamAnalyzer stream(session_, {});
  stream.set_prompts("a cat");
  StreamFrame own = frame();
  own.prompt_list = "a dog;a red car";
  EXPECT_EQ(stream.process(own, {}).analysis->prompts,
            (std::vector<std::string>{"a dog", "a red car"}));
  EXPECT_EQ(stream.process(frame(), {}).analysis->prompts, (std::vector<std::string>{"a cat"}));
  own.prompt_list = "";
  EXPECT_THROW(stream.process(own, {}), Error) << "an empty list on a frame is refused";
  EXPECT_THROW(stream.set_prompts(" ; "), Error);
  EXPECT_EQ(stream.prompt_list(), "a cat") << "a refused list changes nothing";
}

TEST_F(StreamAnalyzerTest, AsyncFramesNeverWaitAndCarryTheWorkersNewest) {
  StreamAnalyzer stream(session_, {});
  stream.set_prompts("a cat");
  StreamSettings s;
  s.async = true;
  FrameResult r;
  uint64_t frames = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!r.analysis && std::chrono::steady_clock::now() < deadline) {
    r = stream.process(frame(), s);
    ++frames;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(r.analysis) << "the worker finished no analysis";
  EXPECT_EQ(r.analysis->frame_number + r.age, frames - 1) << "the age counts from its frame";
  const Explanation ex = engine_->explain(image_view(picture_), engine_->encode_prompts({"a cat"}));
  EXPECT_TRUE(same_map(r, 0, ex.heatmaps[0]));
}

TEST_F(StreamAnalyzerTest, StreamsOfOneSessionBatchTheirFrames) {
  StreamAnalyzer a(session_, {}), b(session_, {});
  a.set_prompts("a cat");
  b.set_prompts("a cat");
  StreamSettings s;
  s.batch_size = 2;
  s.batch_timeout_ms = 30000;  // no wait once both frames are in
  const auto before = session_->scheduler().stats();
  FrameResult ra, rb;
  std::thread other([&] { rb = b.process(frame(), s); });
  ra = a.process(frame(), s);
  other.join();
  const auto after = session_->scheduler().stats();
  EXPECT_EQ(after.frames - before.frames, 2u);
  EXPECT_EQ(after.batches - before.batches, 1u) << "both frames in one forward pass";
  const Explanation ex = engine_->explain(image_view(picture_), engine_->encode_prompts({"a cat"}));
  EXPECT_TRUE(same_map(ra, 0, ex.heatmaps[0]));
  EXPECT_TRUE(same_map(rb, 0, ex.heatmaps[0]));
}

TEST(StreamChoices, NamedInEnumOrder) {
  EXPECT_STREQ(region_modes()[static_cast<int>(RegionMode::RoiList)].name, "roi-list");
  EXPECT_STREQ(analysis_modes()[static_cast<int>(AnalysisMode::Auto)].name, "auto");
  EXPECT_EQ(analysis_modes().size(), 3u);
}

// Too slow for the frames is said with the prompt count and the cost; the first analysis with
// a prompt list (a warm-up) and a pace that holds say nothing. Async analysis only warns where
// its heatmaps would turn stale.
TEST(PaceWarning, NamesThePromptsAndTheirCostOnceTheAnalysesAreTooSlow) {
  StreamStats stats;
  stats.prompts = 500;
  stats.frames_analyzed = 10;
  stats.analyzed_with_prompts = 1;
  stats.last_inference_ms = 2500;
  EXPECT_EQ(pace_warning(stats, 30, 1, true), "") << "the first analysis with these prompts";
  stats.analyzed_with_prompts = 2;
  const std::string w = pace_warning(stats, 30, 1, true);
  EXPECT_NE(w.find("500 prompts take 2500 ms an analysis"), std::string::npos) << w;
  EXPECT_NE(w.find("every 33 ms at 30 fps"), std::string::npos) << w;
  EXPECT_NE(w.find("lag the video by about 75 frames (stale past 30)"), std::string::npos) << w;
  const std::string sync = pace_warning(stats, 30, 1, false);
  EXPECT_NE(sync.find("each analysed frame (one in 1) waits"), std::string::npos) << sync;
  EXPECT_EQ(pace_warning(stats, 30, 100, false), "") << "one frame in 100: 3.3 s for each";
  stats.last_inference_ms = 500;  // 15 frames behind: async keeps it, sync does not
  EXPECT_EQ(pace_warning(stats, 30, 1, true), "");
  EXPECT_NE(pace_warning(stats, 30, 1, false), "");
  stats.last_inference_ms = 20;
  EXPECT_EQ(pace_warning(stats, 30, 1, false), "");
  EXPECT_EQ(pace_warning(stats, 0, 1, false), "") << "no frame rate: nothing to keep up with";
}

}  // namespace
}  // namespace legrad
