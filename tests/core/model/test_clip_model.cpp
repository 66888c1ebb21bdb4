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
  EXPECT_TRUE(wrapped.quick_gelu);
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
  EXPECT_NE(
      error_of([&] { locate_model_files(dir.path()); }).find("no open_clip_model.safetensors"),
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
  cfg.quick_gelu = true;
  test::write_text(dir.file("open_clip_config.json"), clip_config_to_json(cfg));
  const auto quick = load_clip_model(locate_model_files(dir.path()), c10::Device(c10::kCPU));
  EXPECT_EQ(quick->activation(), Activation::QuickGelu);
  const at::Tensor tokens = at::randint(0, 600, {2, 16}, at::kLong);
  const at::Tensor a = gelu->encode_text(tokens), b = quick->encode_text(tokens);
  EXPECT_FALSE(a.allclose(b));
  EXPECT_TRUE(a.norm(2, {-1}).allclose(at::ones({2}), 1e-5));
}

}  // namespace
}  // namespace legrad
