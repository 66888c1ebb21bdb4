// CLIP's text cleaning (ftfy, HTML unescaping, lower case) as Python does it.
#include <gtest/gtest.h>

#include "base/error.h"
#include "base/utf8.h"
#include "text/text_cleaner.h"

namespace legrad {
namespace {

std::string unescape(const std::string& s) { return utf8_encode(html_unescape(utf8_decode(s))); }
std::string lower(const std::string& s) { return utf8_encode(python_lower(utf8_decode(s))); }

TEST(TextCleaner, HtmlUnescapeFollowsPython) {
  EXPECT_EQ(unescape("fish &amp; chips"), "fish & chips");
  EXPECT_EQ(unescape("&ampfoo"), "&foo");     // legacy name without ';'
  EXPECT_EQ(unescape("&hellip"), "&hellip");  // not a legacy name: needs ';'
  EXPECT_EQ(unescape("&hellip;"), "\u2026");
  EXPECT_EQ(unescape("&#x41;&#66;&#67"), "ABC");
  EXPECT_EQ(unescape("&#128;"), "\u20ac");  // Windows-1252 fallback
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

// SigLIP's cleaning: underscores to spaces, ASCII punctuation gone, lower case, one space.
TEST(Canonicalize, AsOpenClipsCanonicalizeText) {
  EXPECT_EQ(canonicalize_text("  A_Photo, of a CAT!! "), "a photo of a cat");
  EXPECT_EQ(canonicalize_text("d'un\u00a0chat\t\n(vert)"), "dun chat vert");
  EXPECT_EQ(canonicalize_text("ΣΊΣΥΦΟΣ 日本語 👜"), "σίσυφος 日本語 👜");
  EXPECT_EQ(canonicalize_text("!!! ..."), "");
  EXPECT_THROW(canonicalize_text("\xff"), Error);
}

TEST(TextCleaner, InvalidUtf8IsAnError) {
  EXPECT_THROW(clean_text("bad \xff byte"), Error);
  EXPECT_THROW(clean_text("overlong \xc0\xaf"), Error);
  EXPECT_THROW(clean_text("surrogate \xed\xa0\x80"), Error);
  EXPECT_THROW(clean_text("cut \xe2\x82"), Error);
  // NUL is valid UTF-8: ftfy removes it as a control character.
  EXPECT_EQ(clean_text(std::string("nul\0inside", 10)), "nulinside");
}

}  // namespace
}  // namespace legrad
