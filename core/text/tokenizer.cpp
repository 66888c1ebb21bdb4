#include "text/tokenizer.h"

#include <ATen/ATen.h>

#include "base/error.h"

namespace legrad {

std::vector<int64_t> TextTokenizer::frame(const std::vector<int64_t>& body, int context_length,
                                          bool* truncated) const {
  if (context_length < 2) throw Error("context length must be at least 2");
  const TokenFraming f = framing();
  std::vector<int64_t> ids;
  if (f.start) ids.push_back(*f.start);
  ids.insert(ids.end(), body.begin(), body.end());
  ids.push_back(f.end);
  const bool cut = ids.size() > static_cast<size_t>(context_length);
  if (cut) {
    ids.resize(context_length);
    ids.back() = f.end;
  }
  if (truncated) *truncated = cut;
  ids.resize(context_length, f.pad);
  return ids;
}

std::vector<int64_t> TextTokenizer::tokenize(const std::string& text, int context_length,
                                             bool* truncated) const {
  return frame(encode(text), context_length, truncated);
}

at::Tensor TextTokenizer::tokenize_prompts(const std::vector<std::string>& prompts,
                                           int context_length,
                                           const std::function<void(size_t)>& on_truncated) const {
  at::Tensor out = at::empty({static_cast<int64_t>(prompts.size()), context_length}, at::kLong);
  auto acc = out.accessor<int64_t, 2>();
  for (size_t p = 0; p < prompts.size(); ++p) {
    const std::vector<int64_t> body = encode(prompts[p]);
    if (body.empty())
      throw Error("prompt " + std::to_string(p + 1) + " ('" + prompts[p] +
                  "') is empty once cleaned: nothing in it is a word or symbol the model reads");
    bool truncated = false;
    const std::vector<int64_t> ids = frame(body, context_length, &truncated);
    if (truncated && on_truncated) on_truncated(p);
    for (int i = 0; i < context_length; ++i) acc[p][i] = ids[i];
  }
  return out;
}

}  // namespace legrad
