// Model folders: where the weights, the config and the tokenizer vocabulary are found.
#include <gtest/gtest.h>

#include <cstdio>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "engine/engine.h"
#include "engine/model_files.h"
#include "lab/random_init.h"
#include "support.h"
#include "text/tokenizer.h"

namespace legrad {
namespace {

TEST(WordTokenizer, ModelConfigNamesItsTokenizer) {
  test::TempDir dir;
  ClipConfig cfg = test::tiny_config();
  test::write_tiny_model(dir.path(), cfg);
  test::write_text(dir.file("words.txt"), "a\ncat\ndog\n");
  nlohmann::json config = nlohmann::json::parse(clip_config_to_json(cfg));
  config["tokenizer"] = "words.txt";
  test::write_text(dir.file("open_clip_config.json"), config.dump());
  EXPECT_EQ(locate_model_files(dir.path()).vocab, dir.file("words.txt"));
  const LegradEngine engine(ModelRequest{dir.path()});
  EXPECT_EQ(engine.tokenizer().vocab_size(), 6u);
  EXPECT_EQ(engine.encode_prompts({"a cat"}).embeddings.size(0), 1);
  EXPECT_THROW(engine.encode_prompts({"a forklift"}), Error);
  config["tokenizer"] = "missing.txt";
  test::write_text(dir.file("open_clip_config.json"), config.dump());
  EXPECT_THROW(locate_model_files(dir.path()), Error);
}

// A config that does not parse is an error naming the file and where in it, never a
// fallback to inferring the architecture from the tensor shapes.
TEST(ModelFiles, BrokenConfigsAreErrorsWithThePosition) {
  test::TempDir dir;
  test::write_tiny_model(dir.path(), test::tiny_config());
  test::write_text(dir.file("open_clip_config.json"), "{\"embed_dim\": 32,\n \"vision_cfg\": {,}}");
  std::string e =
      test::error_of([&] { load_clip_model(locate_model_files(dir.path()), at::kCPU); });
  EXPECT_NE(e.find("open_clip_config.json: not well-formed JSON (parse error at line 2, column"),
            std::string::npos)
      << e;
  test::TempDir hf;
  test::write_tiny_model(hf.path(), test::tiny_config());
  ASSERT_EQ(std::rename(hf.file("open_clip_model.safetensors").c_str(),
                        hf.file("model.safetensors").c_str()),
            0);
  ASSERT_EQ(std::remove(hf.file("open_clip_config.json").c_str()), 0);
  test::write_text(hf.file("config.json"), "{\"model_type\": \"clip\",,}");
  e = test::error_of([&] { locate_model_files(hf.path()); });
  EXPECT_NE(e.find("config.json: not well-formed JSON (parse error at line 1, column"),
            std::string::npos)
      << e;
}

}  // namespace
}  // namespace legrad
