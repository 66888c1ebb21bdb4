// The word-list tokenizer of small models.
#include <gtest/gtest.h>

#include "base/error.h"
#include "text/word_tokenizer.h"

namespace legrad {
namespace {

TEST(WordTokenizer, FramesWordsAndRefusesUnknownOnes) {
  const WordTokenizer t({"a", "photo", "of", "t-shirt", "bag"});
  EXPECT_EQ(t.start_token(), 6);
  EXPECT_EQ(t.end_token(), 7);
  EXPECT_EQ(t.vocab_size(), 8u);
  EXPECT_EQ(t.tokenize("A photo of a T-Shirt!", 8), (std::vector<int64_t>{6, 1, 2, 3, 1, 4, 7, 0}));
  bool cut = false;
  EXPECT_EQ(t.tokenize("a a a a a a a a", 4, &cut), (std::vector<int64_t>{6, 1, 1, 7}));
  EXPECT_TRUE(cut);
  try {
    t.encode("a forklift");
    FAIL() << "unknown word accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("forklift"), std::string::npos);
  }
  EXPECT_THROW(WordTokenizer({}), Error);
  EXPECT_THROW(WordTokenizer({"a", "a"}), Error);
  EXPECT_THROW(WordTokenizer({"Two words"}), Error);
}

}  // namespace
}  // namespace legrad
