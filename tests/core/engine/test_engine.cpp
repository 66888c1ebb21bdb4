// The engine: frames and prompts in, explanations out; models shared by instance id.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "base/error.h"
#include "engine/engine.h"
#include "explain/legrad.h"
#include "model/clip_model.h"
#include "support.h"

namespace legrad {
namespace {

class Engine : public ::testing::Test {
 protected:
  void SetUp() override {
    test::write_tiny_model(dir_.path(), test::tiny_config());
    engine_ = std::make_unique<LegradEngine>(ModelRequest{dir_.path()});
  }
  test::TempDir dir_;
  std::unique_ptr<LegradEngine> engine_;
};

TEST_F(Engine, ExplainsFramesOfAnySize) {
  const PromptSet prompts = engine_->encode_prompts({"a red cat", "a dog"});
  for (auto [h, w] : {std::pair{17, 33}, {32, 32}, {1, 1}, {240, 320}}) {
    const at::Tensor frame = test::test_picture(h, w);
    const Explanation ex = engine_->explain(image_view(frame), prompts);
    EXPECT_EQ(ex.heatmaps.sizes(), (std::vector<int64_t>{2, 32, 32})) << h << "x" << w;
    EXPECT_TRUE(ex.heatmaps.isfinite().all().item<bool>());
    EXPECT_TRUE(ex.heatmaps.ge(0).all().item<bool>() && ex.heatmaps.le(1).all().item<bool>());
  }
}

TEST_F(Engine, SameFrameSameAnswerAsThePixelsPath) {
  const PromptSet prompts = engine_->encode_prompts({"a cat"});
  const at::Tensor frame = test::test_picture(40, 50);
  const Explanation a = engine_->explain(image_view(frame), prompts);
  const auto& cfg = engine_->model().config();
  const Explanation b = engine_->explain_pixels(
      preprocess_frame(image_view(frame), 32, PixelNormalization(cfg.mean, cfg.std)), prompts);
  EXPECT_TRUE(a.heatmaps.equal(b.heatmaps));
  // The scores alone are the explanation's scores.
  EXPECT_TRUE(engine_->scores(image_view(frame), prompts).allclose(a.scores, 1e-5, 1e-6));
}

TEST_F(Engine, PromptRules) {
  EXPECT_THROW(engine_->encode_prompts({}), Error);
  EXPECT_THROW(engine_->encode_prompts({"a cat", ""}), Error);
  EXPECT_THROW(engine_->encode_prompts({"   \t"}), Error);
  EXPECT_THROW(engine_->encode_prompts({"bad \xff"}), Error);
  // 2,000 characters: cut to the context length as the reference does.
  const PromptSet long_prompt = engine_->encode_prompts({std::string(2000, 'x'), "a cat"});
  EXPECT_EQ(long_prompt.embeddings.sizes(), (std::vector<int64_t>{2, 16}));
  EXPECT_THROW(LegradEngine(ModelRequest{}), Error);
}

TEST_F(Engine, ExplainWithoutPromptsIsAnError) {
  EXPECT_THROW(engine_->explain(image_view(test::test_picture(8, 8)), PromptSet{}), Error);
}

TEST_F(Engine, OptionsAreValidatedAtLoad) {
  EngineOptions o;
  o.input_size = 30;
  EXPECT_THROW(LegradEngine(ModelRequest{dir_.path()}, o), Error);
  o.input_size = 0;
  o.layer_index = 5;
  EXPECT_THROW(LegradEngine(ModelRequest{dir_.path()}, o), Error);
  EXPECT_THROW(LegradEngine(ModelRequest{dir_.path(), dir_.file("missing-vocab.txt.gz")}), Error);
}

// "auto" is bf16 exactly where the CPU computes it natively; the engine loads the weights so.
TEST_F(Engine, DtypeAutoFollowsTheDevice) {
  const at::ScalarType expected = native_bf16(c10::kCPU) ? at::kBFloat16 : at::kFloat;
  EXPECT_EQ(parse_dtype("auto", c10::kCPU), expected);
  EXPECT_EQ(parse_dtype("fp32", c10::kCPU), at::kFloat);
  EXPECT_THROW(parse_dtype("fp16", c10::kCPU), Error);
  EXPECT_THROW(parse_dtype("double", c10::kCPU), Error);
  EXPECT_EQ(load_model(model_request(dir_.path(), "", "cpu", "auto"))->model->dtype(), expected);
  EXPECT_EQ(load_model(model_request(dir_.path(), "", "cpu", "bf16"))->model->dtype(),
            at::kBFloat16);
}

// A SigLIP model folder with its SentencePiece model, end to end: the engine encodes the
// correction text with the model's own tokenizer and applies the reference's correction.
TEST(SiglipEngine, CorrectsWithTheCorrectionTextAndRefusesClassTokenMethods) {
  test::TempDir dir;
  test::write_tiny_model(dir.path(), test::tiny_siglip_config());
  const std::string why = test::write_sentencepiece_model(dir.file("spiece.model"));
  if (!why.empty()) GTEST_SKIP() << why;
  EngineOptions o;
  const LegradEngine engine(ModelRequest{dir.path()}, o);
  o.correction_text = "";
  const LegradEngine uncorrected(ModelRequest{dir.path()}, o);
  const PromptSet prompts = engine.encode_prompts({"a red car", "a cat"});
  const at::Tensor frame = test::test_picture(40, 50);
  const at::Tensor pixels = engine.preprocess(image_view(frame));

  LegradOptions want;
  want.correction_embedding = engine.encode_prompts({kDefaultCorrectionText}).embeddings;
  const Explanation ex = engine.explain(image_view(frame), prompts);
  EXPECT_TRUE(ex.heatmaps.allclose(
      explain_legrad(engine.model(), pixels, prompts.embeddings, want).heatmaps, 1e-5, 1e-6));
  const Explanation plain = uncorrected.explain(image_view(frame), prompts);
  EXPECT_TRUE(plain.heatmaps.allclose(
      explain_legrad(engine.model(), pixels, prompts.embeddings).heatmaps, 1e-5, 1e-6));
  EXPECT_FALSE(plain.heatmaps.allclose(ex.heatmaps));  // the correction zeroed some cells

  const std::string what =
      test::error_of([&] { engine.explain(image_view(frame), prompts, ExplainMethod::GradCam); });
  EXPECT_NE(what.find("gradcam"), std::string::npos) << what;
  o.correction_threshold = 1.5;
  EXPECT_THROW(LegradEngine(ModelRequest{dir.path()}, o), Error);
}

}  // namespace
}  // namespace legrad
