// What the text tower needs from a tokenizer: ids for a prompt, framed by start and end tokens
// and cut or padded to the context length. Two kinds exist: CLIP's byte-level BPE
// (tokenizer.h) and a word list shipped with small models (word_tokenizer.h).
#pragma once

#include <ATen/Tensor.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace legrad {

class TextTokenizer {
 public:
  virtual ~TextTokenizer() = default;

  // Ids of the text, without start/end tokens. Throws legrad::Error for text it cannot encode.
  virtual std::vector<int64_t> encode(const std::string& text) const = 0;
  virtual int64_t start_token() const = 0;
  virtual int64_t end_token() const = 0;  // the largest id: the text tower pools at argmax
  virtual size_t vocab_size() const = 0;

  // [start] + encode(text) + [end], cut to `context_length` (last id = end), zero-padded.
  std::vector<int64_t> tokenize(const std::string& text, int context_length,
                                bool* truncated = nullptr) const;
  // [P, context_length] int64.
  at::Tensor tokenize_batch(const std::vector<std::string>& texts, int context_length) const;
};

// A word list (words.txt) or a CLIP BPE vocabulary (bpe_simple_vocab_16e6.txt.gz, vocab.json
// + merges.txt, or a folder holding either). Throws legrad::Error naming the file.
std::shared_ptr<const TextTokenizer> load_tokenizer(const std::string& path);

}  // namespace legrad
