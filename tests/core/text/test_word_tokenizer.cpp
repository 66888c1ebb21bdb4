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

// Nothing the list cannot read is dropped silently: a word with an accent, another script or
// an emoji is named; a prompt of punctuation alone is empty.
TEST(WordTokenizer, UnreadableWordsAreNamedAndEmptyPromptsRefused) {
  const WordTokenizer t({"a", "photo", "of", "bag"});
  for (const std::string word : {"\xf0\x9f\x91\x9c", "ph\xc3\xb3to", "\xe6\x97\xa5\xe6\x9c\xac"}) {
    try {
      t.encode("a photo of a " + word);
      FAIL() << word << " accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("'" + word + "'"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(t.encode("a photo, of a bag!").size(), 5u);
  try {
    t.tokenize_prompts({"a bag", "!!!"}, 8);
    FAIL() << "an empty prompt accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("prompt 2 ('!!!') is empty"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace legrad
