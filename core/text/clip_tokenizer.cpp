#include "text/clip_tokenizer.h"

#include <ATen/ATen.h>
#include <glib.h>

#include <array>
#include <climits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/error.h"
#include "base/file.h"
#include "base/utf8.h"
#include "text/text_cleaner.h"

namespace legrad {
namespace {

// open_clip reads merges[1 : 49152 - 256 - 2 + 1] of the gzip file.
constexpr int kClipMerges = 49152 - 256 - 2;

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  return lines;
}

// GPT-2's reversible byte -> printable character table.
void byte_symbols(std::string (&out)[256], std::vector<int>& order) {
  std::vector<int> printable;
  for (int b = '!'; b <= '~'; ++b) printable.push_back(b);
  for (int b = 0xA1; b <= 0xAC; ++b) printable.push_back(b);
  for (int b = 0xAE; b <= 0xFF; ++b) printable.push_back(b);
  std::vector<bool> seen(256, false);
  for (int b : printable) {
    seen[b] = true;
    out[b].clear();
    utf8_append(out[b], static_cast<char32_t>(b));
  }
  order = printable;
  int n = 0;
  for (int b = 0; b < 256; ++b) {
    if (seen[b]) continue;
    out[b].clear();
    utf8_append(out[b], static_cast<char32_t>(256 + n++));
    order.push_back(b);
  }
}

bool is_letter(char32_t c) {
  switch (g_unichar_type(c)) {
    case G_UNICODE_UPPERCASE_LETTER:
    case G_UNICODE_LOWERCASE_LETTER:
    case G_UNICODE_TITLECASE_LETTER:
    case G_UNICODE_MODIFIER_LETTER:
    case G_UNICODE_OTHER_LETTER: return true;
    default: return false;
  }
}

bool is_number(char32_t c) {
  switch (g_unichar_type(c)) {
    case G_UNICODE_DECIMAL_NUMBER:
    case G_UNICODE_LETTER_NUMBER:
    case G_UNICODE_OTHER_NUMBER: return true;
    default: return false;
  }
}

// CLIP's split pattern, applied to cleaned (lower-cased, single-spaced) text.
std::vector<std::u32string> pre_tokenize(const std::u32string& text, const std::u32string& sot,
                                         const std::u32string& eot) {
  static const std::u32string kContractions[] = {U"s", U"t", U"re", U"ve", U"m", U"ll", U"d"};
  std::vector<std::u32string> pieces;
  size_t i = 0;
  while (i < text.size()) {
    const char32_t c = text[i];
    if (text.compare(i, sot.size(), sot) == 0 || text.compare(i, eot.size(), eot) == 0) {
      const size_t n = text.compare(i, sot.size(), sot) == 0 ? sot.size() : eot.size();
      pieces.push_back(text.substr(i, n));
      i += n;
      continue;
    }
    if (c == U'\'') {
      bool found = false;
      for (const auto& tail : kContractions) {
        bool match = i + tail.size() < text.size();
        for (size_t k = 0; match && k < tail.size(); ++k)
          match = i + 1 + k < text.size() && g_unichar_tolower(text[i + 1 + k]) == tail[k];
        if (match) {
          pieces.push_back(text.substr(i, 1 + tail.size()));
          i += 1 + tail.size();
          found = true;
          break;
        }
      }
      if (found) continue;
    }
    size_t j = i + 1;
    if (is_letter(c)) {
      while (j < text.size() && is_letter(text[j])) ++j;
    } else if (is_number(c)) {
      // one digit per piece
    } else if (python_isspace(c)) {
      i = j;
      continue;
    } else {
      while (j < text.size() && !is_letter(text[j]) && !is_number(text[j]) &&
             !python_isspace(text[j]))
        ++j;
    }
    pieces.push_back(text.substr(i, j - i));
    i = j;
  }
  return pieces;
}

}  // namespace

std::string clip_byte_symbol(uint8_t byte) {
  static const auto table = [] {
    std::array<std::string, 256> symbols;
    std::string raw[256];
    std::vector<int> order;
    byte_symbols(raw, order);
    for (int b = 0; b < 256; ++b) symbols[b] = raw[b];
    return symbols;
  }();
  return table[byte];
}

ClipTokenizer ClipTokenizer::from_bpe_merges(const std::string& gz_path) {
  const std::vector<std::string> lines =
      split_lines(read_maybe_gzip(gz_path, "tokenizer vocabulary"));
  if (static_cast<int>(lines.size()) < kClipMerges + 1)
    throw Error(gz_path + ": holds " + std::to_string(lines.size()) + " lines, but the CLIP " +
                "vocabulary needs " + std::to_string(kClipMerges + 1) +
                " (not bpe_simple_vocab_16e6.txt.gz?)");
  ClipTokenizer tok;
  tok.source_ = gz_path;
  std::vector<int> order;
  byte_symbols(tok.byte_symbol_, order);
  for (int b : order) tok.decoder_.push_back(tok.byte_symbol_[b]);
  for (int b : order) tok.decoder_.push_back(tok.byte_symbol_[b] + "</w>");
  for (int r = 0; r < kClipMerges; ++r) {
    const std::string& line = lines[static_cast<size_t>(r) + 1];
    const size_t space = line.find(' ');
    if (space == std::string::npos || space == 0 || space + 1 >= line.size() ||
        line.find(' ', space + 1) != std::string::npos)
      throw Error(gz_path + ": line " + std::to_string(r + 2) + " is not a merge 'a b'");
    tok.ranks_[line] = r;  // a repeated merge keeps its last rank, as a Python dict does
    tok.decoder_.push_back(line.substr(0, space) + line.substr(space + 1));
  }
  tok.decoder_.push_back("<start_of_text>");
  tok.decoder_.push_back("<end_of_text>");
  for (size_t id = 0; id < tok.decoder_.size(); ++id)
    tok.encoder_.emplace(tok.decoder_[id], static_cast<int64_t>(id));
  tok.finish("<start_of_text>", "<end_of_text>");
  return tok;
}

ClipTokenizer ClipTokenizer::from_vocab_json(const std::string& vocab_json,
                                             const std::string& merges) {
  nlohmann::json vocab =
      nlohmann::json::parse(read_file(vocab_json, "tokenizer vocabulary"), nullptr, false);
  if (vocab.is_discarded() || !vocab.is_object())
    throw Error(vocab_json + ": not a JSON object of token -> id");
  ClipTokenizer tok;
  tok.source_ = vocab_json;
  std::vector<int> order;
  byte_symbols(tok.byte_symbol_, order);
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    if (!it.value().is_number_integer() || it.value().get<int64_t>() < 0 ||
        it.value().get<int64_t>() > 10'000'000)
      throw Error(vocab_json + ": id of token '" + it.key() + "' is not a valid integer");
    const auto id = it.value().get<int64_t>();
    if (tok.decoder_.size() <= static_cast<size_t>(id)) tok.decoder_.resize(id + 1);
    tok.decoder_[id] = it.key();
    tok.encoder_[it.key()] = id;
  }
  const std::vector<std::string> lines = split_lines(read_file(merges, "tokenizer vocabulary"));
  int rank = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    if (line.empty() || (i == 0 && line.rfind("#version", 0) == 0)) continue;
    if (line.find(' ') == std::string::npos)
      throw Error(merges + ": line " + std::to_string(i + 1) + " is not a merge 'a b'");
    tok.ranks_[line] = rank++;
  }
  tok.finish("<|startoftext|>", "<|endoftext|>");
  return tok;
}

void ClipTokenizer::finish(const std::string& sot, const std::string& eot) {
  auto find = [&](const std::string& s) {
    auto it = encoder_.find(s);
    if (it == encoder_.end()) throw Error(source_ + ": special token '" + s + "' is missing");
    return it->second;
  };
  sot_ = find(sot);
  eot_ = find(eot);
  sot_text_ = utf8_decode(sot);
  eot_text_ = utf8_decode(eot);
}

std::vector<std::string> ClipTokenizer::bpe(const std::vector<std::string>& symbols) const {
  std::vector<std::string> word = symbols;
  word.back() += "</w>";
  while (word.size() > 1) {
    int best = INT_MAX;
    size_t best_at = 0;
    for (size_t i = 0; i + 1 < word.size(); ++i) {
      auto it = ranks_.find(word[i] + " " + word[i + 1]);
      if (it != ranks_.end() && it->second < best) {
        best = it->second;
        best_at = i;
      }
    }
    if (best == INT_MAX) break;
    const std::string first = word[best_at], second = word[best_at + 1];
    std::vector<std::string> merged;
    for (size_t i = 0; i < word.size();) {
      if (i + 1 < word.size() && word[i] == first && word[i + 1] == second) {
        merged.push_back(first + second);
        i += 2;
      } else {
        merged.push_back(word[i++]);
      }
    }
    word = std::move(merged);
  }
  return word;
}

std::vector<int64_t> ClipTokenizer::encode(const std::string& text) const {
  const std::u32string cleaned = utf8_decode(clean_text(text));
  std::vector<int64_t> ids;
  for (const std::u32string& piece : pre_tokenize(cleaned, sot_text_, eot_text_)) {
    if (piece == sot_text_ || piece == eot_text_) {
      ids.push_back(piece == sot_text_ ? sot_ : eot_);
      continue;
    }
    const std::string utf8 = utf8_encode(piece);
    {
      std::lock_guard<std::mutex> lock(cache_->mutex);
      auto it = cache_->ids.find(utf8);
      if (it != cache_->ids.end()) {
        ids.insert(ids.end(), it->second.begin(), it->second.end());
        continue;
      }
    }
    std::vector<std::string> symbols;
    for (unsigned char b : utf8) symbols.push_back(byte_symbol_[b]);
    std::vector<int64_t> piece_ids;
    for (const std::string& sym : bpe(symbols)) {
      auto it = encoder_.find(sym);
      if (it == encoder_.end())
        throw Error(source_ + ": BPE produced '" + sym + "', not in the vocabulary");
      piece_ids.push_back(it->second);
    }
    ids.insert(ids.end(), piece_ids.begin(), piece_ids.end());
    std::lock_guard<std::mutex> lock(cache_->mutex);
    if (cache_->ids.size() > 100000) cache_->ids.clear();
    cache_->ids.emplace(utf8, std::move(piece_ids));
  }
  return ids;
}

const std::string& ClipTokenizer::token_string(int64_t id) const {
  static const std::string kUnknown = "<unknown>";
  return id >= 0 && static_cast<size_t>(id) < decoder_.size() ? decoder_[id] : kUnknown;
}

}  // namespace legrad
