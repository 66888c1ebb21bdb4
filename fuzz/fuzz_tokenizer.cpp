// libFuzzer target: arbitrary bytes through text cleaning and BPE (a small byte-level
// vocabulary with a few merges, built at start-up, so no vocabulary file is needed).
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "base/error.h"
#include "text/clip_tokenizer.h"
#include "text/text_cleaner.h"

namespace {

std::unique_ptr<legrad::ClipTokenizer> make_tokenizer() {
  const std::string dir = "/tmp/legrad-fuzz-vocab-" + std::to_string(getpid());
  mkdir(dir.c_str(), 0700);
  nlohmann::json vocab = nlohmann::json::object();
  int64_t id = 0;
  for (int b = 0; b < 256; ++b) vocab[legrad::clip_byte_symbol(static_cast<uint8_t>(b))] = id++;
  for (int b = 0; b < 256; ++b)
    vocab[legrad::clip_byte_symbol(static_cast<uint8_t>(b)) + "</w>"] = id++;
  std::ofstream merges(dir + "/merges.txt");
  merges << "#version: 0.2\n";
  for (const char* m : {"t h", "th e</w>", "a n", "an d</w>", "c a", "ca t</w>"}) {
    merges << m << "\n";
    std::string joined(m);
    joined.erase(joined.find(' '), 1);
    vocab[joined] = id++;
  }
  vocab["<|startoftext|>"] = id++;
  vocab["<|endoftext|>"] = id++;
  std::ofstream(dir + "/vocab.json") << vocab.dump();
  merges.close();
  return std::make_unique<legrad::ClipTokenizer>(
      legrad::ClipTokenizer::from_vocab_json(dir + "/vocab.json", dir + "/merges.txt"));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto tokenizer = make_tokenizer();
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    legrad::clean_text(text);
    const auto ids = tokenizer->tokenize(text, 77);
    if (ids.size() != 77) __builtin_trap();
  } catch (const legrad::Error&) {
  }
  return 0;
}
