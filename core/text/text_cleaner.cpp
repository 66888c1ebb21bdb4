#include "text/text_cleaner.h"

#include <glib.h>

#include <algorithm>
#include <cstdint>

#include "base/utf8.h"
#include "text/html_entities.h"

namespace legrad {
namespace {

// Windows-1252 for bytes 0x80-0x9F; the five undefined bytes map to the C1 control of the
// same value (Python's html module and ftfy's "sloppy" codec both do this).
constexpr char32_t kCp1252High[32] = {
    0x20AC, 0x81,   0x201A, 0x192,  0x201E, 0x2026, 0x2020, 0x2021, 0x2C6,  0x2030, 0x160,
    0x2039, 0x152,  0x8D,   0x17D,  0x8F,   0x90,   0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x2DC,  0x2122, 0x161,  0x203A, 0x153,  0x9D,   0x17E,  0x178};

// The byte a character came from if the text was decoded as sloppy Windows-1252, or -1.
int sloppy_1252_byte(char32_t c) {
  if (c < 0x80 || (c >= 0xA0 && c <= 0xFF)) return static_cast<int>(c);
  for (int i = 0; i < 32; ++i)
    if (kCp1252High[i] == c) return 0x80 + i;
  return -1;
}

bool is_ascii(const std::u32string& text) {
  return std::all_of(text.begin(), text.end(), [](char32_t c) { return c < 0x80; });
}

std::u32string from_utf8_unchecked(const std::string& s) {
  std::u32string out;
  utf8_try_decode(s, out);
  return out;
}

std::u32string normalize(const std::u32string& text, GNormalizeMode mode) {
  const std::string utf8 = utf8_encode(text);
  gchar* norm = g_utf8_normalize(utf8.data(), static_cast<gssize>(utf8.size()), mode);
  if (!norm) return text;
  std::u32string out = from_utf8_unchecked(norm);
  g_free(norm);
  return out;
}

// Length of a UTF-8 sequence that `text[i..]` spells in sloppy-1252 mojibake, or 0.
size_t mojibake_sequence(const std::u32string& text, size_t i, char32_t* decoded) {
  const int b0 = sloppy_1252_byte(text[i]);
  int extra = b0 >= 0xC2 && b0 <= 0xDF   ? 1
              : b0 >= 0xE0 && b0 <= 0xEF ? 2
              : b0 >= 0xF0 && b0 <= 0xF4 ? 3
                                         : 0;
  if (extra == 0 || i + extra >= text.size()) return 0;
  std::string bytes(1, static_cast<char>(b0));
  for (int k = 1; k <= extra; ++k) {
    const int b = sloppy_1252_byte(text[i + k]);
    if (b < 0x80 || b > 0xBF) return 0;
    bytes.push_back(static_cast<char>(b));
  }
  std::u32string out;
  if (!utf8_try_decode(bytes, out) || out.size() != 1) return 0;
  *decoded = out[0];
  return static_cast<size_t>(extra) + 1;
}

// ftfy's fix_encoding, narrowed to UTF-8 that was decoded as Latin-1/Windows-1252: the
// whole text when it re-encodes to valid UTF-8, else each such sequence in isolation.
std::u32string fix_encoding(const std::u32string& text) {
  if (is_ascii(text)) return text;
  char32_t decoded;
  bool bad = false;
  for (size_t i = 0; i < text.size() && !bad; ++i) bad = mojibake_sequence(text, i, &decoded) > 0;
  if (!bad) return text;
  std::string bytes;
  bool encodable = true;
  for (char32_t c : text) {
    const int b = sloppy_1252_byte(c);
    if (b < 0) {
      encodable = false;
      break;
    }
    bytes.push_back(static_cast<char>(b));
  }
  std::u32string whole;
  if (encodable && utf8_try_decode(bytes, whole)) return whole;
  std::u32string out;
  for (size_t i = 0; i < text.size();) {
    const size_t n = mojibake_sequence(text, i, &decoded);
    if (n) {
      out.push_back(decoded);
      i += n;
    } else {
      out.push_back(text[i++]);
    }
  }
  return out;
}

std::u32string fix_c1_controls(const std::u32string& text) {
  std::u32string out = text;
  for (char32_t& c : out)
    if (c >= 0x80 && c <= 0x9F) c = kCp1252High[c - 0x80];
  return out;
}

std::u32string fix_latin_ligatures(const std::u32string& text) {
  static const char32_t kLigatures[] = {0x132,  0x133,  0x149,  0x1C7,  0x1C8, 0x1C9,  0x1CA,
                                        0x1CB,  0x1CC,  0x1F1,  0x1F2,  0x1F3, 0xFB00, 0xFB01,
                                        0xFB02, 0xFB03, 0xFB04, 0xFB05, 0xFB06};
  std::u32string out;
  for (char32_t c : text) {
    if (std::find(std::begin(kLigatures), std::end(kLigatures), c) != std::end(kLigatures))
      out += normalize(std::u32string(1, c), G_NORMALIZE_NFKC);
    else
      out.push_back(c);
  }
  return out;
}

std::u32string fix_character_width(const std::u32string& text) {
  std::u32string out;
  for (char32_t c : text) {
    if (c == 0x3000)
      out.push_back(U' ');
    else if (c >= 0xFF01 && c <= 0xFFEF)
      out += normalize(std::u32string(1, c), G_NORMALIZE_NFKC);
    else
      out.push_back(c);
  }
  return out;
}

std::u32string uncurl_quotes(const std::u32string& text) {
  std::u32string out = text;
  for (char32_t& c : out) {
    if (c == 0x2BC || (c >= 0x2018 && c <= 0x201B))
      c = U'\'';
    else if (c >= 0x201C && c <= 0x201F)
      c = U'"';
  }
  return out;
}

std::u32string fix_line_breaks(const std::u32string& text) {
  std::u32string out;
  for (size_t i = 0; i < text.size(); ++i) {
    const char32_t c = text[i];
    if (c == U'\r') {
      out.push_back(U'\n');
      if (i + 1 < text.size() && text[i + 1] == U'\n') ++i;
    } else if (c == 0x2028 || c == 0x2029 || c == 0x85) {
      out.push_back(U'\n');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// ESC [ (digits|;)* letter
std::u32string remove_terminal_escapes(const std::u32string& text) {
  std::u32string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == 0x1B && i + 1 < text.size() && text[i + 1] == U'[') {
      size_t j = i + 2;
      while (j < text.size() && ((text[j] >= U'0' && text[j] <= U'9') || text[j] == U';')) ++j;
      if (j < text.size() &&
          ((text[j] >= U'a' && text[j] <= U'z') || (text[j] >= U'A' && text[j] <= U'Z'))) {
        i = j;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

bool is_control_char(char32_t c) {
  return c <= 0x08 || c == 0x0B || (c >= 0x0E && c <= 0x1F) || c == 0x7F ||
         (c >= 0x206A && c <= 0x206F) || c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFC) ||
         (c >= 0x1D173 && c <= 0x1D17A) || (c >= 0xE0000 && c <= 0xE007F);
}

std::u32string remove_control_chars(const std::u32string& text) {
  std::u32string out;
  for (char32_t c : text)
    if (!is_control_char(c)) out.push_back(c);
  return out;
}

bool is_alnum_ascii(char32_t c) {
  return (c >= U'0' && c <= U'9') || (c >= U'a' && c <= U'z') || (c >= U'A' && c <= U'Z');
}

// A numeric character reference as Python's html module decodes it.
std::u32string numeric_reference(const std::u32string& digits, bool hex) {
  uint64_t num = 0;
  for (char32_t c : digits) {
    const int v = c <= U'9' ? c - U'0' : (c | 0x20) - U'a' + 10;
    num = std::min<uint64_t>(num * (hex ? 16 : 10) + v, 0x110000);
  }
  if (num == 0) return U"\uFFFD";
  if (num == 0x0D) return U"\r";
  if (num >= 0x80 && num <= 0x9F) return std::u32string(1, kCp1252High[num - 0x80]);
  if ((num >= 0xD800 && num <= 0xDFFF) || num > 0x10FFFF) return U"\uFFFD";
  if ((num >= 0x1 && num <= 0x8) || (num >= 0xE && num <= 0x1F) || num == 0x7F || num == 0xB ||
      (num >= 0xFDD0 && num <= 0xFDEF) || (num & 0xFFFE) == 0xFFFE)
    return U"";
  return std::u32string(1, static_cast<char32_t>(num));
}

std::string ascii_of(const std::u32string& s) {
  std::string out;
  for (char32_t c : s) out.push_back(c < 0x80 ? static_cast<char>(c) : '?');
  return out;
}

// ftfy's unescape_html: only "&name;" / "&#...;" references of 1-24 ASCII alphanumerics.
std::u32string ftfy_unescape_html(const std::u32string& text) {
  std::u32string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != U'&') {
      out.push_back(text[i]);
      continue;
    }
    size_t j = i + 1;
    const bool numeric = j < text.size() && text[j] == U'#';
    if (numeric) ++j;
    const size_t name_begin = j;
    while (j < text.size() && j - name_begin < 24 && is_alnum_ascii(text[j])) ++j;
    if (j == name_begin || j >= text.size() || text[j] != U';') {
      out.push_back(text[i]);
      continue;
    }
    const std::u32string name = text.substr(name_begin, j - name_begin);
    std::u32string replacement;
    bool replaced = false;
    if (numeric) {
      replacement = html_unescape(text.substr(i, j + 1 - i));
      replaced = replacement.find(U';') == std::u32string::npos;
    } else if (const HtmlEntity* e = find_html_entity(ascii_of(name), true)) {
      replacement = std::u32string(1, e->code);
      replaced = true;
    } else {
      // "&NTILDE;" -> "Ñ": an upper-cased lower-case entity name.
      std::string lower = ascii_of(name);
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](char c) { return static_cast<char>(g_ascii_tolower(c)); });
      std::string upper = lower;
      std::transform(upper.begin(), upper.end(), upper.begin(),
                     [](char c) { return static_cast<char>(g_ascii_toupper(c)); });
      const HtmlEntity* lower_entity = find_html_entity(lower, true);
      if (lower_entity && upper == ascii_of(name)) {
        replacement = std::u32string(1, g_unichar_toupper(lower_entity->code));
        replaced = true;
      }
    }
    if (replaced) {
      out += replacement;
      i = j;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

std::u32string fix_segment(std::u32string text, bool unescape) {
  while (true) {
    const std::u32string before = text;
    if (unescape) text = ftfy_unescape_html(text);
    text = fix_encoding(text);
    text = fix_c1_controls(text);
    text = fix_latin_ligatures(text);
    text = fix_character_width(text);
    text = uncurl_quotes(text);
    text = fix_line_breaks(text);
    text = remove_terminal_escapes(text);
    text = remove_control_chars(text);
    text = normalize(text, G_NORMALIZE_NFC);
    if (text == before) return text;
  }
}

bool is_cased(char32_t c) {
  const GUnicodeType t = g_unichar_type(c);
  return t == G_UNICODE_UPPERCASE_LETTER || t == G_UNICODE_LOWERCASE_LETTER ||
         t == G_UNICODE_TITLECASE_LETTER;
}

bool is_case_ignorable(char32_t c) {
  switch (g_unichar_type(c)) {
    case G_UNICODE_NON_SPACING_MARK:
    case G_UNICODE_ENCLOSING_MARK:
    case G_UNICODE_FORMAT:
    case G_UNICODE_MODIFIER_LETTER:
    case G_UNICODE_MODIFIER_SYMBOL: return true;
    default: break;
  }
  static const char32_t kMid[] = {0x27,   0x2E,   0x3A,   0xB7,   0x55F,  0x5F4,  0x2018, 0x2019,
                                  0x2024, 0x2027, 0xFE13, 0xFE52, 0xFE55, 0xFF07, 0xFF0E, 0xFF1A};
  return std::find(std::begin(kMid), std::end(kMid), c) != std::end(kMid);
}

// Python's Final_Sigma context: cased letter, case-ignorables, SIGMA, not followed by a
// cased letter (case-ignorables skipped).
bool final_sigma(const std::u32string& text, size_t i) {
  size_t j = i;
  while (j > 0 && is_case_ignorable(text[j - 1])) --j;
  if (j == 0 || !is_cased(text[j - 1])) return false;
  size_t k = i + 1;
  while (k < text.size() && is_case_ignorable(text[k])) ++k;
  return k == text.size() || !is_cased(text[k]);
}

std::u32string strip(const std::u32string& text) {
  size_t b = 0, e = text.size();
  while (b < e && python_isspace(text[b])) ++b;
  while (e > b && python_isspace(text[e - 1])) --e;
  return text.substr(b, e - b);
}

}  // namespace

bool python_isspace(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
         c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
         c == 0x205F || c == 0x3000;
}

std::u32string ftfy_fix_text(const std::u32string& text) {
  // ftfy fixes line by line; once a line holds '<' it stops unescaping HTML for good.
  std::u32string out;
  bool unescape = true;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t brk = text.find(U'\n', pos);
    brk = brk == std::u32string::npos ? text.size() : brk + 1;
    const std::u32string segment = text.substr(pos, brk - pos);
    if (segment.find(U'<') != std::u32string::npos) unescape = false;
    out += fix_segment(segment, unescape);
    pos = brk;
  }
  return out;
}

std::u32string html_unescape(const std::u32string& text) {
  static const std::u32string kNameStop = U"\t\n\f <&#;";
  std::u32string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != U'&' || i + 1 >= text.size()) {
      out.push_back(text[i]);
      continue;
    }
    size_t j = i + 1;
    if (text[j] == U'#') {
      const bool hex = j + 1 < text.size() && (text[j + 1] == U'x' || text[j + 1] == U'X');
      size_t k = j + (hex ? 2 : 1);
      const size_t begin = k;
      while (k < text.size() && (hex ? g_unichar_isxdigit(text[k]) && text[k] < 0x80
                                     : text[k] >= U'0' && text[k] <= U'9'))
        ++k;
      if (k == begin) {
        out.push_back(text[i]);
        continue;
      }
      out += numeric_reference(text.substr(begin, k - begin), hex);
      if (k < text.size() && text[k] == U';') ++k;
      i = k - 1;
      continue;
    }
    size_t k = j;
    while (k < text.size() && k - j < 32 && kNameStop.find(text[k]) == std::u32string::npos) ++k;
    if (k == j) {
      out.push_back(text[i]);
      continue;
    }
    const bool semicolon = k < text.size() && text[k] == U';';
    const std::u32string name = text.substr(j, k - j);
    const size_t end = semicolon ? k + 1 : k;
    if (const HtmlEntity* e = find_html_entity(ascii_of(name), semicolon); e && is_ascii(name)) {
      out.push_back(e->code);
      i = end - 1;
      continue;
    }
    // The longest legacy name that prefixes it ("&ampfoo" -> "&foo").
    bool matched = false;
    for (size_t len = name.size() - (semicolon ? 0 : 1); len >= 2 && len <= name.size(); --len) {
      const std::u32string prefix = name.substr(0, len);
      if (!is_ascii(prefix)) continue;
      if (const HtmlEntity* e = find_html_entity(ascii_of(prefix), false)) {
        out.push_back(e->code);
        out += name.substr(len);
        if (semicolon) out.push_back(U';');
        matched = true;
        break;
      }
    }
    if (!matched) out += text.substr(i, end - i);
    i = end - 1;
  }
  return out;
}

std::u32string python_lower(const std::u32string& text) {
  std::u32string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char32_t c = text[i];
    if (c == 0x130) {  // İ lower-cases to i + COMBINING DOT ABOVE outside Turkic locales
      out.push_back(U'i');
      out.push_back(0x307);
    } else if (c == 0x3A3) {
      out.push_back(final_sigma(text, i) ? 0x3C2 : 0x3C3);
    } else {
      out.push_back(g_unichar_tolower(c));
    }
  }
  return out;
}

namespace {

// Runs of whitespace become one space, as re.sub(r"\s+", " ", text).
std::u32string collapse_whitespace(const std::u32string& text) {
  std::u32string collapsed;
  for (char32_t c : text) {
    if (python_isspace(c)) {
      if (collapsed.empty() || collapsed.back() != U' ') collapsed.push_back(U' ');
    } else {
      collapsed.push_back(c);
    }
  }
  return collapsed;
}

bool ascii_punctuation(char32_t c) {  // Python's string.punctuation
  return (c >= U'!' && c <= U'/') || (c >= U':' && c <= U'@') || (c >= U'[' && c <= U'`') ||
         (c >= U'{' && c <= U'~');
}

}  // namespace

std::string clean_text(const std::string& utf8) {
  std::u32string text = ftfy_fix_text(utf8_decode(utf8));
  text = strip(html_unescape(html_unescape(text)));
  return utf8_encode(python_lower(strip(collapse_whitespace(text))));
}

std::string canonicalize_text(const std::string& utf8) {
  std::u32string text;
  for (char32_t c : utf8_decode(utf8)) {
    if (c == U'_')
      text.push_back(U' ');
    else if (!ascii_punctuation(c))
      text.push_back(c);
  }
  return utf8_encode(strip(collapse_whitespace(python_lower(text))));
}

}  // namespace legrad
