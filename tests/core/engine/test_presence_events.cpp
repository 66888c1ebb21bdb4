#include "engine/presence_events.h"

#include <gtest/gtest.h>

#include <memory>

namespace legrad {
namespace {

constexpr int64_t kMs = 1000000;

// One analysed frame (number n, at t ms) where each prompt's score is given; present where the
// score is at least 0.5. Each map is bright in its top-left quarter.
FrameResult analysed(uint64_t n, int64_t t_ms, const std::vector<std::string>& prompts,
                     const std::vector<float>& scores, std::vector<Region> regions = {}) {
  auto a = std::make_shared<Analysis>();
  a->prompts = prompts;
  a->size = 4;
  a->scores = scores;
  a->regions = regions;
  a->source_pts = t_ms * kMs;
  a->frame_number = n;
  a->maps.assign(scores.size() * 16, 0.0f);
  for (size_t m = 0; m < scores.size(); ++m)
    for (int y = 0; y < 2; ++y)
      for (int x = 0; x < 2; ++x) a->maps[m * 16 + y * 4 + x] = 1.0f;
  FrameResult r;
  for (float s : scores) r.present.push_back(s >= 0.5f);
  r.analysis = a;
  return r;
}

struct Stream {
  PresenceEvents events;
  PresenceEventSettings settings;
  std::vector<PresenceEvent> all;
  uint64_t n = 0;
  void frame(int64_t t_ms, const std::vector<float>& scores,
             const std::vector<std::string>& prompts = {"a dog"},
             const std::vector<Region>& regions = {}) {
    for (auto& e : events.update(analysed(++n, t_ms, prompts, scores, regions), 40, 40, 1000 + t_ms,
                                 settings))
      all.push_back(e);
  }
};

TEST(PresenceEvents, StartsAfterMinFramesAndEndsAfterTheHold) {
  Stream run;
  run.settings.min_frames = 3;
  run.settings.hold_ms = 500;
  run.frame(0, {0.9f});
  run.frame(100, {0.9f});
  EXPECT_TRUE(run.all.empty()) << "two frames are not yet an event";
  run.frame(200, {0.7f});
  ASSERT_EQ(run.all.size(), 1u);
  const PresenceEvent start = run.all[0];
  EXPECT_EQ(start.kind, PresenceEvent::Kind::Start);
  EXPECT_EQ(start.prompt, "a dog");
  EXPECT_EQ(start.object_id, -1);
  EXPECT_EQ(start.start_pts, 0);  // from the first frame of the run
  EXPECT_EQ(start.start_utc_ms, 1000);
  EXPECT_FLOAT_EQ(start.peak_score, 0.9f);
  ASSERT_TRUE(start.peak_box);  // the bright quarter of a 4x4 map on a 40x40 frame
  EXPECT_EQ(start.peak_box->x, 0);
  EXPECT_EQ(start.peak_box->width, 20);
  // Gaps shorter than the hold do not end it.
  run.frame(300, {0.1f});
  run.frame(600, {0.95f});
  run.frame(900, {0.1f});
  run.frame(1000, {0.1f});
  EXPECT_EQ(run.all.size(), 1u);
  run.frame(1100, {0.1f});  // 500 ms after the last frame it was in
  ASSERT_EQ(run.all.size(), 2u);
  const PresenceEvent& end = run.all[1];
  EXPECT_EQ(end.kind, PresenceEvent::Kind::End);
  EXPECT_EQ(end.id, start.id);
  EXPECT_EQ(end.last_pts, 600 * kMs);
  EXPECT_EQ(end.frames, 4u);
  EXPECT_FLOAT_EQ(end.peak_score, 0.95f);
}

TEST(PresenceEvents, AShortRunIsNoEventAndTheRunMustBeUnbroken) {
  Stream run;
  run.settings.min_frames = 3;
  for (int i = 0; i < 10; ++i) run.frame(i * 100, {i % 3 == 2 ? 0.1f : 0.9f});
  EXPECT_TRUE(run.all.empty());
}

TEST(PresenceEvents, AFrameCarryingAnOldAnalysisChangesNothing) {
  Stream run;
  run.settings.min_frames = 2;
  const FrameResult once = analysed(1, 0, {"a dog"}, {0.9f});
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(run.events.update(once, 40, 40, 0, run.settings).empty());
}

TEST(PresenceEvents, PromptsAndObjectsHaveEventsOfTheirOwn) {
  Stream run;
  run.settings.min_frames = 1;
  run.settings.hold_ms = 0;
  const std::vector<std::string> prompts = {"a dog", "a cat"};
  const std::vector<Region> objects = {{7, 10, 10, 5, 5}, {9, 0, 0, 8, 8}};
  // maps [object][prompt]: object 7 is a dog, object 9 a cat
  run.frame(0, {0.9f, 0.1f, 0.1f, 0.8f}, prompts, objects);
  ASSERT_EQ(run.all.size(), 2u);
  EXPECT_EQ(run.all[0].prompt, "a dog");
  EXPECT_EQ(run.all[0].object_id, 7);
  EXPECT_EQ(run.all[0].peak_box->x, 10);  // the object's region
  EXPECT_EQ(run.all[1].prompt, "a cat");
  EXPECT_EQ(run.all[1].object_id, 9);
  EXPECT_NE(run.all[0].id, run.all[1].id);
  run.frame(100, {0.9f, 0.1f, 0.1f, 0.1f}, prompts, objects);
  ASSERT_EQ(run.all.size(), 3u);
  EXPECT_EQ(run.all[2].kind, PresenceEvent::Kind::End);
  EXPECT_EQ(run.all[2].object_id, 9);
}

TEST(PresenceEvents, FinishEndsWhatIsUnderWay) {
  Stream run;
  run.settings.min_frames = 1;
  run.frame(0, {0.9f});
  const auto ended = run.events.finish();
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].kind, PresenceEvent::Kind::End);
  EXPECT_EQ(ended[0].id, run.all[0].id);
  EXPECT_TRUE(run.events.finish().empty());
}

}  // namespace
}  // namespace legrad
