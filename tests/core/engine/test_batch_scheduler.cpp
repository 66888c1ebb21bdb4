// Frames of several streams in one forward pass: each frame's explanation is the one it gets
// alone, whatever its prompts; streams that send nothing never hold the others up.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <thread>

#include "base/error.h"
#include "engine/batch_scheduler.h"
#include "engine/compute_thread.h"
#include "engine/engine.h"
#include "support.h"

namespace legrad {
namespace {

class Batching : public ::testing::Test {
 protected:
  void SetUp() override {
    test::write_tiny_model(dir_.path(), test::tiny_config());
    engine_ = std::make_unique<LegradEngine>(ModelRequest{dir_.path()});
    // Three different pictures.
    for (auto [h, w] : {std::pair{40, 50}, {32, 32}, {17, 60}})
      pictures_.push_back(test::test_picture(h, w));
    pictures_[1] = (255 - pictures_[1]).contiguous();
  }
  void expect_same(const Explanation& batched, const Explanation& alone) {
    EXPECT_TRUE(batched.heatmaps.allclose(alone.heatmaps, 1e-5, 1e-5));
    EXPECT_TRUE(batched.scores.allclose(alone.scores, 1e-5, 1e-6));
    EXPECT_TRUE(batched.layer_grids.allclose(alone.layer_grids, 1e-5, 1e-6));
  }
  test::TempDir dir_;
  std::unique_ptr<LegradEngine> engine_;
  std::vector<at::Tensor> pictures_;
};

TEST_F(Batching, EachFrameGetsItsOwnExplanation) {
  const PromptSet two = engine_->encode_prompts({"a red cat", "a dog"});
  const PromptSet other_two = engine_->encode_prompts({"a house", "a tree"});
  const PromptSet three = engine_->encode_prompts({"a cat", "a car", "a bird"});
  // The same prompt count (one pass for the gradients too), then mixed counts.
  for (const std::vector<const PromptSet*>& sets :
       {std::vector<const PromptSet*>{&two, &other_two, &two},
        std::vector<const PromptSet*>{&two, &three, &other_two}}) {
    std::vector<ImageView> frames;
    for (const at::Tensor& p : pictures_) frames.push_back(image_view(p));
    const std::vector<Explanation> batched = engine_->explain_batch(frames, sets);
    ASSERT_EQ(batched.size(), 3u);
    for (size_t i = 0; i < 3; ++i) expect_same(batched[i], engine_->explain(frames[i], *sets[i]));
  }
  EXPECT_THROW(engine_->explain_batch({image_view(pictures_[0])}, {}), Error);
  EXPECT_THROW(engine_->explain_batch({image_view(pictures_[0])}, {nullptr}), Error);
}

TEST_F(Batching, TheSchedulerGathersStreamsIntoOnePass) {
  auto compute = std::make_shared<ComputeThread>();
  BatchScheduler scheduler(compute);
  const PromptSet prompts = engine_->encode_prompts({"a red cat", "a dog"});
  std::vector<Explanation> results(3);
  std::vector<std::thread> streams;
  for (size_t i = 0; i < 3; ++i)
    streams.emplace_back([&, i] {
      results[i] = scheduler.explain({engine_.get(),
                                      {image_view(pictures_[i])},
                                      &prompts,
                                      kDefaultMethod,
                                      3,
                                      std::chrono::milliseconds(10000)})[0];
    });
  for (std::thread& t : streams) t.join();
  EXPECT_EQ(scheduler.stats().batches, 1u);  // all three waited for each other
  EXPECT_EQ(scheduler.stats().frames, 3u);
  for (size_t i = 0; i < 3; ++i)
    expect_same(results[i], engine_->explain(image_view(pictures_[i]), prompts));
}

// A request of several frames (one frame's object crops) joins other streams' frames; its
// frames stay together and each gets its own explanation.
TEST_F(Batching, RequestsOfSeveralFramesShareABatch) {
  auto compute = std::make_shared<ComputeThread>();
  BatchScheduler scheduler(compute);
  const PromptSet prompts = engine_->encode_prompts({"a red cat", "a dog"});
  std::vector<Explanation> crops, single;
  std::thread a([&] {
    crops = scheduler.explain({engine_.get(),
                               {image_view(pictures_[0]), image_view(pictures_[1])},
                               &prompts,
                               kDefaultMethod,
                               3,
                               std::chrono::milliseconds(10000)});
  });
  std::thread b([&] {
    single = scheduler.explain({engine_.get(),
                                {image_view(pictures_[2])},
                                &prompts,
                                kDefaultMethod,
                                3,
                                std::chrono::milliseconds(10000)});
  });
  a.join();
  b.join();
  EXPECT_EQ(scheduler.stats().batches, 1u);
  EXPECT_EQ(scheduler.stats().frames, 3u);
  ASSERT_EQ(crops.size(), 2u);
  ASSERT_EQ(single.size(), 1u);
  for (size_t i = 0; i < 2; ++i)
    expect_same(crops[i], engine_->explain(image_view(pictures_[i]), prompts));
  expect_same(single[0], engine_->explain(image_view(pictures_[2]), prompts));
  // More frames than the batch size: one batch of their own, not a wait.
  const auto many = scheduler.explain(
      {engine_.get(),
       {image_view(pictures_[0]), image_view(pictures_[1]), image_view(pictures_[2])},
       &prompts,
       kDefaultMethod,
       2,
       std::chrono::milliseconds(10000)});
  EXPECT_EQ(many.size(), 3u);
  EXPECT_EQ(scheduler.stats().batches, 2u);
  EXPECT_TRUE(scheduler.explain({engine_.get(), {}, &prompts}).empty());
}

TEST_F(Batching, ALoneStreamWaitsOnlyTheTimeout) {
  BatchScheduler scheduler(std::make_shared<ComputeThread>());
  const PromptSet prompts = engine_->encode_prompts({"a cat"});
  const Explanation ex = scheduler.explain({engine_.get(),
                                            {image_view(pictures_[0])},
                                            &prompts,
                                            kDefaultMethod,
                                            8,
                                            std::chrono::milliseconds(20)})[0];
  expect_same(ex, engine_->explain(image_view(pictures_[0]), prompts));
  EXPECT_EQ(scheduler.stats().frames, 1u);
  // A failing batch fails its frames, and the scheduler goes on.
  EXPECT_THROW(scheduler.explain({engine_.get(),
                                  {image_view(pictures_[0])},
                                  nullptr,
                                  kDefaultMethod,
                                  1,
                                  std::chrono::milliseconds(0)}),
               Error);
  EXPECT_NO_THROW(scheduler.explain({engine_.get(),
                                     {image_view(pictures_[1])},
                                     &prompts,
                                     kDefaultMethod,
                                     1,
                                     std::chrono::milliseconds(0)}));
}

}  // namespace
}  // namespace legrad
