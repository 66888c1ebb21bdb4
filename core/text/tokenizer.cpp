#include "text/tokenizer.h"

#include <ATen/ATen.h>

#include "base/error.h"
#include "text/clip_tokenizer.h"
#include "text/word_tokenizer.h"

namespace legrad {

std::vector<int64_t> TextTokenizer::tokenize(const std::string& text, int context_length,
                                             bool* truncated) const {
  if (context_length < 2) throw Error("context length must be at least 2");
  std::vector<int64_t> ids{start_token()};
  const std::vector<int64_t> body = encode(text);
  ids.insert(ids.end(), body.begin(), body.end());
  ids.push_back(end_token());
  const bool cut = ids.size() > static_cast<size_t>(context_length);
  if (cut) {
    ids.resize(context_length);
    ids.back() = end_token();
  }
  if (truncated) *truncated = cut;
  ids.resize(context_length, 0);
  return ids;
}

at::Tensor TextTokenizer::tokenize_batch(const std::vector<std::string>& texts,
                                         int context_length) const {
  at::Tensor out = at::zeros({static_cast<int64_t>(texts.size()), context_length}, at::kLong);
  auto acc = out.accessor<int64_t, 2>();
  for (size_t p = 0; p < texts.size(); ++p) {
    const auto ids = tokenize(texts[p], context_length);
    for (int i = 0; i < context_length; ++i) acc[p][i] = ids[i];
  }
  return out;
}

std::shared_ptr<const TextTokenizer> load_tokenizer(const std::string& path) {
  const std::string base = path.substr(path.find_last_of('/') + 1);
  if (base.size() >= 9 && base.compare(base.size() - 9, 9, "words.txt") == 0)
    return std::make_shared<const WordTokenizer>(WordTokenizer::from_file(path));
  return std::make_shared<const ClipTokenizer>(ClipTokenizer::from_file(path));
}

}  // namespace legrad
