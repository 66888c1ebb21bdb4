// The open_clip config and the CLIP model loaded from safetensors.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cstdio>

#include "base/device.h"
#include "base/error.h"
#include "engine/model_files.h"
#include "lab/random_init.h"
#include "model/clip_config.h"
#include "model/clip_model.h"
#include "model/safetensors.h"
#include "support.h"

namespace legrad {
namespace {

using test::error_of;

TEST(ModelConfig, ParsesBareAndWrappedForms) {
  const ClipConfig tiny = test::tiny_config();
  const ClipConfig bare = parse_clip_config(clip_config_to_json(tiny), "bare");
  EXPECT_EQ(bare.vision.width, 32);
  EXPECT_EQ(bare.vision.heads(), 4);
  EXPECT_EQ(bare.vision.mlp_width, 64);
  EXPECT_EQ(bare.text.context_length, 16);
  const ClipConfig wrapped = parse_clip_config(
      R"({"model_cfg": {"embed_dim": 512, "quick_gelu": true,
                        "vision_cfg": {"image_size": [224, 224], "patch_size": 16, "width": 768, "layers": 12},
                        "text_cfg": {"width": 512, "heads": 8, "layers": 12}},
          "preprocess_cfg": {"mean": [0.5, 0.5, 0.5], "std": [0.25, 0.25, 0.25]}})",
      "wrapped");
  EXPECT_EQ(wrapped.activation, legrad::Activation::QuickGelu);
  EXPECT_EQ(wrapped.vision.image_size, 224);
  EXPECT_EQ(wrapped.vision.heads(), 12);
  EXPECT_FLOAT_EQ(wrapped.mean[1], 0.5f);
  EXPECT_FLOAT_EQ(wrapped.std[2], 0.25f);
}

TEST(ModelConfig, ErrorsNameTheKey) {
  EXPECT_NE(error_of([] { parse_clip_config("{", "c.json"); }).find("c.json"), std::string::npos);
  EXPECT_NE(
      error_of([] { parse_clip_config(R"({"vision_cfg": {}})", "c.json"); }).find("embed_dim"),
      std::string::npos);
  EXPECT_NE(error_of([] {
              parse_clip_config(
                  R"({"embed_dim": 8, "vision_cfg": {"timm_model_name": "x"}, "text_cfg": {}})",
                  "c");
            }).find("timm_model_name"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              parse_clip_config(R"({"embed_dim": 8, "vision_cfg": {"width": 100}, "text_cfg": {}})",
                                "c");
            }).find("head_width"),
            std::string::npos);
}

TEST(ModelConfig, SiglipTowersByTimmNameOrArguments) {
  const ClipConfig known = parse_clip_config(
      R"({"embed_dim": 768, "custom_text": true,
          "vision_cfg": {"image_size": 224, "timm_model_name": "vit_base_patch16_siglip_224",
                         "timm_pool": "map", "timm_proj": "none"},
          "text_cfg": {"context_length": 64, "vocab_size": 32000, "width": 768, "heads": 12,
                       "layers": 12, "no_causal_mask": true, "proj_bias": true,
                       "pool_type": "last", "norm_kwargs": {"eps": 1e-6}}})",
      "siglip.json");
  EXPECT_TRUE(known.siglip());
  EXPECT_STREQ(known.family(), "SigLIP");
  EXPECT_EQ(known.vision.width, 768);
  EXPECT_EQ(known.vision.layers, 12);
  EXPECT_EQ(known.vision.heads(), 12);
  EXPECT_EQ(known.vision.patch_size, 16);
  EXPECT_DOUBLE_EQ(known.vision.norm_eps, 1e-6);
  EXPECT_EQ(known.text.pool, TextPool::Last);
  EXPECT_FALSE(known.text.causal_mask);
  EXPECT_TRUE(known.text.proj_bias && known.text.custom_text);
  EXPECT_DOUBLE_EQ(known.text.norm_eps, 1e-6);
  // The arguments form (what clip_config_to_json writes) round-trips.
  const ClipConfig tiny = test::tiny_siglip_config();
  const ClipConfig back = parse_clip_config(clip_config_to_json(tiny), "tiny");
  EXPECT_TRUE(back.siglip());
  EXPECT_EQ(back.vision.heads(), tiny.vision.heads());
  EXPECT_EQ(back.vision.mlp_width, tiny.vision.mlp_width);
  EXPECT_EQ(back.text.pool, TextPool::Last);
}

TEST(ModelConfig, SiglipErrorsNameTheProblem) {
  auto parse = [](const std::string& vision, int embed = 768) {
    return error_of([&] {
      parse_clip_config(R"({"embed_dim": )" + std::to_string(embed) + R"(, "vision_cfg": )" +
                            vision + R"(, "text_cfg": {"width": 768, "heads": 12}})",
                        "c.json");
    });
  };
  const std::string unknown = parse(R"({"timm_model_name": "vit_tiny", "timm_pool": "map"})");
  EXPECT_NE(unknown.find("vit_tiny"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("vit_base_patch16_siglip_224"), std::string::npos) << unknown;
  EXPECT_NE(parse(R"({"timm_model_name": "vit_base_patch16_siglip_224", "timm_pool": "avg"})")
                .find("only SigLIP's"),
            std::string::npos);
  EXPECT_NE(parse(R"({"timm_model_name": "vit_base_patch16_siglip_224", "timm_pool": "map"})", 512)
                .find("embed_dim 512"),
            std::string::npos);
}

TEST(ModelLoading, SiglipModelsLoadAndEncode) {
  test::TempDir dir;
  test::write_tiny_model(dir.path(), test::tiny_siglip_config());
  const auto model = load_clip_model(locate_model_files(dir.path()), c10::Device(c10::kCPU));
  ASSERT_TRUE(model->config().siglip());
  const at::Tensor image = model->encode_image(at::randn({2, 3, 32, 32}));
  EXPECT_EQ(image.sizes(), (std::vector<int64_t>{2, 32}));
  EXPECT_TRUE(image.norm(2, {-1}).allclose(at::ones({2}), 1e-5));
  EXPECT_EQ(model->positional_embedding(32).sizes(), (std::vector<int64_t>{16, 32}));
  EXPECT_EQ(model->positional_embedding(48).sizes(), (std::vector<int64_t>{36, 32}));
  // No causal mask and last-position pooling: the first token reaches the last position, and
  // padding after the text changes the embedding (SigLIP pads to the context length).
  at::Tensor tokens = at::ones({2, 16}, at::kLong);
  tokens[1][0] = 5;
  const at::Tensor text = model->encode_text(tokens);
  EXPECT_FALSE(text[0].allclose(text[1]));
  EXPECT_THROW(model->project_image(at::randn({1, 32})), Error);

  NamedTensors weights = random_clip_weights(test::tiny_siglip_config(), 1);
  weights.erase(
      std::remove_if(weights.begin(), weights.end(),
                     [](const auto& w) { return w.first == "visual.trunk.attn_pool.latent"; }),
      weights.end());
  write_safetensors(dir.file("open_clip_model.safetensors"), weights);
  EXPECT_NE(error_of([&] {
              load_clip_model(locate_model_files(dir.path()), c10::Device(c10::kCPU));
            }).find("'visual.trunk.attn_pool.latent' is missing"),
            std::string::npos);
}

TEST(ModelLoading, ShapeMismatchNamesKeyAndBothShapes) {
  test::TempDir dir;
  ClipConfig cfg = test::tiny_config();
  test::write_tiny_model(dir.path(), cfg);
  ClipConfig other = cfg;
  other.embed_dim = 24;
  test::write_text(dir.file("open_clip_config.json"), clip_config_to_json(other));
  const std::string what =
      error_of([&] { load_clip_model(locate_model_files(dir.path()), c10::Device(c10::kCPU)); });
  EXPECT_NE(what.find("'visual.proj'"), std::string::npos) << what;
  EXPECT_NE(what.find("[32, 16]"), std::string::npos) << what;
  EXPECT_NE(what.find("[32, 24]"), std::string::npos) << what;
}

TEST(ModelLoading, MissingTensorAndExtraBlocks) {
  test::TempDir dir;
  const ClipConfig cfg = test::tiny_config();
  NamedTensors weights = random_clip_weights(cfg, 1);
  weights.erase(std::remove_if(weights.begin(), weights.end(),
                               [](const auto& w) { return w.first == "ln_final.bias"; }),
                weights.end());
  write_safetensors(dir.file("model.safetensors"), weights);
  test::write_text(dir.file("config.json"), clip_config_to_json(cfg));
  EXPECT_NE(error_of([&] {
              load_clip_model(locate_model_files(dir.path()), c10::Device(c10::kCPU));
            }).find("'ln_final.bias' is missing"),
            std::string::npos);
  ClipConfig shallow = cfg;
  shallow.vision.layers = 2;
  write_safetensors(dir.file("model.safetensors"), random_clip_weights(cfg, 1));
  test::write_text(dir.file("config.json"), clip_config_to_json(shallow));
  EXPECT_NE(error_of([&] {
              load_clip_model(locate_model_files(dir.path()), c10::Device(c10::kCPU));
            }).find("more than the 2 blocks"),
            std::string::npos);
}

TEST(ModelLoading, InfersTheArchitectureWithoutAConfig) {
  test::TempDir dir;
  ClipConfig cfg = test::tiny_config();
  cfg.vision.width = 64;
  cfg.vision.head_width = 64;
  cfg.vision.mlp_width = 128;
  cfg.text.width = 64;
  cfg.text.heads = 1;
  cfg.text.mlp_width = 96;
  write_safetensors(dir.file("weights.safetensors"), random_clip_weights(cfg, 5));
  const ModelFiles files = locate_model_files(dir.file("weights.safetensors"));
  EXPECT_TRUE(files.config.empty());
  const auto model = load_clip_model(files, c10::Device(c10::kCPU));
  const ClipConfig& got = model->config();
  EXPECT_EQ(got.vision.image_size, 32);
  EXPECT_EQ(got.vision.patch_size, 8);
  EXPECT_EQ(got.vision.layers, 3);
  EXPECT_EQ(got.vision.heads(), 1);
  EXPECT_EQ(got.vision.mlp_width, 128);
  EXPECT_EQ(got.text.layers, 2);
  EXPECT_EQ(got.text.mlp_width, 96);
  EXPECT_EQ(got.embed_dim, 16);
}

TEST(ModelLoading, MissingOrCorruptModelFiles) {
  test::TempDir dir;
  EXPECT_NE(error_of([&] { locate_model_files(dir.file("none")); }).find("not found"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              locate_model_files(dir.path());
            }).find("no model weights in this folder (looked for open_clip_model.safetensors"),
            std::string::npos);
  test::write_text(dir.file("model.safetensors"), "garbage that is not safetensors");
  EXPECT_NE(error_of([&] {
              load_clip_model(locate_model_files(dir.path()), c10::Device(c10::kCPU));
            }).find("model.safetensors"),
            std::string::npos);
}

TEST(ModelLoading, QuickGeluChangesTheTowers) {
  test::TempDir dir;
  ClipConfig cfg = test::tiny_config();
  test::write_tiny_model(dir.path(), cfg);
  const auto gelu = load_clip_model(locate_model_files(dir.path()), c10::Device(c10::kCPU));
  cfg.activation = legrad::Activation::QuickGelu;
  test::write_text(dir.file("open_clip_config.json"), clip_config_to_json(cfg));
  const auto quick = load_clip_model(locate_model_files(dir.path()), c10::Device(c10::kCPU));
  EXPECT_EQ(quick->activation(), Activation::QuickGelu);
  const at::Tensor tokens = at::randint(0, 600, {2, 16}, at::kLong);
  const at::Tensor a = gelu->encode_text(tokens), b = quick->encode_text(tokens);
  EXPECT_FALSE(a.allclose(b));
  EXPECT_TRUE(a.norm(2, {-1}).allclose(at::ones({2}), 1e-5));
}

// Under CLIP's causal mask a prompt's embedding does not depend on the padding after its end
// token, which the text tower skips past the batch's longest prompt: a short prompt encodes the
// same alone (3 positions computed) as beside a long one (all 16).
TEST(ModelLoading, PaddingAfterTheLongestPromptChangesNothing) {
  test::TempDir dir;
  const ClipConfig cfg = test::tiny_config();
  ASSERT_TRUE(cfg.text.causal_mask);
  test::write_tiny_model(dir.path(), cfg);
  const auto model = load_clip_model(locate_model_files(dir.path()), c10::Device(c10::kCPU));
  const int64_t ctx = cfg.text.context_length, eot = cfg.text.vocab_size - 1;
  at::Tensor tokens = at::zeros({2, ctx}, at::kLong);
  tokens[0][0] = eot - 1, tokens[0][1] = 5, tokens[0][2] = eot;  // start, a word, end
  tokens[1] = at::randint(1, eot - 1, {ctx}, at::kLong);
  tokens[1][ctx - 1] = eot;
  const at::Tensor both = model->encode_text(tokens);
  const at::Tensor alone = model->encode_text(tokens.narrow(0, 0, 1));
  EXPECT_TRUE(alone[0].allclose(both[0], 1e-5, 1e-6));
}

}  // namespace
}  // namespace legrad
