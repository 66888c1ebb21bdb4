// What the text tower needs from a tokenizer: ids for a prompt, framed by start and end tokens
// and cut or padded to the context length. Three kinds exist: CLIP's byte-level BPE
// (clip_tokenizer.h), a word list shipped with small models (word_tokenizer.h) and SigLIP's
// SentencePiece (sentencepiece_tokenizer.h); which one a model uses is found by vocabulary.h.
#pragma once

#include <ATen/Tensor.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace legrad {

// How a tokenizer frames its ids in the context.
struct TokenFraming {
  std::optional<int64_t> start;  // put first (CLIP); SigLIP has none
  int64_t end = 0;               // appended, and kept last when the text is cut
  int64_t pad = 0;               // fills the rest of the context
};

class TextTokenizer {
 public:
  virtual ~TextTokenizer() = default;

  // Ids of the text, without start/end tokens: none for a text that is empty once cleaned.
  // Throws legrad::Error for text it cannot encode.
  virtual std::vector<int64_t> encode(const std::string& text) const = 0;
  virtual TokenFraming framing() const = 0;
  virtual size_t vocab_size() const = 0;

  // [start] + encode(text) + [end], cut to `context_length` (last id = end), padded. An empty
  // text gives [start, end], as the reference's tokenizers do.
  std::vector<int64_t> tokenize(const std::string& text, int context_length,
                                bool* truncated = nullptr) const;

  // [P, context_length] int64, each prompt as tokenize() frames it. A prompt that is empty once
  // cleaned throws legrad::Error ("prompt N ('...') is empty once cleaned"); `on_truncated(i)` is
  // told of each prompt that was cut.
  at::Tensor tokenize_prompts(const std::vector<std::string>& prompts, int context_length,
                              const std::function<void(size_t)>& on_truncated = {}) const;

 private:
  std::vector<int64_t> frame(const std::vector<int64_t>& body, int context_length,
                             bool* truncated) const;
};

}  // namespace legrad
