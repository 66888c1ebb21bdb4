// SigLIP's SentencePiece tokenizer: framing, cleaning, errors. (Its ids against
// python3-sentencepiece: tests/python/test_sentencepiece.py.)
#include <gtest/gtest.h>

#include "base/error.h"
#include "support.h"
#include "text/sentencepiece_tokenizer.h"
#include "text/vocabulary.h"

namespace legrad {
namespace {

class SentencePiece : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string why = test::write_sentencepiece_model(dir_.file("spiece.model"));
    if (!why.empty()) GTEST_SKIP() << why;
    tokenizer_ = load_tokenizer(dir_.path());
  }
  test::TempDir dir_;
  std::shared_ptr<const TextTokenizer> tokenizer_;
};

TEST_F(SentencePiece, FoundBesideTheModelAndFramedAsSiglip) {
  ASSERT_NE(dynamic_cast<const SentencePieceTokenizer*>(tokenizer_.get()), nullptr);
  EXPECT_EQ(find_vocabulary(dir_.path()), dir_.file("spiece.model"));
  const TokenFraming f = tokenizer_->framing();
  EXPECT_FALSE(f.start.has_value());
  EXPECT_EQ(f.end, 1);
  EXPECT_EQ(f.pad, 1);  // SigLIP pads with its end token
  const auto body = tokenizer_->encode("a photo of a cat");
  ASSERT_FALSE(body.empty());
  const auto ids = tokenizer_->tokenize("a photo of a cat", 64);
  ASSERT_EQ(ids.size(), 64u);
  EXPECT_TRUE(std::equal(body.begin(), body.end(), ids.begin()));
  for (size_t i = body.size(); i < ids.size(); ++i) EXPECT_EQ(ids[i], 1) << i;
}

TEST_F(SentencePiece, CleansAsCanonicalize) {
  EXPECT_EQ(tokenizer_->encode("A_Photo, of a CAT!!"), tokenizer_->encode("a photo of a cat"));
  EXPECT_EQ(tokenizer_->encode("  a \t photo\n"), tokenizer_->encode("a photo"));
}

TEST_F(SentencePiece, LongTextsKeepTheEndTokenAndEmptyPromptsAreErrors) {
  std::string text;
  for (int i = 0; i < 40; ++i) text += "the cat on the mat ";
  bool truncated = false;
  const auto ids = tokenizer_->tokenize(text, 16, &truncated);
  EXPECT_TRUE(truncated);
  EXPECT_EQ(ids.size(), 16u);
  EXPECT_EQ(ids.back(), 1);
  EXPECT_NE(ids[14], 1);
  EXPECT_THROW(tokenizer_->tokenize_prompts({"!!!"}, 16), Error);  // empty once cleaned
}

TEST(SentencePieceFiles, MissingOrCorruptModelsAreNamed) {
  test::TempDir dir;
  if (!sentencepiece_available())
    GTEST_SKIP() << "SentencePiece is not available in sanitizer builds";
  EXPECT_NE(
      test::error_of([&] { SentencePieceTokenizer t(dir.file("none.model")); }).find("none.model"),
      std::string::npos);
  test::write_text(dir.file("tokenizer.model"), "not a protocol buffer at all");
  const std::string what = test::error_of([&] { load_tokenizer(dir.path()); });
  EXPECT_NE(what.find("tokenizer.model: not a SentencePiece model"), std::string::npos) << what;
}

}  // namespace
}  // namespace legrad
