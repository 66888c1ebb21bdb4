// Strict UTF-8 <-> code points (no overlongs, no surrogates, nothing past U+10FFFF).
#pragma once

#include <string>

namespace legrad {

// Throws legrad::Error("invalid UTF-8 at byte N") on malformed input.
std::u32string utf8_decode(const std::string& text);
// False (and no exception) on malformed input.
bool utf8_try_decode(const std::string& text, std::u32string& out);
std::string utf8_encode(const std::u32string& text);
void utf8_append(std::string& out, char32_t c);

}  // namespace legrad
