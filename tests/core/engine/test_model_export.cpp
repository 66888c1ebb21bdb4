// `legrad info` and `legrad convert`: what a model holds, what was guessed, and a copy in
// open_clip's layout that reads back the same.
#include "engine/model_export.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <map>

#include "engine/model_files.h"
#include "support.h"

namespace legrad {
namespace {

void copy_file(const std::string& from, const std::string& to) {
  std::ifstream in(from, std::ios::binary);
  test::write_text(to, std::string((std::istreambuf_iterator<char>(in)), {}));
}

TEST(ModelExport, TheSummaryNamesTheTowersAndWhatWasGuessed) {
  const std::string bundled = default_model_path();
  const std::string with_config = describe_model(read_model(bundled));
  EXPECT_NE(with_config.find("heads 4"), std::string::npos) << with_config;
  EXPECT_EQ(with_config.find("guessed:"), std::string::npos) << with_config;

  test::TempDir bare;  // the same weights without their config
  for (const char* name : {"open_clip_model.safetensors", "words.txt"})
    copy_file(bundled + "/" + name, bare.file(name));
  const std::string guessed = describe_model(read_model(bare.path()));
  EXPECT_NE(guessed.find("guessed:     image tower heads: 2"), std::string::npos) << guessed;
  EXPECT_NE(guessed.find("mean and std"), std::string::npos) << guessed;
}

TEST(ModelExport, AConvertedFolderReadsBackTheSame) {
  test::TempDir dir, out;
  test::write_tiny_model(dir.path(), test::tiny_siglip_config());
  const ModelContents original = read_model(dir.path());
  write_open_clip_folder(original, out.path());
  const ModelContents back = read_model(out.path());
  EXPECT_EQ(back.files.layout(), "open_clip (safetensors, open_clip config)");
  EXPECT_EQ(back.parameters, original.parameters);
  ASSERT_EQ(back.tensors.size(), original.tensors.size());
  const std::map<std::string, at::Tensor> read_back(back.tensors.begin(), back.tensors.end());
  for (const auto& [name, tensor] : original.tensors)
    EXPECT_TRUE(read_back.at(name).equal(tensor)) << name;
  // The same towers, logits and normalisation (the tokenizer line names its new path).
  const auto towers = [](const std::string& summary) {
    const size_t from = summary.find("family:");
    return summary.substr(from, summary.find("tokenizer:") - from);
  };
  EXPECT_EQ(towers(describe_model(back)), towers(describe_model(original)));
}

}  // namespace
}  // namespace legrad
