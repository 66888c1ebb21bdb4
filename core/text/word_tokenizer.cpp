#include "text/word_tokenizer.h"

#include <cctype>
#include <sstream>

#include "base/error.h"
#include "base/file.h"

namespace legrad {
namespace {

bool word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-'; }

// Words end at ASCII spaces and punctuation; other characters (accents, other scripts,
// emoji) stay in their word, so that a word the list lacks is named whole, never dropped.
bool separator(char c) { return static_cast<unsigned char>(c) < 0x80 && !word_char(c); }

}  // namespace

WordTokenizer WordTokenizer::from_file(const std::string& path) {
  std::istringstream in(read_file(path, "word list"));
  std::vector<std::string> words;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) words.push_back(line);
  }
  return WordTokenizer(std::move(words), path);
}

WordTokenizer::WordTokenizer(std::vector<std::string> words, std::string source)
    : words_(std::move(words)), source_(std::move(source)) {
  if (words_.empty()) throw Error(source_ + ": the word list is empty");
  for (size_t i = 0; i < words_.size(); ++i) {
    const std::string& w = words_[i];
    for (char c : w)
      if (!word_char(c) || std::isupper(static_cast<unsigned char>(c)))
        throw Error(source_ + ": line " + std::to_string(i + 1) + " ('" + w +
                    "') is not one lowercase word");
    if (!ids_.emplace(w, static_cast<int64_t>(i) + 1).second)
      throw Error(source_ + ": '" + w + "' is listed twice");
  }
}

std::vector<int64_t> WordTokenizer::encode(const std::string& text) const {
  std::vector<int64_t> ids;
  std::string word;
  auto flush = [&] {
    if (word.empty()) return;
    const auto it = ids_.find(word);
    if (it == ids_.end()) {
      std::ostringstream known;
      for (size_t i = 0; i < words_.size(); ++i) known << (i ? ", " : "") << words_[i];
      throw Error("'" + word + "' is not in this model's vocabulary (" + source_ +
                  "): " + known.str());
    }
    ids.push_back(it->second);
    word.clear();
  };
  for (char c : text) {
    if (separator(c))
      flush();
    else
      word.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  flush();
  return ids;
}

}  // namespace legrad
