// Model folders: where the weights, the config and the tokenizer vocabulary are found.
#include <gtest/gtest.h>

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
  EngineOptions o;
  o.model = dir.path();
  const LegradEngine engine(o);
  EXPECT_EQ(engine.tokenizer().vocab_size(), 6u);
  EXPECT_EQ(engine.encode_prompts({"a cat"}).embeddings.size(0), 1);
  EXPECT_THROW(engine.encode_prompts({"a forklift"}), Error);
  config["tokenizer"] = "missing.txt";
  test::write_text(dir.file("open_clip_config.json"), config.dump());
  EXPECT_THROW(locate_model_files(dir.path()), Error);
}

}  // namespace
}  // namespace legrad
