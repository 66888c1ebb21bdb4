// The engine the CLI and the GStreamer elements drive: a loaded model and tokenizer (shared
// between engines by instance id), prompt encoding, and "explain this frame". All methods
// are const and thread-safe: callers keep their own prompts (PromptSet) and swap them freely.
#pragma once

#include <ATen/Tensor.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/device.h"
#include "engine/model_files.h"
#include "explain/legrad.h"
#include "explain/methods.h"
#include "text/prompt_list.h"
#include "video/preprocess.h"

namespace legrad {

class ClipModel;
class TextTokenizer;
class GraphedLegrad;

// What to load, parsed once from the user's text (model_request): the model's path, the
// tokenizer vocabulary ("" = found beside the model), the device and the compute dtype.
struct ModelRequest {
  ModelRequest() = default;
  explicit ModelRequest(std::string path_, std::string vocab_ = "")
      : path(std::move(path_)), vocab(std::move(vocab_)) {}
  std::string path;
  std::string vocab;
  c10::Device device{c10::kCPU};
  at::ScalarType dtype = at::kFloat;
};

// Parses a device name (parse_device) and a dtype_choices() name for it; throws legrad::Error.
ModelRequest model_request(const std::string& path, const std::string& vocab,
                           const std::string& device, const std::string& dtype);

// A model, its tokenizer and where they came from; immutable once loaded.
struct LoadedModel {
  ModelFiles files;
  c10::Device device{c10::kCPU};
  at::ScalarType dtype = at::kFloat;  // what the weights were loaded as
  std::shared_ptr<const ClipModel> model;
  std::shared_ptr<const TextTokenizer> tokenizer;
};

// Loads weights, config and vocabulary; throws legrad::Error naming the path and the reason (a
// model without a tokenizer vocabulary is an error too).
std::shared_ptr<const LoadedModel> load_model(const ModelRequest& request);

// Prompts with their text embeddings [P, E].
struct PromptSet {
  std::vector<std::string> texts;
  at::Tensor embeddings;
  bool empty() const { return texts.empty(); }
};

// How an engine explains with a loaded model (what to load is a ModelRequest).
struct EngineOptions {
  int input_size = 0;  // S; 0 = the size the model was trained at
  int layer_index = kDefaultLayerIndex;
  // LeGrad on CUDA as a recorded graph (off: plain launches, as the other methods).
  bool cuda_graphs = true;
  // Exact Explanation::timings on CUDA too (LegradOptions::synchronize_timings).
  bool synchronize_timings = false;
  // Prompts per gradient pass (LegradOptions::prompts_per_pass; 0: a memory budget decides).
  int64_t prompts_per_pass = 0;
  // SigLIP models: the text whose map marks the cells the reference's correction zeroes
  // (LegradOptions; "" turns the correction off) and its threshold in [0, 1].
  std::string correction_text = kDefaultCorrectionText;
  double correction_threshold = kDefaultCorrectionThreshold;
  // The correction text's embedding [1, E] already computed (benchmarks without a tokenizer);
  // when defined, correction_text is not read.
  at::Tensor correction_embedding;
};

class LegradEngine {
 public:
  // Loads the model; throws legrad::Error naming the path and the reason.
  explicit LegradEngine(const ModelRequest& request, const EngineOptions& options = {});
  // Uses an already loaded model; validates input_size and layer_index against it.
  LegradEngine(std::shared_ptr<const LoadedModel> model, const EngineOptions& options);

  // Tokenize and encode. An empty list, an empty prompt or one that is only whitespace
  // throws; prompts longer than the context are cut as the reference does (the last token
  // becomes end-of-text) and a warning is logged.
  PromptSet encode_prompts(const std::vector<std::string>& prompts) const;

  // Preprocess (Pillow-exact squash to S x S, normalise; on the model's device) and explain.
  // Running out of memory on the device throws legrad::Error ("out of memory on ...").
  // On CUDA the explanation is a CUDA graph replay (recorded on the first frame for each
  // prompt count), falling back to plain launches, with a warning, where recording fails.
  // Methods that are not graph-capable (methods.h) run with plain launches.
  Explanation explain(const ImageView& frame, const PromptSet& prompts,
                      ExplainMethod method = kDefaultMethod) const;
  // explain() in its two steps: the model input [1, 3, S, S] on the model's device, and its
  // explanation.
  at::Tensor preprocess(const ImageView& frame) const;
  Explanation explain_pixels(const at::Tensor& pixels, const PromptSet& prompts,
                             ExplainMethod method = kDefaultMethod) const;

  // Several frames, each with its own prompts, in one forward pass (LeGrad; the classic
  // explainers run frame by frame); each result equals explain()'s for that frame alone to
  // float rounding. One frame: explain() itself (a CUDA graph where it has one).
  std::vector<Explanation> explain_batch(const std::vector<ImageView>& frames,
                                         const std::vector<const PromptSet*>& prompts,
                                         ExplainMethod method = kDefaultMethod) const;

  // The prompts' presence scores alone ([P], cosine similarity with the image embedding).
  at::Tensor scores(const ImageView& frame, const PromptSet& prompts) const;

  // Whether explanations for `prompts` prompts run as a CUDA graph replay (after a first one).
  bool uses_cuda_graph(int64_t prompts) const;
  int input_size() const { return input_size_; }
  int layer_index() const { return legrad_options_.layer_index; }
  const ClipModel& model() const { return *loaded_->model; }
  const TextTokenizer& tokenizer() const { return *loaded_->tokenizer; }

 private:
  std::shared_ptr<const GraphedLegrad> graph_for(const at::Tensor& pixels, int64_t prompts) const;
  // Runs `work`; an allocation failure of the compute device becomes a legrad::Error saying so.
  template <typename F>
  auto naming_out_of_memory(const PromptSet& prompts, F&& work) const;

  std::shared_ptr<const LoadedModel> loaded_;
  int input_size_ = 0;
  LegradOptions legrad_options_;
  bool cuda_graphs_ = true;
  FramePreprocessor preprocessor_;
  mutable std::mutex graphs_mutex_;
  mutable std::map<int64_t, std::shared_ptr<const GraphedLegrad>> graphs_;  // by prompt count
  mutable bool graphs_failed_ = false;
};

}  // namespace legrad
