// SigLIP's tokenizer: a SentencePiece model (spiece.model, tokenizer.model) read with Debian's
// libsentencepiece, applied as open_clip applies it to SigLIP: the "canonicalize" cleaning
// (text_cleaner.h), no start token, the end-of-sequence id appended, padded with that same id
// (SigLIP's tokenizer configuration pads with "</s>"), cut to the context with the end kept.
#pragma once

#include <string>

#include "text/tokenizer.h"

namespace legrad {

// False in sanitizer builds, where the library cannot be loaded safely
// (sentencepiece_module.cpp says why); constructing a tokenizer then throws.
bool sentencepiece_available();

class SentencePieceTokenizer : public TextTokenizer {
 public:
  // Throws legrad::Error naming the file if it is missing or not a SentencePiece model, or if
  // the model has no end-of-sequence piece.
  explicit SentencePieceTokenizer(const std::string& path);
  ~SentencePieceTokenizer() override;
  SentencePieceTokenizer(const SentencePieceTokenizer&) = delete;
  SentencePieceTokenizer& operator=(const SentencePieceTokenizer&) = delete;

  std::vector<int64_t> encode(const std::string& text) const override;
  TokenFraming framing() const override { return {std::nullopt, eos_, eos_}; }
  size_t vocab_size() const override { return vocab_size_; }

 private:
  void* processor_ = nullptr;  // the module's
  int64_t eos_ = 0;
  size_t vocab_size_ = 0;
};

}  // namespace legrad
