// A word-level tokenizer for small models trained here (the CLIP BPE vocabulary cannot ship
// with them): words.txt lists one lowercase word per line. Ids: 0 padding, 1..N the words in
// file order, N+1 start, N+2 end (the largest, as the text tower's argmax pooling expects).
// Text is lowercased and split at ASCII spaces and punctuation but '-'; a word holding anything
// else (an accent, another script, an emoji) is a word the list lacks, and named as such.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "text/tokenizer.h"

namespace legrad {

class WordTokenizer : public TextTokenizer {
 public:
  // Throws legrad::Error naming the file (missing, empty, duplicate or malformed words).
  static WordTokenizer from_file(const std::string& path);
  explicit WordTokenizer(std::vector<std::string> words, std::string source = "word list");

  // Throws legrad::Error for a word outside the list, naming it and the known words.
  std::vector<int64_t> encode(const std::string& text) const override;
  TokenFraming framing() const override { return {start_token(), end_token(), 0}; }
  int64_t start_token() const { return static_cast<int64_t>(words_.size()) + 1; }
  int64_t end_token() const { return static_cast<int64_t>(words_.size()) + 2; }
  size_t vocab_size() const override { return words_.size() + 3; }

 private:
  std::vector<std::string> words_;
  std::unordered_map<std::string, int64_t> ids_;
  std::string source_;
};

}  // namespace legrad
