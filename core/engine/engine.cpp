#include "engine/engine.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <c10/util/Exception.h>

#include <map>
#include <mutex>
#include <new>

#include "base/device.h"
#include "base/error.h"
#include "base/log.h"
#include "explain/legrad_graph.h"
#include "model/clip_model.h"
#include "text/tokenizer.h"
#include "text/vocabulary.h"

namespace legrad {

ModelRequest model_request(const std::string& path, const std::string& vocab,
                           const std::string& device, const std::string& dtype) {
  ModelRequest request;
  request.path = path;
  request.vocab = vocab;
  request.device = parse_device(device);
  request.dtype = parse_dtype(dtype, request.device);
  return request;
}

std::shared_ptr<const LoadedModel> load_model(const ModelRequest& request) {
  auto loaded = std::make_shared<LoadedModel>();
  loaded->files = locate_model_files(request.path, request.vocab);
  loaded->device = request.device;
  loaded->dtype = request.dtype;
  // The weights first: a garbage file is named as such, not as a missing vocabulary.
  loaded->model = load_clip_model(loaded->files, request.device, request.dtype);
  if (loaded->files.vocab.empty())
    throw Error(request.path + ": no tokenizer vocabulary beside the model (" +
                vocabulary_file_names() + ", in its folder or the one above)");
  loaded->tokenizer = load_tokenizer(loaded->files.vocab);
  const size_t vocab_size = static_cast<size_t>(loaded->model->config().text.vocab_size);
  if (loaded->tokenizer->vocab_size() > vocab_size)
    throw Error(loaded->files.vocab + ": tokenizer has " +
                std::to_string(loaded->tokenizer->vocab_size()) +
                " tokens but the model's text tower only " + std::to_string(vocab_size));
  return loaded;
}

LegradEngine::LegradEngine(const ModelRequest& request, const EngineOptions& options)
    : LegradEngine(load_model(request), options) {}

namespace {

bool is_out_of_memory(const c10::Error& e) {
  const std::string what = e.what_without_backtrace();
  return dynamic_cast<const c10::OutOfMemoryError*>(&e) ||
         what.find("can't allocate memory") != std::string::npos ||
         what.find("out of memory") != std::string::npos;
}

int checked_input_size(const ClipModel& model, int input_size) {
  const int size = input_size > 0 ? input_size : model.config().vision.image_size;
  model.check_input_size(size);
  return size;
}

LegradOptions legrad_options(const LoadedModel& loaded, const EngineOptions& options) {
  const ClipConfig& cfg = loaded.model->config();
  legrad_start_layer(options.layer_index, cfg.vision.layers);  // throws if invalid
  LegradOptions out;
  out.layer_index = options.layer_index;
  out.synchronize_timings = options.synchronize_timings;
  if (options.prompts_per_pass < 0) throw Error("prompts per pass must be >= 0 (0: automatic)");
  out.prompts_per_pass = options.prompts_per_pass;
  if (!(options.correction_threshold >= 0 && options.correction_threshold <= 1))
    throw Error("correction-threshold must lie in [0, 1]");
  out.correction_threshold = options.correction_threshold;
  if (!cfg.siglip()) return out;
  if (options.correction_embedding.defined()) {
    out.correction_embedding = options.correction_embedding;
  } else if (!options.correction_text.empty()) {
    if (!loaded.tokenizer)
      throw Error("no tokenizer to encode the correction text '" + options.correction_text + "'");
    at::NoGradGuard no_grad;
    out.correction_embedding = loaded.model->encode_text(
        loaded.tokenizer->tokenize_prompts({options.correction_text}, cfg.text.context_length));
  }
  return out;
}

}  // namespace

LegradEngine::LegradEngine(std::shared_ptr<const LoadedModel> model, const EngineOptions& options)
    : loaded_(std::move(model)),
      input_size_(checked_input_size(*loaded_->model, options.input_size)),
      legrad_options_(legrad_options(*loaded_, options)),
      cuda_graphs_(options.cuda_graphs),
      preprocessor_(loaded_->model->config().mean, loaded_->model->config().std, input_size_,
                    loaded_->model->device()) {}

PromptSet LegradEngine::encode_prompts(const std::vector<std::string>& prompts) const {
  if (prompts.empty()) throw Error("no prompts given");
  const int context = loaded_->model->config().text.context_length;
  const at::Tensor tokens = loaded_->tokenizer->tokenize_prompts(prompts, context, [&](size_t p) {
    log(LogLevel::Warning, "prompt " + std::to_string(p + 1) + " is longer than " +
                               std::to_string(context) + " tokens and was cut");
  });
  return {prompts, loaded_->model->encode_text(tokens)};
}

template <typename F>
auto LegradEngine::naming_out_of_memory(const PromptSet& prompts, F&& work) const {
  // The message is only built when it is needed: this wraps every frame.
  auto what = [&] {
    return "out of memory on " + loaded_->model->device().str() + " for a " +
           std::to_string(input_size_) + "x" + std::to_string(input_size_) + " input with " +
           std::to_string(prompts.texts.size()) +
           " prompt(s); use a smaller input size, fewer prompts or another device";
  };
  try {
    return work();
  } catch (const std::bad_alloc&) {
    throw Error(what());
  } catch (const c10::Error& e) {
    if (!is_out_of_memory(e)) throw;
    throw Error(what() + " (" + e.what_without_backtrace() + ")");
  }
}

Explanation LegradEngine::explain_pixels(const at::Tensor& pixels, const PromptSet& prompts,
                                         ExplainMethod method) const {
  if (prompts.empty()) throw Error("no prompts set");
  return naming_out_of_memory(prompts, [&] {
    const MethodInfo& info = method_info(method);
    if (info.graph_capable)
      if (const auto graph = graph_for(pixels, static_cast<int64_t>(prompts.texts.size())))
        return graph->explain(pixels.to(loaded_->model->device()), prompts.embeddings);
    return explain_with(method, *loaded_->model, pixels, prompts.embeddings, legrad_options_);
  });
}

at::Tensor LegradEngine::preprocess(const ImageView& frame) const { return preprocessor_(frame); }

Explanation LegradEngine::explain(const ImageView& frame, const PromptSet& prompts,
                                  ExplainMethod method) const {
  const at::Tensor pixels = naming_out_of_memory(prompts, [&] { return preprocess(frame); });
  return explain_pixels(pixels, prompts, method);
}

std::vector<Explanation> LegradEngine::explain_batch(const std::vector<ImageView>& frames,
                                                     const std::vector<const PromptSet*>& prompts,
                                                     ExplainMethod method) const {
  if (frames.empty() || frames.size() != prompts.size())
    throw Error("a batch needs one prompt set per frame");
  for (const PromptSet* p : prompts)
    if (!p || p->empty()) throw Error("no prompts set");
  if (frames.size() == 1) return {explain(frames[0], *prompts[0], method)};  // CUDA graphs
  return naming_out_of_memory(*prompts[0], [&] {
    std::vector<at::Tensor> pixels, texts;
    for (size_t i = 0; i < frames.size(); ++i) {
      pixels.push_back(preprocess(frames[i]));
      texts.push_back(prompts[i]->embeddings);
    }
    if (method == ExplainMethod::Legrad)
      return explain_legrad_batch(*loaded_->model, at::cat(pixels), texts, legrad_options_);
    std::vector<Explanation> out;  // the classic explainers take one frame at a time
    for (size_t i = 0; i < frames.size(); ++i)
      out.push_back(explain_with(method, *loaded_->model, pixels[i], texts[i], legrad_options_));
    return out;
  });
}

at::Tensor LegradEngine::scores(const ImageView& frame, const PromptSet& prompts) const {
  if (prompts.empty()) throw Error("no prompts set");
  at::NoGradGuard no_grad;
  const ClipModel& model = *loaded_->model;
  const at::Tensor image = model.encode_image(preprocessor_(frame))[0];
  return at::matmul(prompts.embeddings.to(model.device(), model.dtype()), image).to(at::kFloat);
}

bool LegradEngine::uses_cuda_graph(int64_t prompts) const {
  std::lock_guard<std::mutex> lock(graphs_mutex_);
  return graphs_.count(prompts) > 0;
}

std::shared_ptr<const GraphedLegrad> LegradEngine::graph_for(const at::Tensor& pixels,
                                                             int64_t prompts) const {
  if (!cuda_graphs_ || !GraphedLegrad::supported() || !loaded_->model->device().is_cuda() ||
      !pixels.sizes().equals({1, 3, input_size_, input_size_}))
    return nullptr;
  std::lock_guard<std::mutex> lock(graphs_mutex_);
  if (graphs_failed_) return nullptr;
  if (const auto it = graphs_.find(prompts); it != graphs_.end()) return it->second;
  // Each graph holds its own activation memory: keep only the few prompt counts in use.
  if (graphs_.size() >= 4) graphs_.clear();
  try {
    auto graph = std::make_shared<const GraphedLegrad>(*loaded_->model, input_size_, prompts,
                                                       legrad_options_);
    graphs_.emplace(prompts, graph);
    return graph;
  } catch (const Error& e) {
    log(LogLevel::Warning, std::string(e.what()) + "; running without CUDA graphs");
    graphs_failed_ = true;
    return nullptr;
  }
}

}  // namespace legrad
