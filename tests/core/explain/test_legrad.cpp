#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/csrc/autograd/autograd.h>

#include "base/error.h"
#include "engine/model_files.h"
#include "explain/legrad.h"
#include "explain/legrad_graph.h"
#include "explain/methods.h"
#include "model/clip_model.h"
#include "model/transformer.h"
#include "support.h"
#include "tiny_model.h"

namespace legrad {
namespace {

class TinyModel : public test::TinyModelTest {
 protected:
  // LeGrad the way the reference computes it: the image repeated once per prompt, the full
  // graph kept, and d s_l / d A_l taken per layer from the retained attention probabilities.
  at::Tensor reference_grids(const ClipModel& model, const at::Tensor& text, int start) {
    const int64_t prompts = text.size(0);
    std::vector<at::Tensor> scores, probs;
    // Pixels that require grad put every activation, the probabilities included, in the graph.
    at::Tensor x =
        model.embed_image(pixels_.expand({prompts, 3, 32, 32}).clone().requires_grad_(true));
    const auto& blocks = model.vision_blocks();
    for (size_t l = 0; l < blocks.size(); ++l) {
      AttentionParts parts = attention(blocks[l], x);
      x = finish_block(blocks[l], x, parts.mixed, model.activation());
      if (static_cast<int>(l) >= start) {
        scores.push_back((model.project_image(x.mean(1)) * text).sum());
        probs.push_back(parts.probs);
      }
    }
    std::vector<at::Tensor> grids;
    for (size_t i = 0; i < scores.size(); ++i) {
      at::Tensor g = torch::autograd::grad({scores[i]}, {probs[i]}, {}, /*retain_graph=*/true)[0];
      grids.push_back(g.clamp_min(0).mean(1).mean(1).slice(1, 1).reshape({prompts, 4, 4}));
    }
    return at::stack(grids);
  }
};

TEST_F(TinyModel, MapsHaveTheRightShapeAndRange) {
  const Explanation ex = explain_legrad(*model_, pixels_, text_);
  ASSERT_EQ(ex.heatmaps.sizes(), (std::vector<int64_t>{3, 32, 32}));
  EXPECT_TRUE(ex.heatmaps.isfinite().all().item<bool>());
  for (int p = 0; p < 3; ++p) {
    EXPECT_FLOAT_EQ(ex.heatmaps[p].min().item<float>(), 0.0f);
    EXPECT_FLOAT_EQ(ex.heatmaps[p].max().item<float>(), 1.0f);
  }
  EXPECT_EQ(ex.layer_grids.sizes(), (std::vector<int64_t>{2, 3, 4, 4}));
  EXPECT_EQ(ex.layer_features.sizes(), (std::vector<int64_t>{2, 16}));
  EXPECT_EQ(ex.layers, (std::vector<int>{1, 2}));
  ASSERT_EQ(ex.scores.sizes(), (std::vector<int64_t>{3}));
  EXPECT_TRUE(ex.scores.abs().le(1.0).all().item<bool>());
  EXPECT_NEAR(ex.image_embedding.norm().item<double>(), 1.0, 1e-5);
  // Scores are the cosine similarity with the model's own embedding.
  EXPECT_TRUE(ex.scores.allclose(at::matmul(text_, ex.image_embedding), 1e-5, 1e-6));
}

// Every explainer runs in bf16 (the CPU's default where it is native) and gives finite maps.
TEST_F(TinyModel, EveryMethodRunsInBf16) {
  const auto model = load_clip_model(locate_model_files(dir_.path()), c10::kCPU, at::kBFloat16);
  for (const MethodInfo& m : explain_methods()) {
    const Explanation ex =
        explain_with(m.method, *model, pixels_.to(at::kBFloat16), text_.to(at::kBFloat16));
    EXPECT_TRUE(ex.heatmaps.to(at::kFloat).isfinite().all().item<bool>()) << m.name;
  }
}

TEST_F(TinyModel, GradientsMatchTheRepeatedImageReference) {
  for (int layer_index : {-2, 0, -1}) {
    LegradOptions opts;
    opts.layer_index = layer_index;
    const Explanation ex = explain_legrad(*model_, pixels_, text_, opts);
    const at::Tensor want = reference_grids(*model_, text_, legrad_start_layer(layer_index, 3));
    const double err = (ex.layer_grids - want).abs().max().item<double>();
    EXPECT_LT(err, 1e-5 * want.abs().max().item<double>()) << "layer_index " << layer_index;
  }
}

// The hand-written gradient of the block's tail, with OpenAI's QuickGELU instead of GELU.
TEST_F(TinyModel, GradientsMatchTheReferenceWithQuickGelu) {
  ClipConfig cfg = test::tiny_config();
  cfg.activation = legrad::Activation::QuickGelu;
  test::TempDir dir;
  test::write_tiny_model(dir.path(), cfg);
  const auto model = load_clip_model(locate_model_files(dir.path()), c10::Device(c10::kCPU));
  ASSERT_EQ(model->activation(), Activation::QuickGelu);
  const Explanation ex = explain_legrad(*model, pixels_, text_);
  const at::Tensor want = reference_grids(*model, text_, 1);
  EXPECT_LT((ex.layer_grids - want).abs().max().item<double>(),
            1e-5 * want.abs().max().item<double>());
}

TEST_F(TinyModel, GradientIsPerPrompt) {
  const Explanation batch = explain_legrad(*model_, pixels_, text_);
  EXPECT_GT((batch.heatmaps[0] - batch.heatmaps[1]).abs().max().item<float>(), 1e-2);
  const Explanation alone = explain_legrad(*model_, pixels_, text_.slice(0, 1, 2));
  EXPECT_TRUE(alone.heatmaps[0].allclose(batch.heatmaps[1], 1e-5, 1e-6));
  EXPECT_TRUE(alone.layer_grids.select(1, 0).allclose(batch.layer_grids.select(1, 1), 1e-5, 1e-9));
}

// Many prompts go through the gradients in chunks: the same maps as one pass.
TEST_F(TinyModel, PromptsInChunksGiveTheSameMaps) {
  const Explanation whole = explain_legrad(*model_, pixels_, text_);
  LegradOptions one_at_a_time;
  one_at_a_time.prompts_per_pass = 1;
  const Explanation chunked = explain_legrad(*model_, pixels_, text_, one_at_a_time);
  EXPECT_TRUE(chunked.layer_grids.allclose(whole.layer_grids, 1e-5, 1e-9));
  EXPECT_TRUE(chunked.heatmaps.allclose(whole.heatmaps, 1e-5, 1e-6));
  EXPECT_TRUE(chunked.layer_features.allclose(whole.layer_features, 1e-6, 1e-7));
}

TEST_F(TinyModel, NoAutogradGraphOutlivesTheCall) {
  const bool grad_mode_before = at::GradMode::is_enabled();
  const Explanation ex = explain_legrad(*model_, pixels_, text_);
  EXPECT_EQ(at::GradMode::is_enabled(), grad_mode_before);
  for (const at::Tensor& t : {ex.heatmaps, ex.scores, ex.layer_grids, ex.image_embedding}) {
    EXPECT_FALSE(t.requires_grad());
    EXPECT_FALSE(t.grad_fn());
  }
}

TEST_F(TinyModel, OtherInputSizesResampleThePositionalEmbedding) {
  const at::Tensor big = at::randn({1, 3, 48, 48});
  const Explanation ex = explain_legrad(*model_, big, text_);
  EXPECT_EQ(ex.heatmaps.sizes(), (std::vector<int64_t>{3, 48, 48}));
  EXPECT_EQ(ex.layer_grids.sizes(), (std::vector<int64_t>{2, 3, 6, 6}));
  const at::Tensor pos = model_->positional_embedding(48);
  EXPECT_EQ(pos.sizes(), (std::vector<int64_t>{37, 32}));
  EXPECT_TRUE(pos[0].equal(model_->positional_embedding(32)[0]));  // class row kept
  EXPECT_TRUE(model_->positional_embedding(48).is_same(pos));      // cached
  EXPECT_THROW(explain_legrad(*model_, at::randn({1, 3, 36, 36}), text_), Error);
}

TEST_F(TinyModel, EveryMethodGivesNormalisedMapsAndTheModelsScores) {
  const Explanation legrad = explain_legrad(*model_, pixels_, text_);
  for (const char* name :
       {"legrad", "raw-attention", "rollout", "gradcam", "chefercam", "chefercam-last"}) {
    const ExplainMethod m = parse_method(name);
    EXPECT_STREQ(method_name(m), name);
    const Explanation ex = explain_with(m, *model_, pixels_, text_);
    ASSERT_EQ(ex.heatmaps.sizes(), (std::vector<int64_t>{3, 32, 32})) << name;
    EXPECT_TRUE(ex.heatmaps.isfinite().all().item<bool>()) << name;
    EXPECT_GE(ex.heatmaps.min().item<float>(), 0.0f) << name;
    EXPECT_LE(ex.heatmaps.max().item<float>(), 1.0f) << name;
    EXPECT_TRUE(ex.scores.allclose(legrad.scores, 1e-5, 1e-6)) << name;
    const bool same = ex.heatmaps[0].equal(ex.heatmaps[1]) && ex.heatmaps[1].equal(ex.heatmaps[2]);
    EXPECT_EQ(same, !method_info(m).uses_prompt) << name;
  }
  EXPECT_THROW(parse_method("lime"), Error);
}

TEST_F(TinyModel, CudaGraphsAreRefusedOnTheCpu) {
  EXPECT_THROW(GraphedLegrad(*model_, 32, 3, LegradOptions{}), Error);
}

TEST_F(TinyModel, BadArgumentsAreErrors) {
  LegradOptions opts;
  opts.layer_index = 3;
  EXPECT_THROW(explain_legrad(*model_, pixels_, text_, opts), Error);
  opts.layer_index = -4;
  EXPECT_THROW(explain_legrad(*model_, pixels_, text_, opts), Error);
  EXPECT_THROW(explain_legrad(*model_, pixels_, at::randn({0, 16})), Error);
  EXPECT_THROW(explain_legrad(*model_, pixels_, at::randn({2, 15})), Error);
  EXPECT_THROW(explain_legrad(*model_, at::randn({2, 3, 32, 32}), text_), Error);
  EXPECT_THROW(explain_legrad(*model_, at::randn({1, 3, 32, 16}), text_), Error);
}

// SigLIP: the attention pool's gradient, the correction, and the methods it refuses.
class TinySiglip : public ::testing::Test {
 protected:
  void SetUp() override {
    test::write_tiny_model(dir_.path(), test::tiny_siglip_config());
    model_ = load_clip_model(locate_model_files(dir_.path()), c10::Device(c10::kCPU));
    pixels_ = at::randn({1, 3, 32, 32}, at::detail::createCPUGenerator(3));
    text_ = l2_normalize(at::randn({3, 32}, at::detail::createCPUGenerator(4)));
    correction_ = l2_normalize(at::randn({1, 32}, at::detail::createCPUGenerator(5)));
  }

  // The reference's way, with autograd: the pool applied to each used block's raw output, the
  // gradient of the score with respect to the pool's attention probabilities.
  at::Tensor reference_grids(const at::Tensor& text, int start) {
    const int64_t prompts = text.size(0);
    std::vector<at::Tensor> scores, probs;
    at::Tensor x =
        model_->embed_image(pixels_.expand({prompts, 3, 32, 32}).clone().requires_grad_(true));
    const auto& blocks = model_->vision_blocks();
    for (size_t l = 0; l < blocks.size(); ++l) {
      x = block_forward(blocks[l], x, model_->activation());
      if (static_cast<int>(l) < start) continue;
      const PoolParts pool = attention_pool(model_->pool(), x, model_->activation());
      scores.push_back((l2_normalize(pool.tail.out.select(-2, 0)) * text).sum());
      probs.push_back(pool.probs);
    }
    std::vector<at::Tensor> grids;
    for (size_t i = 0; i < scores.size(); ++i) {
      at::Tensor g = torch::autograd::grad({scores[i]}, {probs[i]}, {}, /*retain_graph=*/true)[0];
      grids.push_back(g.clamp_min(0).mean(1).select(1, 0).reshape({prompts, 4, 4}));
    }
    return at::stack(grids);
  }

  test::TempDir dir_;
  std::shared_ptr<ClipModel> model_;
  at::Tensor pixels_, text_, correction_;
};

TEST_F(TinySiglip, GradientsMatchAutogradThroughTheAttentionPool) {
  for (int layer_index : {-2, 0}) {
    LegradOptions opts;
    opts.layer_index = layer_index;
    const Explanation ex = explain_legrad(*model_, pixels_, text_, opts);
    const at::Tensor want = reference_grids(text_, legrad_start_layer(layer_index, 3));
    EXPECT_LT((ex.layer_grids - want).abs().max().item<double>(),
              1e-5 * want.abs().max().item<double>())
        << "layer_index " << layer_index;
  }
}

// SigLIP 2 and transformers' SigLIP configs use the tanh-approximated GELU: the hand-written
// gradient of the block's tail follows it.
TEST_F(TinySiglip, GradientsMatchAutogradWithTheTanhGelu) {
  ClipConfig cfg = test::tiny_siglip_config();
  cfg.activation = Activation::GeluTanh;
  test::write_tiny_model(dir_.path(), cfg);
  model_ = load_clip_model(locate_model_files(dir_.path()), c10::Device(c10::kCPU));
  ASSERT_EQ(model_->activation(), Activation::GeluTanh);
  const Explanation ex = explain_legrad(*model_, pixels_, text_);
  const at::Tensor want = reference_grids(text_, legrad_start_layer(-2, 3));
  EXPECT_LT((ex.layer_grids - want).abs().max().item<double>(),
            1e-5 * want.abs().max().item<double>());
}

TEST_F(TinySiglip, SummedGridsAreNormalisedThenUpsampled) {
  const Explanation ex = explain_legrad(*model_, pixels_, text_);
  const at::Tensor want = upsample_relevance(min_max_normalize(ex.layer_grids.sum(0)), 8);
  EXPECT_TRUE(ex.heatmaps.allclose(want, 1e-6, 1e-6));
  EXPECT_TRUE(ex.scores.allclose(at::matmul(text_, ex.image_embedding), 1e-5, 1e-6));
  EXPECT_TRUE(ex.image_embedding.allclose(model_->encode_image(pixels_)[0], 1e-5, 1e-6));
}

TEST_F(TinySiglip, CorrectionZeroesWhereTheCorrectionTextLightsUp) {
  LegradOptions opts;
  opts.correction_embedding = correction_;
  opts.correction_threshold = 0.5;
  const Explanation corrected = explain_legrad(*model_, pixels_, text_, opts);
  const Explanation plain = explain_legrad(*model_, pixels_, text_);
  const Explanation of_correction = explain_legrad(*model_, pixels_, correction_);
  EXPECT_TRUE(corrected.layer_grids.allclose(plain.layer_grids, 1e-5, 1e-7));
  const at::Tensor mask = min_max_normalize(of_correction.layer_grids.sum(0)[0]) > 0.5;
  ASSERT_GT(mask.sum().item<int64_t>(), 0);
  const at::Tensor want =
      upsample_relevance(min_max_normalize(plain.layer_grids.sum(0).masked_fill(mask, 0)), 8);
  EXPECT_TRUE(corrected.heatmaps.allclose(want, 1e-5, 1e-6));
  EXPECT_EQ(corrected.scores.size(0), 3);
}

TEST_F(TinySiglip, BatchedFramesEqualSingleOnes) {
  LegradOptions opts;
  opts.correction_embedding = correction_;
  const at::Tensor other = at::randn({1, 3, 32, 32}, at::detail::createCPUGenerator(9));
  const auto batch = explain_legrad_batch(*model_, at::cat({pixels_, other}),
                                          {text_, text_.narrow(0, 0, 2)}, opts);
  EXPECT_TRUE(batch[0].heatmaps.allclose(explain_legrad(*model_, pixels_, text_, opts).heatmaps,
                                         1e-5, 1e-5));
  const at::Tensor second = explain_legrad(*model_, other, text_.narrow(0, 0, 2), opts).heatmaps;
  EXPECT_TRUE(batch[1].heatmaps.allclose(second, 1e-5, 1e-5));
}

TEST_F(TinySiglip, PromptsInChunksGiveTheSameMaps) {
  LegradOptions opts;
  opts.correction_embedding = correction_;
  const Explanation whole = explain_legrad(*model_, pixels_, text_, opts);
  opts.prompts_per_pass = 2;
  const Explanation chunked = explain_legrad(*model_, pixels_, text_, opts);
  EXPECT_TRUE(chunked.layer_grids.allclose(whole.layer_grids, 1e-5, 1e-9));
  EXPECT_TRUE(chunked.heatmaps.allclose(whole.heatmaps, 1e-5, 1e-6));
}

TEST_F(TinySiglip, ClassTokenMethodsAreRefusedByName) {
  for (const MethodInfo& m : explain_methods()) {
    if (!m.class_token_only) continue;
    const std::string what =
        test::error_of([&] { explain_with(m.method, *model_, pixels_, text_); });
    EXPECT_NE(what.find(m.name), std::string::npos) << what;
    EXPECT_NE(what.find("SigLIP"), std::string::npos) << what;
  }
}

TEST(MinMax, ConstantMapsBecomeZerosNotNaN) {
  at::Tensor maps = at::stack({at::full({4, 4}, 3.0f), at::arange(16, at::kFloat).view({4, 4})});
  const at::Tensor out = min_max_normalize(maps);
  EXPECT_TRUE(out[0].eq(0).all().item<bool>());
  EXPECT_FLOAT_EQ(out[1].max().item<float>(), 1.0f);
  EXPECT_FLOAT_EQ(out[1][0][1].item<float>(), 1.0f / 15.0f);
}

TEST(Upsample, BilinearHalfPixelCentres) {
  const at::Tensor grid = at::tensor({0.0f, 1.0f}).view({1, 2});
  const at::Tensor up = upsample_relevance(grid.expand({2, 2}).contiguous(), 2);
  // align_corners=False: edges clamp, inner samples at 1/4 and 3/4.
  EXPECT_TRUE(up[0].allclose(at::tensor({0.0f, 0.25f, 0.75f, 1.0f})));
}

}  // namespace
}  // namespace legrad
