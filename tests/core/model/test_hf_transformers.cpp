// A Hugging Face transformers CLIPModel folder (config.json, model.safetensors with its own
// names, vocab.json + merges.txt) loads as the open_clip model it is: the golden formats case
// made from the same weights gives open_clip's embeddings, and explanations equal those of the
// open_clip file.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "base/error.h"
#include "engine/engine.h"
#include "engine/model_files.h"
#include "model/clip_model.h"
#include "model/hf_transformers.h"
#include "model/safetensors.h"
#include "support.h"
#include "torch_save.h"

namespace legrad {
namespace {

at::Tensor json_matrix(const nlohmann::json& j) {
  std::vector<at::Tensor> rows;
  for (const auto& row : j) rows.push_back(at::tensor(row.get<std::vector<float>>()));
  return at::stack(rows);
}

TEST(HfLayout, GoldenFormatGivesTheReferenceEmbeddingsAndTheSameMaps) {
  const std::string golden = test::golden_dir();
  if (golden.empty()) GTEST_SKIP() << "../shared/golden is absent: format case skipped";
  const std::string dir = golden + "/formats/vit_p16_224/hf_transformers";
  const auto expected = nlohmann::json::parse(std::ifstream(dir + "/expected.json"));
  const double tolerance = expected["tolerance_abs"].get<double>();

  const auto loaded = load_model(model_request(dir, "", "cpu", "fp32"));
  EXPECT_EQ(loaded->files.hf_config, dir + "/config.json");
  const SafetensorsFile io(golden + "/vit_p16_224/io.safetensors");
  const at::Tensor pixels = io.load("pixel_values", at::kFloat);
  std::vector<std::vector<int64_t>> token_rows =
      expected["inputs"]["text_tokens"].get<std::vector<std::vector<int64_t>>>();
  std::vector<at::Tensor> rows;
  for (const auto& r : token_rows) rows.push_back(at::tensor(r, at::kLong));
  const at::Tensor tokens = at::stack(rows);
  const at::Tensor image = loaded->model->encode_image(pixels)[0];
  const at::Tensor text = loaded->model->encode_text(tokens);
  EXPECT_LT((image - at::tensor(expected["image_embedding"].get<std::vector<float>>()))
                .abs()
                .max()
                .item<double>(),
            tolerance);
  EXPECT_LT((text - json_matrix(expected["text_embeddings"])).abs().max().item<double>(),
            tolerance);

  // Its own tokenizer files (vocab.json + merges.txt) and the open_clip file of the same
  // weights: the same explanation.
  const LegradEngine a(ModelRequest{dir}),
      b(ModelRequest{golden + "/vit_p16_224", golden + "/bpe_simple_vocab_16e6.txt.gz"});
  const at::Tensor frame = test::test_picture(120, 160);
  const Explanation ea = a.explain(image_view(frame), a.encode_prompts({"a red circle"}));
  const Explanation eb = b.explain(image_view(frame), b.encode_prompts({"a red circle"}));
  EXPECT_TRUE(ea.heatmaps.allclose(eb.heatmaps, 0, 1e-5));
}

// The same checkpoint split in two shards with an index, as large models ship, loads the same;
// a broken index is an error naming the file.
TEST(HfLayout, ShardedCheckpointsLoadTheSame) {
  const std::string golden = test::golden_dir();
  if (golden.empty()) GTEST_SKIP() << "../shared/golden is absent: format case skipped";
  const std::string dir = golden + "/formats/vit_p16_224/hf_transformers";
  test::TempDir sharded;
  for (const char* f : {"config.json", "preprocessor_config.json", "vocab.json", "merges.txt"}) {
    std::ifstream in(dir + "/" + f, std::ios::binary);
    std::ofstream(sharded.file(f), std::ios::binary) << in.rdbuf();
  }
  const SafetensorsFile whole(dir + "/model.safetensors");
  NamedTensors shards[2];
  nlohmann::json map;
  for (size_t i = 0; i < whole.tensors().size(); ++i) {
    const std::string& name = whole.tensors()[i].name;
    at::Tensor t = whole.load(name, at::kFloat);
    if (name == "logit_scale") t = t.reshape({});  // as real CLIPModel checkpoints store it
    shards[i % 2].emplace_back(name, t);
    map[name] = "model-0000" + std::to_string(i % 2 + 1) + "-of-00002.safetensors";
  }
  for (int s = 0; s < 2; ++s)
    write_safetensors(sharded.file("model-0000" + std::to_string(s + 1) + "-of-00002.safetensors"),
                      shards[s]);
  std::ofstream(sharded.file("model.safetensors.index.json"))
      << nlohmann::json{{"weight_map", map}};

  const auto a = load_model(model_request(dir, "", "cpu", "fp32"));
  const auto b = load_model(model_request(sharded.path(), "", "cpu", "fp32"));
  const at::Tensor pixels = at::rand({1, 3, 224, 224});
  EXPECT_TRUE(a->model->encode_image(pixels).equal(b->model->encode_image(pixels)));
  ASSERT_TRUE(b->model->logit_scale().defined());
  EXPECT_TRUE(b->model->logit_scale().equal(a->model->logit_scale()));

  map[whole.tensors()[0].name] = "../elsewhere.safetensors";
  std::ofstream(sharded.file("model.safetensors.index.json"))
      << nlohmann::json{{"weight_map", map}};
  try {
    load_model(model_request(sharded.path(), "", "cpu", "fp32"));
    FAIL() << "a shard outside the folder was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("model.safetensors.index.json"), std::string::npos)
        << e.what();
  }
  std::ofstream(sharded.file("model.safetensors.index.json")) << "{\"weight_map\": 3}";
  EXPECT_THROW(load_model(model_request(sharded.path(), "", "cpu", "fp32")), Error);
}

// Older transformers repositories ship pytorch_model.bin (torch.save) instead of safetensors.
TEST(HfLayout, PytorchModelBinLoadsTheSame) {
  const std::string golden = test::golden_dir();
  if (golden.empty()) GTEST_SKIP() << "../shared/golden is absent: format case skipped";
  const std::string dir = golden + "/formats/siglip_p16_224/hf_transformers";
  test::TempDir bin;
  for (const char* f : {"config.json", "preprocessor_config.json"}) {
    std::ifstream in(dir + "/" + f, std::ios::binary);
    std::ofstream(bin.file(f), std::ios::binary) << in.rdbuf();
  }
  const SafetensorsFile whole(dir + "/model.safetensors");
  NamedTensors tensors;
  for (const auto& t : whole.tensors()) tensors.emplace_back(t.name, whole.load(t.name));
  test::write_torch_archive(bin.file("pytorch_model.bin"), test::state_dict_pickle(tensors),
                            tensors);
  const ModelFiles files = locate_model_files(bin.path());
  EXPECT_EQ(files.layout(), "Hugging Face transformers (torch.save archive)");
  const auto a = load_clip_model(locate_model_files(dir), at::kCPU);
  const auto b = load_clip_model(files, at::kCPU);
  const at::Tensor pixels = at::rand({1, 3, 224, 224});
  EXPECT_TRUE(a->encode_image(pixels).equal(b->encode_image(pixels)));
}

TEST(HfLayout, OtherTransformersModelsAreNamedNotGuessed) {
  test::TempDir dir;
  std::ofstream(dir.file("config.json")) << R"({"model_type": "blip"})";
  std::ofstream(dir.file("model.safetensors")) << "not read";
  try {
    load_model(model_request(dir.path(), "", "cpu", "fp32"));
    FAIL() << "a BLIP config was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("model_type 'blip' is not supported"), std::string::npos)
        << e.what();
  }
  std::ofstream(dir.file("config.json")) << R"({"model_type": "siglip2"})";
  EXPECT_NE(test::error_of([&] {
              load_model(model_request(dir.path(), "", "cpu", "fp32"));
            }).find("NaFlex"),
            std::string::npos);
}

// Absent keys take transformers' defaults (the hub's SigLIP configs leave most out); present
// keys of the wrong kind are errors naming the key.
TEST(HfLayout, ConfigDefaultsAndErrors) {
  EXPECT_TRUE(is_supported_hf_config(R"({"model_type": "clip"})"));
  EXPECT_TRUE(is_supported_hf_config(R"({"model_type": "siglip"})"));
  EXPECT_FALSE(is_supported_hf_config(R"({"model_type": "siglip2"})"));
  EXPECT_FALSE(is_supported_hf_config("not json"));
  EXPECT_EQ(hf_model_type(R"({"model_type": 3})"), "");

  const ClipConfig clip = parse_hf_config(R"({"model_type": "clip"})", "config.json");
  EXPECT_EQ(clip.vision.patch_size, 32);
  EXPECT_EQ(clip.text.context_length, 77);
  EXPECT_EQ(clip.embed_dim, 512);
  EXPECT_EQ(clip.activation, Activation::QuickGelu);
  EXPECT_FALSE(clip.siglip());

  const ClipConfig siglip = parse_hf_config(
      R"({"model_type": "siglip", "text_config": {"model_type": "siglip_text_model"}})",
      "config.json");
  EXPECT_TRUE(siglip.siglip());
  EXPECT_EQ(siglip.activation, Activation::GeluTanh);
  EXPECT_EQ(siglip.vision.patch_size, 16);
  EXPECT_EQ(siglip.text.context_length, 64);
  EXPECT_EQ(siglip.text.vocab_size, 32000);
  EXPECT_EQ(siglip.text.pool, TextPool::Last);
  EXPECT_FALSE(siglip.text.causal_mask);
  EXPECT_DOUBLE_EQ(siglip.vision.norm_eps, 1e-6);
  EXPECT_EQ(siglip.embed_dim, 768);
  EXPECT_EQ(siglip.mean[0], 0.5f);

  const std::pair<const char*, const char*> bad[] = {
      {R"({"model_type": "clip", "vision_config": {"image_size": "big"}})",
       "vision_config: 'image_size'"},
      {R"({"model_type": "clip", "vision_config": {"hidden_act": "relu"}})", "hidden_act 'relu'"},
      {R"({"model_type": "clip", "vision_config": {"hidden_act": "gelu"}})", "hidden_act differ"},
      {R"({"model_type": "clip", "text_config": {"layer_norm_eps": -1}})", "layer_norm_eps"},
      {R"({"model_type": "clip", "vision_config": {"image_size": 100}})", "multiple of patch"},
      {R"({"model_type": "siglip", "text_config": {"projection_size": 32}})",
       "differs from the image tower's width"},
      {R"({"model_type": "clip", "vision_config": 3})", "'vision_config' is not an object"},
  };
  for (const auto& [json, message] : bad) {
    try {
      parse_hf_config(json, "config.json");
      ADD_FAILURE() << "accepted: " << json;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("config.json"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace legrad
