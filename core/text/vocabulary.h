// Which tokenizer a model uses, found from its vocabulary file; the one place that knows the
// vocabulary files' names.
#pragma once

#include <memory>
#include <string>

#include "text/tokenizer.h"

namespace legrad {

// The word list a small model ships (word_tokenizer.h).
constexpr const char* kWordListFile = "words.txt";

// "bpe_simple_vocab_16e6.txt.gz, vocab.json + merges.txt, spiece.model, tokenizer.model or
// words.txt": what a model folder may hold, in the order they are looked for.
std::string vocabulary_file_names();

// The first of those in `dir` (for the hub's pair: its vocab.json), or "" if none is there.
std::string find_vocabulary(const std::string& dir);

// A word list (words.txt), a CLIP BPE vocabulary (bpe_simple_vocab_16e6.txt.gz, or a vocab.json
// with merges.txt beside it), a SentencePiece model (*.model) or a folder holding one. Throws
// legrad::Error naming the file.
std::shared_ptr<const TextTokenizer> load_tokenizer(const std::string& path);

}  // namespace legrad
