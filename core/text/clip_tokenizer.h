// The CLIP byte-level BPE tokenizer (open_clip's SimpleTokenizer): cleaned text, split by
// CLIP's pattern (special tokens, 's 't 're 've 'm 'll 'd, letter runs, single digits,
// other runs), bytes mapped to printable characters, BPE-merged by rank, then
// [start] + ids + [end], cut to the context length (last id forced to end), zero-padded.
#pragma once

#include <ATen/Tensor.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "text/tokenizer.h"

namespace legrad {

// GPT-2's reversible stand-in for a byte: itself when printable, else a character from
// U+0100 up (UTF-8). CLIP's vocabulary is written in these symbols.
std::string clip_byte_symbol(uint8_t byte);

class ClipTokenizer : public TextTokenizer {
 public:
  // bpe_simple_vocab_16e6.txt.gz (gzip, read with zlib), or the hub's vocab.json + merges.txt
  // (vocabulary.h finds them). Throws legrad::Error naming the file.
  static ClipTokenizer from_bpe_merges(const std::string& gz_path);
  static ClipTokenizer from_vocab_json(const std::string& vocab_json, const std::string& merges);

  // BPE ids of the cleaned text, without start/end tokens. Throws on invalid UTF-8.
  std::vector<int64_t> encode(const std::string& text) const override;

  const std::string& token_string(int64_t id) const;
  TokenFraming framing() const override { return {start_token(), end_token(), 0}; }
  int64_t start_token() const { return sot_; }
  int64_t end_token() const { return eot_; }
  size_t vocab_size() const override { return decoder_.size(); }

 private:
  ClipTokenizer() = default;
  void finish(const std::string& sot, const std::string& eot);
  std::vector<std::string> bpe(const std::vector<std::string>& symbols) const;

  std::string source_;
  std::unordered_map<std::string, int64_t> encoder_;
  std::vector<std::string> decoder_;
  std::unordered_map<std::string, int> ranks_;  // "a b" -> merge rank
  std::string byte_symbol_[256];                // byte -> its printable stand-in (UTF-8)
  std::u32string sot_text_, eot_text_;          // special tokens as the pre-tokenizer sees them
  int64_t sot_ = 0, eot_ = 0;

  // BPE results per piece; behind a pointer so the tokenizer stays movable.
  struct Cache {
    std::mutex mutex;
    std::unordered_map<std::string, std::vector<int64_t>> ids;
  };
  std::unique_ptr<Cache> cache_ = std::make_unique<Cache>();
};

}  // namespace legrad
