// OpenAI's TorchScript archives: parameters, and what the modules record of the architecture.
#include "model/torchscript_weights.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/script.h>

#include "base/error.h"
#include "support.h"

namespace legrad {
namespace {

// A TorchScript archive as torch.jit.save writes OpenAI's: scripted modules that keep their
// num_heads attribute.
TEST(TorchScriptWeights, ScriptedModulesGiveTheirHeadCounts) {
  test::TempDir dir;
  const std::string path = dir.file("narrow.pt");
  {
    // num_heads on modules at the attention blocks' paths, as nn.MultiheadAttention has it.
    torch::jit::Module visual("__torch__.Visual"), transformer("__torch__.Transformer"),
        blocks("__torch__.Blocks"), block("__torch__.Block"), attn("__torch__.Attn");
    attn.register_attribute("num_heads", c10::IntType::get(), int64_t{3});
    attn.register_parameter("in_proj_weight", at::zeros({9, 3}), false);
    block.register_module("attn", attn);
    blocks.register_module("0", block);
    transformer.register_module("resblocks", blocks);
    visual.register_module("transformer", transformer);
    torch::jit::Module text_attn("__torch__.TextAttn"), text_block("__torch__.TextBlock"),
        text_blocks("__torch__.TextBlocks"), text("__torch__.Text");
    text_attn.register_attribute("num_heads", c10::IntType::get(), int64_t{3});
    text_block.register_module("attn", text_attn);
    text_blocks.register_module("0", text_block);
    text.register_module("resblocks", text_blocks);
    torch::jit::Module archive("__torch__.Archive");
    archive.register_module("visual", visual);
    archive.register_module("transformer", text);
    archive.save(path);
  }
  const TorchScriptWeights weights(path);
  EXPECT_EQ(weights.attention_heads("visual.transformer.resblocks.0.attn"), 3);
  EXPECT_EQ(weights.attention_heads("transformer.resblocks.0.attn"), 3);
  EXPECT_FALSE(weights.attention_heads("visual"));
}

TEST(TorchScriptWeights, OpenAIsGoldenArchiveRecordsItsHeadsAndActivation) {
  const std::string golden = test::golden_dir();
  if (golden.empty()) GTEST_SKIP() << "../shared/golden is absent";
  const TorchScriptWeights weights(golden + "/formats/vit_p16_224/openai_jit/model.pt");
  EXPECT_EQ(weights.attention_heads("visual.transformer.resblocks.0.attn"), 4)
      << "the traced code's divisor";
  EXPECT_EQ(weights.attention_heads("transformer.resblocks.1.attn"), 4);
  EXPECT_EQ(weights.activation(), Activation::Gelu);
  EXPECT_TRUE(weights.shape("visual.conv1.weight").has_value());
}

TEST(TorchScriptWeights, OtherFilesAreNamedErrors) {
  test::TempDir dir;
  test::write_text(dir.file("x.pt"), "not an archive");
  EXPECT_NE(test::error_of([&] { TorchScriptWeights w(dir.file("x.pt")); }).find("x.pt"),
            std::string::npos);
}

}  // namespace
}  // namespace legrad
