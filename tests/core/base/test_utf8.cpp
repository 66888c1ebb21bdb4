// Strict UTF-8: every code point round-trips; overlongs, surrogates and truncations are refused.
#include "base/utf8.h"

#include <gtest/gtest.h>

#include "base/error.h"

namespace legrad {
namespace {

TEST(Utf8, CodePointsRoundTrip) {
  const std::u32string text = U"a\u00e9\u20ac\U0001F600";
  const std::string bytes = utf8_encode(text);
  EXPECT_EQ(bytes, "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
  EXPECT_EQ(utf8_decode(bytes), text);
}

TEST(Utf8, MalformedInputIsRefusedWithItsPosition) {
  std::u32string out;
  for (const char* bad : {"\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "ab\xe2\x82"})
    EXPECT_FALSE(utf8_try_decode(bad, out)) << bad;
  try {
    utf8_decode("ab\xff");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("byte 2"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace legrad
