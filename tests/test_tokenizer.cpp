#include <gtest/gtest.h>

#include "base/error.h"
#include "lab/golden.h"
#include "support.h"
#include "text/text_cleaner.h"
#include "text/clip_tokenizer.h"
#include "text/vocabulary.h"
#include "base/utf8.h"

namespace legrad {
namespace {

std::string unescape(const std::string& s) { return utf8_encode(html_unescape(utf8_decode(s))); }
std::string lower(const std::string& s) { return utf8_encode(python_lower(utf8_decode(s))); }

TEST(TextCleaner, HtmlUnescapeFollowsPython) {
  EXPECT_EQ(unescape("fish &amp; chips"), "fish & chips");
  EXPECT_EQ(unescape("&ampfoo"), "&foo");          // legacy name without ';'
  EXPECT_EQ(unescape("&hellip"), "&hellip");       // not a legacy name: needs ';'
  EXPECT_EQ(unescape("&hellip;"), "\u2026");
  EXPECT_EQ(unescape("&#x41;&#66;&#67"), "ABC");
  EXPECT_EQ(unescape("&#128;"), "\u20ac");          // Windows-1252 fallback
  EXPECT_EQ(unescape("&#0;"), "\ufffd");
  EXPECT_EQ(unescape("&#xD800;"), "\ufffd");
  EXPECT_EQ(unescape("&#99999999999999999999;"), "\ufffd");
  EXPECT_EQ(unescape("&#1;x"), "x");
  EXPECT_EQ(unescape("&bogus; & &; &#;"), "&bogus; & &; &#;");
}

TEST(TextCleaner, LowerCaseLikePython) {
  EXPECT_EQ(lower("ΣΊΣΥΦΟΣ"), "σίσυφος");  // final sigma
  EXPECT_EQ(lower("Σ"), "σ");
  EXPECT_EQ(lower("İ"), "i\u0307");
  EXPECT_EQ(lower("ÀÉÎ Straße"), "àéî straße");
}

TEST(TextCleaner, FtfyStyleFixes) {
  EXPECT_EQ(clean_text("  it’s “quoted”\t\n "), "it's \"quoted\"");
  EXPECT_EQ(clean_text("cafÃ© mojibake"), "café mojibake");
  EXPECT_EQ(clean_text("ﬁne ＦＵＬＬ"), "fine full");
  EXPECT_EQ(clean_text("e\u0301"), "\u00e9");  // NFC
  EXPECT_EQ(clean_text("\x1b[31mred\x1b[0m"), "red");
  EXPECT_EQ(clean_text("&lt;b&gt;"), "<b>");
  EXPECT_EQ(clean_text("a\u00a0b\u3000c"), "a b c");
  EXPECT_EQ(clean_text(""), "");
}

TEST(TextCleaner, InvalidUtf8IsAnError) {
  EXPECT_THROW(clean_text("bad \xff byte"), Error);
  EXPECT_THROW(clean_text("overlong \xc0\xaf"), Error);
  EXPECT_THROW(clean_text("surrogate \xed\xa0\x80"), Error);
  EXPECT_THROW(clean_text("cut \xe2\x82"), Error);
  // NUL is valid UTF-8: ftfy removes it as a control character.
  EXPECT_EQ(clean_text(std::string("nul\0inside", 10)), "nulinside");
}

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
  EXPECT_EQ(ids[0], tok.start_token());
  EXPECT_EQ(ids[4], tok.end_token());
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
  EXPECT_EQ(ids.back(), tok.end_token());
}

TEST_F(SyntheticVocab, InvalidUtf8AndMissingFiles) {
  const auto loaded = load_tokenizer(dir_.file("vocab.json"));
  const TextTokenizer& tok = *loaded;
  EXPECT_THROW(tok.encode("\xc3"), Error);
  EXPECT_THROW(load_tokenizer(dir_.file("nope.txt.gz")), Error);
  test::write_text(dir_.file("broken.gz"), "not gzip at all");
  EXPECT_THROW(load_tokenizer(dir_.file("broken.gz")), Error);
}

TEST(GoldenTokenizer, AllCasesMatchTheReference) {
  const std::string golden = test::golden_dir();
  if (golden.empty()) GTEST_SKIP() << "../shared/golden is absent: tokenizer golden cases skipped";
  const GoldenReport report = run_tokenizer_cases(golden + "/tokenizer_cases.json",
                                                  golden + "/bpe_simple_vocab_16e6.txt.gz");
  EXPECT_EQ(report.checks.size(), 44u);
  for (const auto& c : report.checks) EXPECT_TRUE(c.passed) << c.name << ": " << c.detail;
}

}  // namespace
}  // namespace legrad
