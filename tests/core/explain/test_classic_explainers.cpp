// The classic explainers LeGrad is compared with, against their definitions on a tiny model.
#include "explain/classic_explainers.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "explain/legrad.h"
#include "model/clip_model.h"
#include "model/transformer.h"
#include "tiny_model.h"

namespace legrad {
namespace {

class ClassicExplainers : public test::TinyModelTest {
 protected:
  // Each block's head-averaged attention probabilities [1, T, T].
  std::vector<at::Tensor> attention_maps() const {
    std::vector<at::Tensor> maps;
    at::Tensor x = model_->embed_image(pixels_);
    for (const auto& block : model_->vision_blocks()) {
      const AttentionParts parts = attention(block, x);
      maps.push_back(parts.probs.mean(1));
      x = finish_block(block, x, parts.mixed, model_->activation());
    }
    return maps;
  }
};

TEST_F(ClassicExplainers, RawAttentionIsTheLastBlocksClassTokenRow) {
  const at::Tensor row = attention_maps().back()[0][0].slice(0, 1).reshape({1, 1, 4, 4});
  const at::Tensor want = min_max_normalize(upsample_relevance(row, 8))[0][0];
  const Explanation ex = explain_raw_attention(*model_, pixels_, text_, LegradOptions{});
  EXPECT_TRUE(ex.heatmaps[0].allclose(want, 1e-5, 1e-6));
}

TEST_F(ClassicExplainers, GradientMethodsFollowThePromptAttentionMethodsDoNot) {
  const Explanation rollout = explain_rollout(*model_, pixels_, text_, LegradOptions{});
  EXPECT_TRUE(rollout.heatmaps[0].equal(rollout.heatmaps[1]));
  for (const Explanation& ex : {explain_gradcam(*model_, pixels_, text_, LegradOptions{}),
                                explain_chefercam(*model_, pixels_, text_, LegradOptions{})}) {
    EXPECT_FALSE(ex.heatmaps[0].equal(ex.heatmaps[1]));
    EXPECT_GE(ex.heatmaps.min().item<float>(), 0.0f);
    EXPECT_LE(ex.heatmaps.max().item<float>(), 1.0f);
  }
}

}  // namespace
}  // namespace legrad
