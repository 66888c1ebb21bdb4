#include "engine.h"

#include <ATen/ATen.h>

#include "clip_model.h"
#include "device.h"
#include "error.h"
#include "log.h"
#include "model_files.h"
#include "text_cleaner.h"
#include "tokenizer.h"
#include "utf8.h"

namespace legrad {

LegradEngine::LegradEngine(const EngineOptions& options) : options_(options) {
  const ModelFiles files = locate_model_files(options.model, options.vocab);
  model_ = load_clip_model(files, parse_device(options.device));
  const ClipConfig& cfg = model_->config();
  input_size_ = options.input_size > 0 ? options.input_size : cfg.vision.image_size;
  model_->check_input_size(input_size_);
  legrad_start_layer(options.layer_index, cfg.vision.layers);
  if (files.vocab.empty())
    throw Error(options.model + ": no tokenizer vocabulary (bpe_simple_vocab_16e6.txt.gz, or " +
                "vocab.json + merges.txt) beside the model; give its path explicitly");
  tokenizer_ = std::make_unique<ClipTokenizer>(ClipTokenizer::from_file(files.vocab));
  if (tokenizer_->vocab_size() > static_cast<size_t>(cfg.text.vocab_size))
    throw Error(files.vocab + ": tokenizer has " + std::to_string(tokenizer_->vocab_size()) +
                " tokens but the model's text tower only " + std::to_string(cfg.text.vocab_size));
}

LegradEngine::~LegradEngine() = default;

const ClipTokenizer& LegradEngine::tokenizer() const { return *tokenizer_; }

void LegradEngine::set_prompts(const std::vector<std::string>& prompts) {
  if (prompts.empty()) throw Error("no prompts given");
  const int context = model_->config().text.context_length;
  std::vector<std::vector<int64_t>> rows;
  for (size_t i = 0; i < prompts.size(); ++i) {
    if (clean_text(prompts[i]).empty())
      throw Error("prompt " + std::to_string(i + 1) + " is empty");
    bool truncated = false;
    rows.push_back(tokenizer_->tokenize(prompts[i], context, &truncated));
    if (truncated)
      log(LogLevel::Warning, "prompt " + std::to_string(i + 1) + " is longer than " +
                                 std::to_string(context) + " tokens and was cut");
  }
  at::Tensor tokens = at::zeros({static_cast<int64_t>(rows.size()), context}, at::kLong);
  auto acc = tokens.accessor<int64_t, 2>();
  for (size_t p = 0; p < rows.size(); ++p)
    for (int i = 0; i < context; ++i) acc[p][i] = rows[p][i];
  text_embeddings_ = model_->encode_text(tokens);
  prompts_ = prompts;
}

Explanation LegradEngine::explain_pixels(const at::Tensor& pixels) const {
  if (!text_embeddings_.defined()) throw Error("no prompts set");
  LegradOptions opts;
  opts.layer_index = options_.layer_index;
  return explain_legrad(*model_, pixels, text_embeddings_, opts);
}

Explanation LegradEngine::explain(const ImageView& frame) const {
  const ClipConfig& cfg = model_->config();
  return explain_pixels(preprocess_frame(frame, input_size_, cfg.mean, cfg.std));
}

std::vector<std::string> parse_prompt_list(const std::string& text) {
  utf8_decode(text);  // invalid UTF-8 is an error here, not later
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find(';', pos);
    if (end == std::string::npos) end = text.size();
    std::string item = text.substr(pos, end - pos);
    const size_t b = item.find_first_not_of(" \t\r\n");
    const size_t e = item.find_last_not_of(" \t\r\n");
    if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
    pos = end + 1;
  }
  if (out.empty()) throw Error("the prompt list '" + text + "' holds no prompt");
  return out;
}

}  // namespace legrad
