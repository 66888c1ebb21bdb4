#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "model/clip_model.h"
#include "engine/engine.h"
#include "base/error.h"
#include "video/preprocess.h"
#include "support.h"

namespace legrad {
namespace {

class Engine : public ::testing::Test {
 protected:
  void SetUp() override {
    test::write_tiny_model(dir_.path(), test::tiny_config());
    EngineOptions o;
    o.model = dir_.path();
    engine_ = std::make_unique<LegradEngine>(o);
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
  const Explanation b =
      engine_->explain_pixels(preprocess_frame(image_view(frame), 32, PixelNormalization(cfg.mean, cfg.std)), prompts);
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
  EXPECT_THROW(LegradEngine(EngineOptions{}), Error);
}

TEST_F(Engine, ExplainWithoutPromptsIsAnError) {
  EXPECT_THROW(engine_->explain(image_view(test::test_picture(8, 8)), PromptSet{}), Error);
}

TEST_F(Engine, OptionsAreValidatedAtLoad) {
  EngineOptions o;
  o.model = dir_.path();
  o.input_size = 30;
  EXPECT_THROW(LegradEngine{o}, Error);
  o.input_size = 0;
  o.layer_index = 5;
  EXPECT_THROW(LegradEngine{o}, Error);
  o.layer_index = -2;
  o.vocab = dir_.file("missing-vocab.txt.gz");
  EXPECT_THROW(LegradEngine{o}, Error);
}

TEST_F(Engine, ModelsAreSharedByInstanceId) {
  const auto a = shared_model("cam", dir_.path(), "", "cpu");
  const auto b = shared_model("cam", dir_.path(), "", "cpu");
  EXPECT_EQ(a.get(), b.get());
  EXPECT_NE(shared_model("", dir_.path(), "", "cpu").get(), a.get());
  test::TempDir other;
  test::write_tiny_model(other.path(), test::tiny_config());
  EXPECT_THROW(shared_model("cam", other.path(), "", "cpu"), Error);
}

TEST(PromptList, SplitsTrimsAndRejectsEmpty) {
  EXPECT_EQ(parse_prompt_list(" a cat ;a dog;; "), (std::vector<std::string>{"a cat", "a dog"}));
  EXPECT_EQ(parse_prompt_list("one"), (std::vector<std::string>{"one"}));
  EXPECT_THROW(parse_prompt_list(""), Error);
  EXPECT_THROW(parse_prompt_list(" ; ;"), Error);
  EXPECT_THROW(parse_prompt_list("\xc3("), Error);
}

TEST(Preprocess, SameSizeIsACopyAndConstantsStayConstant) {
  const at::Tensor frame = test::test_picture(24, 24);
  EXPECT_TRUE(resize_bicubic(image_view(frame), 24, 24).equal(frame));
  const at::Tensor grey = at::full({17, 33, 3}, 77, at::kByte);
  EXPECT_TRUE(resize_bicubic(image_view(grey), 32, 32).eq(77).all().item<bool>());
  EXPECT_THROW(resize_bicubic(ImageView{}, 32, 32), Error);
}

TEST(Preprocess, FourChannelFramesAndChannelOrder) {
  const at::Tensor rgb = test::test_picture(20, 30);
  const at::Tensor rgba = at::cat({rgb, at::full({20, 30, 1}, 255, at::kByte)}, 2).contiguous();
  EXPECT_TRUE(resize_bicubic(image_view(rgba), 16, 16).equal(resize_bicubic(image_view(rgb), 16, 16)));
  const at::Tensor bgr = rgb.flip({2}).contiguous();
  ImageView v = image_view(bgr);
  v.red = 2;
  v.blue = 0;
  EXPECT_TRUE(resize_bicubic(v, 16, 16).equal(resize_bicubic(image_view(rgb), 16, 16)));
}

// The device path's resize (matrix products) against the Pillow-exact loops, on noise, which
// exercises the rounding and clipping of both passes: shrinking, enlarging, same size, odd.
TEST(Preprocess, MatrixResizeGivesTheSameIntegers) {
  const std::vector<std::array<int, 4>> cases = {
      {640, 480, 224, 224}, {30, 20, 64, 64}, {24, 24, 24, 24}, {7, 300, 17, 33}};
  for (const auto& [w, h, ow, oh] : cases) {
    const at::Tensor frame =
        at::randint(0, 256, {h, w, 3}, at::detail::createCPUGenerator(w * h)).to(at::kByte);
    const at::Tensor planes = frame.permute({2, 0, 1}).to(at::kDouble);
    const at::Tensor by_matrix = resize_bicubic_planes(planes, bicubic_weight_matrix(w, ow),
                                                       bicubic_weight_matrix(h, oh));
    const at::Tensor by_loops = resize_bicubic(image_view(frame), ow, oh);
    EXPECT_TRUE(by_matrix.permute({1, 2, 0}).to(at::kByte).equal(by_loops))
        << w << "x" << h << " -> " << ow << "x" << oh;
  }
}

TEST(Preprocess, FramePreprocessorOnTheCpuIsThePillowPath) {
  const at::Tensor frame = test::test_picture(40, 50);
  const std::array<float, 3> mean{0.4f, 0.5f, 0.6f}, std{0.2f, 0.3f, 0.25f};
  const FramePreprocessor preprocess(mean, std, 32, c10::Device(c10::kCPU));
  EXPECT_TRUE(preprocess(image_view(frame))
                  .equal(preprocess_frame(image_view(frame), 32, PixelNormalization(mean, std))));
}

TEST(Preprocess, NormalisesWithMeanAndStd) {
  const at::Tensor white = at::full({2, 2, 3}, 255, at::kByte);
  const at::Tensor x = normalize_pixels(white, PixelNormalization({0.5f, 0.25f, 0.0f}, {0.5f, 0.25f, 1.0f}));
  EXPECT_EQ(x.sizes(), (std::vector<int64_t>{1, 3, 2, 2}));
  EXPECT_FLOAT_EQ(x[0][0][0][0].item<float>(), 1.0f);
  EXPECT_FLOAT_EQ(x[0][1][1][1].item<float>(), 3.0f);
  EXPECT_FLOAT_EQ(x[0][2][0][1].item<float>(), 1.0f);
}

}  // namespace
}  // namespace legrad
