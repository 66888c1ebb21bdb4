// CLIP's BPE tokenizer on a small synthetic vocabulary, found by the vocabulary loader.
#include <gtest/gtest.h>

#include "base/error.h"
#include "support.h"
#include "text/clip_tokenizer.h"
#include "text/vocabulary.h"

namespace legrad {
namespace {

class SyntheticVocab : public ::testing::Test {
 protected:
  void SetUp() override { test::write_tiny_model(dir_.path(), test::tiny_config()); }
  test::TempDir dir_;
};

TEST_F(SyntheticVocab, MergesWordsAndFramesWithSpecialTokens) {
  const auto loaded = load_tokenizer(dir_.file("vocab.json"));
  const TextTokenizer& tok = *loaded;
  // write_tiny_model numbers bytes 0-255, then "<byte></w>", then the merges in order.
  const int64_t cat = 513, red = 517, a = 256 + 'a', bang = 256 + '!';
  EXPECT_EQ(tok.encode("A Cat"), (std::vector<int64_t>{a, cat}));
  EXPECT_EQ(tok.encode("red!"), (std::vector<int64_t>{red, bang}));
  const auto ids = tok.tokenize("a red cat", 16);
  EXPECT_EQ(ids[0], *tok.framing().start);
  EXPECT_EQ(ids[4], tok.framing().end);
  EXPECT_EQ(ids[5], 0);
  EXPECT_EQ(ids.size(), 16u);
}

TEST_F(SyntheticVocab, LongTextIsCutWithEndToken) {
  const auto loaded = load_tokenizer(dir_.path());
  const TextTokenizer& tok = *loaded;
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "x";
  bool truncated = false;
  const auto ids = tok.tokenize(text, 16, &truncated);
  EXPECT_TRUE(truncated);
  EXPECT_EQ(ids.size(), 16u);
  EXPECT_EQ(ids.back(), tok.framing().end);
}

TEST_F(SyntheticVocab, InvalidUtf8AndMissingFiles) {
  const auto loaded = load_tokenizer(dir_.file("vocab.json"));
  const TextTokenizer& tok = *loaded;
  EXPECT_THROW(tok.encode("\xc3"), Error);
  EXPECT_THROW(load_tokenizer(dir_.file("nope.txt.gz")), Error);
  test::write_text(dir_.file("broken.gz"), "not gzip at all");
  EXPECT_THROW(load_tokenizer(dir_.file("broken.gz")), Error);
}

}  // namespace
}  // namespace legrad
