// libFuzzer target: arbitrary bytes as a word list (before the first NUL byte) and as a prompt
// (after it). Either is legrad::Error or ids framed as the tokenizer promises.
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "base/error.h"
#include "text/word_tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const size_t split = input.find('\0');
  std::vector<std::string> words;
  std::istringstream list(input.substr(0, split));
  for (std::string line; std::getline(list, line);) words.push_back(line);
  const std::string prompt = split == std::string::npos ? "" : input.substr(split + 1);
  try {
    const legrad::WordTokenizer tokenizer(words);
    const auto ids = tokenizer.tokenize(prompt, 8);
    if (ids.size() != 8 || ids.front() != tokenizer.start_token()) __builtin_trap();
    for (int64_t id : ids)
      if (id < 0 || id >= static_cast<int64_t>(tokenizer.vocab_size())) __builtin_trap();
  } catch (const legrad::Error&) {
  }
  return 0;
}
