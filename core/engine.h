// The engine the CLI and the GStreamer elements drive: a loaded model and tokenizer, the
// current prompts with their cached text embeddings, and "explain this frame".
#pragma once

#include <ATen/Tensor.h>

#include <memory>
#include <string>
#include <vector>

#include "legrad.h"
#include "preprocess.h"

namespace legrad {

class ClipModel;
class ClipTokenizer;

struct EngineOptions {
  std::string model;   // .safetensors file or model folder
  std::string vocab;   // optional: tokenizer vocabulary (else found beside the model)
  std::string device = "cpu";
  int input_size = 0;  // S; 0 = the size the model was trained at
  int layer_index = -2;
};

class LegradEngine {
 public:
  // Loads everything; throws legrad::Error naming the path and the reason.
  explicit LegradEngine(const EngineOptions& options);
  ~LegradEngine();

  // Tokenizes and encodes once; later frames reuse the embeddings. An empty list, an empty
  // prompt or one that is only whitespace throws; prompts longer than the context are cut
  // as the reference does (the last token becomes end-of-text) and a warning is logged.
  void set_prompts(const std::vector<std::string>& prompts);
  const std::vector<std::string>& prompts() const { return prompts_; }
  const at::Tensor& text_embeddings() const { return text_embeddings_; }

  // Preprocess (Pillow-exact squash to S x S, normalise) and explain.
  Explanation explain(const ImageView& frame) const;
  Explanation explain_pixels(const at::Tensor& pixels) const;

  int input_size() const { return input_size_; }
  const ClipModel& model() const { return *model_; }
  const ClipTokenizer& tokenizer() const;

 private:
  EngineOptions options_;
  std::shared_ptr<ClipModel> model_;
  std::unique_ptr<ClipTokenizer> tokenizer_;
  int input_size_ = 0;
  std::vector<std::string> prompts_;
  at::Tensor text_embeddings_;
};

// Splits "a cat; a dog" at ';', trims whitespace, drops empty entries. Throws if none remain.
std::vector<std::string> parse_prompt_list(const std::string& text);

}  // namespace legrad
