// Every downloadable layout of the golden weights (../shared/golden/formats: open_clip hub
// .bin, transformers, OpenAI TorchScript) loads on its own and gives the embeddings open_clip
// computed from it; the TorchScript archive, loaded alone, gives its own heads and activation
// (4 heads and exact GELU here, where OpenAI's conventions would say 1 and QuickGELU).
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "base/file.h"
#include "engine/model_files.h"
#include "model/clip_model.h"
#include "model/safetensors.h"
#include "model/weight_source.h"
#include "support.h"

namespace legrad {
namespace {

at::Tensor json_tensor(const nlohmann::json& j) {
  if (!j.is_array() || j.empty() || !j[0].is_array())
    return at::tensor(j.get<std::vector<float>>());
  std::vector<at::Tensor> rows;
  for (const auto& row : j) rows.push_back(at::tensor(row.get<std::vector<float>>()));
  return at::stack(rows);
}

struct Layout {
  const char* folder;
  const char* model;  // the folder or the file in it that a user gives
  WeightFormat format;
  const char* convention;  // the expected.json section, "" for the top level
  // The architecture from the golden case's own config: the folder's names a timm tower that
  // only the generator registers (as `legrad golden --weights` reads it).
  bool case_config = false;
};

class GoldenLayout : public testing::TestWithParam<Layout> {};

TEST_P(GoldenLayout, GivesTheReferenceEmbeddings) {
  const std::string golden = test::golden_dir();
  if (golden.empty()) GTEST_SKIP() << "../shared/golden is absent: format case skipped";
  const Layout& l = GetParam();
  const std::string dir = golden + "/formats/" + l.folder;
  const auto expected = nlohmann::json::parse(std::ifstream(dir + "/expected.json"));
  const nlohmann::json& want = *l.convention ? expected[l.convention] : expected;
  const double tolerance = expected["tolerance_abs"].get<double>();

  const ModelFiles files = locate_model_files(*l.model ? dir + "/" + l.model : dir);
  EXPECT_EQ(files.format, l.format) << files.layout();
  const std::string case_name = expected["case"].get<std::string>();
  std::shared_ptr<ClipModel> model;
  if (l.case_config) {
    const auto weights = open_weights(files);
    const ModelFiles case_files = locate_model_files(golden + "/" + case_name);
    model = std::make_shared<ClipModel>(model_config(case_files, *weights), *weights, at::kCPU);
  } else {
    model = load_clip_model(files, at::kCPU);
  }
  const SafetensorsFile io(golden + "/" + case_name + "/io.safetensors");
  std::vector<at::Tensor> rows;
  for (const auto& r : expected["inputs"]["text_tokens"])
    rows.push_back(at::tensor(r.get<std::vector<int64_t>>(), at::kLong));
  const at::Tensor image = model->encode_image(io.load("pixel_values", at::kFloat))[0];
  const at::Tensor text = model->encode_text(at::stack(rows));
  EXPECT_LT((image - json_tensor(want["image_embedding"])).abs().max().item<double>(), tolerance);
  EXPECT_LT((text - json_tensor(want["text_embeddings"])).abs().max().item<double>(), tolerance);
  ASSERT_TRUE(model->logit_scale().defined());
  EXPECT_NEAR(model->logit_scale().item<double>(), expected["logit_scale"].get<double>(), 1e-6);
  if (expected.contains("logit_bias")) {
    EXPECT_NEAR(model->logit_bias().item<double>(), expected["logit_bias"].get<double>(), 1e-6);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Formats, GoldenLayout,
    testing::Values(Layout{"vit_p16_224/open_clip_hf", "", WeightFormat::TorchArchive, ""},
                    Layout{"vit_p16_224/hf_transformers", "", WeightFormat::Safetensors, ""},
                    Layout{"vit_p16_224/openai_jit", "model.pt", WeightFormat::TorchScript, ""},
                    Layout{"siglip_p16_224/open_clip_hf", "", WeightFormat::TorchArchive, "", true},
                    Layout{"siglip_p16_224/hf_transformers", "", WeightFormat::Safetensors, ""}),
    [](const testing::TestParamInfo<Layout>& info) {
      std::string name = info.param.folder;
      for (char& c : name)
        if (c == '/') c = '_';
      return name;
    });

}  // namespace
}  // namespace legrad
