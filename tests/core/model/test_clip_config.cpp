// Model configs: open_clip's JSON read back, and architectures inferred from tensor shapes,
// with what shapes cannot tell read from the archive or named as a guess.
#include "model/clip_config.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "base/error.h"
#include "lab/random_init.h"
#include "model/torchscript_weights.h"
#include "model/weight_source.h"
#include "support.h"

namespace legrad {
namespace {

// An OpenAI-layout config whose widths are not multiples of 64 (head width 16).
ClipConfig narrow_config() {
  ClipConfig cfg = test::tiny_config();
  cfg.vision.width = 48;
  cfg.vision.head_width = 16;  // 3 heads
  cfg.vision.mlp_width = 96;
  cfg.text.width = 48;
  cfg.text.heads = 3;
  cfg.text.mlp_width = 96;
  return cfg;
}

// In-memory tensors whose archive records the attention modules' head counts.
class TensorsWithHeads : public TensorWeights {
 public:
  TensorsWithHeads(const NamedTensors& tensors, std::map<std::string, int64_t> heads)
      : TensorWeights(tensors, "with heads"), heads_(std::move(heads)) {}
  std::optional<int64_t> attention_heads(const std::string& module) const override {
    const auto it = heads_.find(module);
    return it == heads_.end() ? std::nullopt : std::optional<int64_t>(it->second);
  }

 private:
  std::map<std::string, int64_t> heads_;
};

bool mentions(const std::vector<std::string>& lines, const std::string& word) {
  return std::any_of(lines.begin(), lines.end(),
                     [&](const std::string& l) { return l.find(word) != std::string::npos; });
}

TEST(ClipConfig, TheHubFormReadsBackTheSameConfig) {
  const ClipConfig cfg = test::tiny_siglip_config();
  const ClipConfig back = parse_clip_config(clip_config_to_json(cfg), "round trip");
  EXPECT_EQ(back.vision.heads(), cfg.vision.heads());
  EXPECT_EQ(back.vision.pool, cfg.vision.pool);
  EXPECT_EQ(back.text.heads, cfg.text.heads);
  EXPECT_EQ(back.mean, cfg.mean);
  EXPECT_TRUE(back.guesses.empty()) << "a config guesses nothing";
}

TEST(ClipConfig, BadJsonIsNamed) {
  EXPECT_NE(
      test::error_of([] { parse_clip_config("{\"embed_dim\": ", "cfg.json"); }).find("cfg.json"),
      std::string::npos);
  EXPECT_NE(test::error_of([] {
              parse_clip_config(R"({"embed_dim": 8, "vision_cfg": {"width": "wide"}})", "c.json");
            }).find("width"),
            std::string::npos);
}

TEST(InferredConfig, HeadsFromTheArchiveWhereItRecordsThem) {
  const ClipConfig cfg = narrow_config();
  const NamedTensors tensors = random_clip_weights(cfg, 1);
  const TensorsWithHeads weights(
      tensors, {{"visual.transformer.resblocks.0.attn", 3}, {"transformer.resblocks.0.attn", 3}});
  const ClipConfig inferred = infer_clip_config(weights, Activation::QuickGelu, true);
  EXPECT_EQ(inferred.vision.heads(), 3);
  EXPECT_EQ(inferred.text.heads, 3);
  EXPECT_TRUE(inferred.guesses.empty()) << "OpenAI's own archive: its conventions are facts";
}

TEST(InferredConfig, WithoutHeadsOpenAIsConventionIsAGuessAndNarrowWidthsAreRefused) {
  const NamedTensors narrow = random_clip_weights(narrow_config(), 1);
  EXPECT_NE(test::error_of([&] {
              infer_clip_config(TensorWeights(narrow, "narrow"), Activation::Gelu, false);
            }).find("not a multiple of 64"),
            std::string::npos);
  ClipConfig wide = test::tiny_config();
  wide.vision.width = 128;
  wide.vision.head_width = 32;  // 4 heads, which shapes cannot tell from 2 of width 64
  wide.vision.mlp_width = 256;
  wide.text.width = 64;
  wide.text.heads = 2;
  wide.text.mlp_width = 128;
  const ClipConfig inferred = infer_clip_config(TensorWeights(random_clip_weights(wide, 1), "wide"),
                                                Activation::Gelu, false);
  EXPECT_EQ(inferred.vision.heads(), 2);
  EXPECT_TRUE(mentions(inferred.guesses, "image tower heads: 2"));
  EXPECT_TRUE(mentions(inferred.guesses, "text tower heads: 1"));
  EXPECT_TRUE(mentions(inferred.guesses, "mean and std"));
  EXPECT_TRUE(mentions(inferred.guesses, "activation"));
}

TEST(InferredConfig, OpenAIsGoldenArchiveHasFourHeads) {
  const std::string golden = test::golden_dir();
  if (golden.empty()) GTEST_SKIP() << "../shared/golden is absent";
  const TorchScriptWeights weights(golden + "/formats/vit_p16_224/openai_jit/model.pt");
  const ClipConfig inferred = infer_clip_config(weights, Activation::QuickGelu, true);
  EXPECT_EQ(inferred.vision.heads(), 4) << "the archive's num_heads, not width / 64";
  EXPECT_EQ(inferred.text.heads, 4);
  EXPECT_EQ(inferred.activation, Activation::Gelu) << "its GELU module, not OpenAI's QuickGELU";
  EXPECT_TRUE(inferred.guesses.empty());
}

}  // namespace
}  // namespace legrad
