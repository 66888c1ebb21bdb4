#include "lab/toy_training.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <sys/stat.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/optim/adamw.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/error.h"
#include "base/file.h"
#include "engine/model_files.h"
#include "lab/random_init.h"
#include "model/clip_model.h"
#include "model/transformer.h"
#include "model/weight_source.h"
#include "text/vocabulary.h"
#include "text/word_tokenizer.h"
#include "video/preprocess.h"

namespace legrad {

ClipConfig toy_clip_config(int image_size) {
  ClipConfig c;
  c.embed_dim = 64;
  c.vision.image_size = image_size;
  c.vision.patch_size = 8;
  c.vision.width = 128;
  c.vision.layers = 4;
  c.vision.head_width = 32;
  c.vision.mlp_width = 512;
  c.text.context_length = 8;
  c.text.vocab_size = static_cast<int>(toy_words().size()) + 3;
  c.text.width = 64;
  c.text.heads = 2;
  c.text.layers = 2;
  c.text.mlp_width = 256;
  return c;
}

ToyStart parse_toy_start(const std::string& name) {
  for (ToyStart s : {ToyStart::Random, ToyStart::Sincos, ToyStart::Mimetic})
    if (name == toy_start_name(s)) return s;
  throw Error("unknown start '" + name + "' (random, sincos, mimetic)");
}

const char* toy_start_name(ToyStart start) {
  switch (start) {
    case ToyStart::Random: return "random";
    case ToyStart::Sincos: return "sincos";
    case ToyStart::Mimetic: return "mimetic";
  }
  return "?";
}

ValueTargets parse_value_targets(const std::string& name) {
  for (ValueTargets t : {ValueTargets::Quarter, ValueTargets::Coverage})
    if (name == value_targets_name(t)) return t;
  throw Error("unknown value-patch targets '" + name + "' (quarter, coverage)");
}

const char* value_targets_name(ValueTargets targets) {
  switch (targets) {
    case ValueTargets::Quarter: return "quarter";
    case ValueTargets::Coverage: return "coverage";
  }
  return "?";
}

std::vector<std::string> toy_words() {
  std::vector<std::string> words;
  for (int label = 0; label < kFashionClassCount; ++label) {
    std::istringstream in(class_prompt(label));
    for (std::string w; in >> w;)
      if (std::find(words.begin(), words.end(), w) == words.end()) words.push_back(w);
  }
  return words;
}

namespace {

struct Batch {
  at::Tensor pixels;    // [B, 3, S, S] normalised
  at::Tensor labels;    // [B, classes]: +1 present, -1 absent
  at::Tensor coverage;  // [B, g*g, classes]: the share of each patch each class's item covers
};

// Which patches an item covers, for the patch-level losses: its mask pooled over each patch.
at::Tensor patch_coverage(const at::Tensor& mask, int patch) {
  const int64_t g = mask.size(0) / patch;
  return mask.to(at::kFloat).view({g, patch, g, patch}).mean({1, 3}).flatten();
}

// Scenes [first, first + count), composed on `threads` threads (each scene is a pure function
// of its index, so the split does not change the batch); patch coverage only for patch > 0.
Batch make_batch(const SceneGenerator& scenes, const PixelNormalization& norm, int patch,
                 uint64_t first, int count, int threads) {
  std::vector<at::Tensor> pixels(count);
  Batch batch{at::Tensor(), at::full({count, kFashionClassCount}, -1.0f), at::Tensor()};
  if (patch > 0) {
    const int64_t g = scenes.options().size / patch;
    batch.coverage = at::zeros({count, g * g, kFashionClassCount});
  }
  auto compose = [&](int begin, int end) {
    for (int b = begin; b < end; ++b) {
      const Scene s = scenes.scene(first + b);
      pixels[b] = normalize_pixels(s.image, norm);
      for (const SceneItem& item : s.items) {
        batch.labels[b][item.label] = 1.0f;
        if (patch > 0)  // a scene's items are of different classes
          batch.coverage[b].select(1, item.label).copy_(patch_coverage(item.mask, patch));
      }
    }
  };
  std::vector<std::future<void>> parts;
  const int per = (count + threads - 1) / threads;
  for (int begin = per; begin < count; begin += per)
    parts.push_back(std::async(std::launch::async, compose, begin, std::min(count, begin + per)));
  compose(0, std::min(count, per));
  for (auto& p : parts) p.get();
  batch.pixels = at::cat(pixels);
  return batch;
}

// Where the training batches come from: the scenes in order, `size` per step.
struct BatchSource {
  const SceneGenerator& scenes;
  const PixelNormalization& norm;
  int patch;  // > 0: with patch coverage
  int size, threads;

  // Composed on its own thread, so that the next batch is ready when a step ends.
  std::future<Batch> start(int step) const {
    return std::async(std::launch::async, make_batch, std::cref(scenes), std::cref(norm), patch,
                      static_cast<uint64_t>(step) * size, size, threads);
  }
};

// 2-D sine-cosine positional embeddings for the patch grid (class-token row zero): neighbours
// start with similar embeddings, which a learned table must discover first.
at::Tensor sincos_positions(int64_t grid, int64_t width) {
  const int64_t quarter = width / 4;
  const at::Tensor freq = at::pow(10000.0, -at::arange(quarter, at::kDouble) / quarter);
  const at::Tensor angle = at::arange(grid, at::kDouble).unsqueeze(1) * freq;  // [g, width/4]
  const at::Tensor wave = at::cat({angle.sin(), angle.cos()}, 1);
  const at::Tensor rows = wave.unsqueeze(1).expand({grid, grid, width / 2});
  const at::Tensor cols = wave.unsqueeze(0).expand({grid, grid, width / 2});
  const at::Tensor patches = at::cat({rows, cols}, 2).reshape({grid * grid, width});
  return at::cat({at::zeros({1, width}, at::kDouble), patches}).to(at::kFloat);
}

at::Tensor& find_weight(NamedTensors& weights, const std::string& key) {
  for (auto& [k, t] : weights)
    if (k == key) return t;
  throw Error("no weight " + key);
}

// Factors a, b with a b = the best rank-`rank` approximation of alpha Z + beta I (Z random,
// width x width).
std::pair<at::Tensor, at::Tensor> mimetic_factors(double alpha, double beta, int64_t rank,
                                                  int64_t width, at::Generator& gen) {
  const at::Tensor m =
      at::normal(0.0, alpha / std::sqrt(static_cast<double>(width)), {width, width}, gen) +
      at::eye(width) * beta;
  const auto [u, s, vh] = at::linalg_svd(m, false);
  const at::Tensor root = s.slice(0, 0, rank).sqrt();
  return std::make_pair(u.slice(1, 0, rank) * root, vh.slice(0, 0, rank) * root.unsqueeze(1));
}

// Mimetic initialisation of the vision tower's attention (Trockman & Kolter, ICML 2023): per
// head W_q^T W_k ~ 0.7 Z + 0.7 I, so tokens start attending to similar tokens (with sine-cosine
// positions: to their neighbours), and W_o W_v ~ 0.4 Z - 0.4 I, as in trained ViTs.
void mimetic_attention(NamedTensors& weights, const VisionConfig& v, uint64_t seed) {
  const int64_t width = v.width, head = v.head_width, heads = v.width / v.head_width;
  at::Generator gen = at::detail::createCPUGenerator(seed);
  for (int b = 0; b < v.layers; ++b) {
    const std::string p = "visual.transformer.resblocks." + std::to_string(b) + ".attn.";
    at::Tensor& in_proj = find_weight(weights, p + "in_proj_weight");  // rows: W_q, W_k, W_v
    for (int64_t h = 0; h < heads; ++h) {
      const auto [q, k] = mimetic_factors(0.7, 0.7, head, width, gen);
      in_proj.slice(0, h * head, (h + 1) * head).copy_(q.t());
      in_proj.slice(0, width + h * head, width + (h + 1) * head).copy_(k);
    }
    const auto [o, val] = mimetic_factors(0.4, -0.4, width, width, gen);
    in_proj.slice(0, 2 * width, 3 * width).copy_(val);
    find_weight(weights, p + "out_proj.weight").copy_(o);
  }
}

void check_recipe(const ToyRecipe& recipe) {
  if (recipe.steps < 1 || recipe.batch < 1) throw Error("steps and batch must be >= 1");
  if (recipe.scene_threads < 1) throw Error("scene threads must be >= 1");
  if (recipe.workers < 1 || recipe.workers > recipe.batch)
    throw Error("workers must be between 1 and the batch size");
}

// Random weights, the logit scale and bias a sigmoid loss starts from, and the recipe's start.
NamedTensors fresh_weights(const ClipConfig& config, const ToyRecipe& recipe) {
  NamedTensors weights = random_clip_weights(config, recipe.seed, WeightInit::Training);
  find_weight(weights, "logit_scale") = at::full({}, std::log(10.0));
  weights.push_back({"logit_bias", at::full({}, -5.0)});
  if (recipe.start != ToyStart::Random)
    find_weight(weights, "visual.positional_embedding") =
        sincos_positions(config.vision.grid(), config.vision.width);
  if (recipe.start == ToyStart::Mimetic) mimetic_attention(weights, config.vision, recipe.seed + 1);
  return weights;
}

// The weights of the model folder recipe.init, in the key order of fresh ones.
NamedTensors continued_weights(const ClipConfig& config, const ToyRecipe& recipe) {
  NamedTensors weights;
  const SafetensorsFile file(recipe.init + "/open_clip_model.safetensors");
  for (const auto& [key, tensor] : random_clip_weights(config, recipe.seed, WeightInit::Training)) {
    at::Tensor loaded = file.load(key, at::kFloat);
    // A model trained at another input size continues at this one from its positional
    // embedding resampled as for explaining at that size.
    if (key == "visual.positional_embedding" && !loaded.sizes().equals(tensor.sizes()))
      loaded = load_clip_model(locate_model_files(recipe.init), c10::kCPU)
                   ->positional_embedding(recipe.scenes.size);
    weights.push_back({key, loaded});
  }
  weights.push_back({"logit_bias", file.load("logit_bias", at::kFloat)});
  return weights;
}

// The class prompts in the model's word vocabulary.
at::Tensor class_prompt_tokens(const ToyModel& model, c10::Device device) {
  const WordTokenizer tokenizer(model.words);
  std::vector<std::string> prompts;
  for (int label = 0; label < kFashionClassCount; ++label) prompts.push_back(class_prompt(label));
  return tokenizer.tokenize_prompts(prompts, model.config.text.context_length).to(device);
}

// The tensors the optimiser updates, with the two the loss reads by name.
struct Parameters {
  std::vector<at::Tensor> all;
  at::Tensor logit_scale, logit_bias;
};

Parameters parameters_of(const NamedTensors& weights) {
  Parameters params;
  for (const auto& [key, tensor] : weights) {
    params.all.push_back(tensor);
    if (key == "logit_scale") params.logit_scale = tensor;
    if (key == "logit_bias") params.logit_bias = tensor;
  }
  return params;
}

// What every training step reads.
struct TrainingSetup {
  const ToyRecipe& recipe;
  const ClipModel& model;
  Parameters params;
  at::Tensor tokens;  // the class prompts
};

// Sigmoid image-text losses against the class prompts' embeddings.
struct PromptLoss {
  at::Tensor text;  // [classes, E]
  at::Tensor logit_scale, logit_bias;

  at::Tensor logits(const at::Tensor& image) const {
    return at::matmul(image, text.t()) * logit_scale.exp() + logit_bias;
  }
  // Embeddings [..., E] against their +1/-1 labels [..., classes] (0: left out): summed over
  // the prompts, averaged over the rest.
  at::Tensor presence(const at::Tensor& image, const at::Tensor& targets) const {
    return -at::log_sigmoid(targets * logits(image)).sum(-1).mean();
  }
  // The same against probabilities of presence; 0 and 1 give the loss above.
  at::Tensor probability(const at::Tensor& image, const at::Tensor& probability) const {
    const at::Tensor l = logits(image);
    return -(probability * at::log_sigmoid(l) + (1 - probability) * at::log_sigmoid(-l))
                .sum(-1)
                .mean();
  }
};

// One shard's targets: image labels, and those of the patch losses the recipe turns on.
struct ShardTargets {
  at::Tensor labels, patch, value;
};

ShardTargets shard_targets(const Batch& batch, int64_t begin, int64_t end,
                           const ToyRecipe& recipe) {
  ShardTargets t;
  t.labels = batch.labels.slice(0, begin, end).to(recipe.device);
  if (!batch.coverage.defined()) return t;
  const at::Tensor coverage = batch.coverage.slice(0, begin, end).to(recipe.device);
  if (recipe.patch_weight > 0) t.patch = patch_targets(coverage, false);
  if (recipe.value_patch_weight > 0) {
    const bool quarter = recipe.value_patch_targets == ValueTargets::Quarter;
    t.value = quarter ? patch_targets(coverage, true) : coverage;
    if (recipe.value_patch_per_head) t.value = t.value.unsqueeze(1);  // the same for each head
  }
  return t;
}

// What one worker's losses read.
struct ShardInputs {
  const ClipModel& model;
  const ToyRecipe& recipe;
  PromptLoss prompts;
  ShardTargets targets;
};

// Adds terms in the order given: the order fixes the float result.
struct LossSum {
  at::Tensor total;
  void add(const at::Tensor& term) { total = total.defined() ? total + term : term; }
};

at::Tensor value_patch_loss(const ShardInputs& in, const ResidualBlock& block,
                            const AttentionParts& parts) {
  const ToyRecipe& r = in.recipe;
  const at::Tensor readout = value_readout(in.model, block, parts, r.value_patch_per_head);
  return r.value_patch_weight * (r.value_patch_targets == ValueTargets::Quarter
                                     ? in.prompts.presence(readout, in.targets.value)
                                     : in.prompts.probability(readout, in.targets.value));
}

// The losses on a last block's output tokens: their mean, and each patch token.
void add_token_losses(const ShardInputs& in, const at::Tensor& x, LossSum& loss) {
  const ToyRecipe& r = in.recipe;
  const PromptLoss& p = in.prompts;
  if (r.mean_token_weight > 0)
    loss.add(r.mean_token_weight *
             p.presence(in.model.project_image(x.mean(1)), in.targets.labels));
  if (r.patch_weight > 0)
    loss.add(r.patch_weight * p.presence(in.model.project_image(x.slice(1, 1)), in.targets.patch));
}

// The vision tower over a shard's pixels, adding the auxiliary losses of its last blocks;
// returns the final tokens.
at::Tensor encode_with_losses(const ShardInputs& in, const at::Tensor& pixels, LossSum& loss) {
  at::Tensor x = in.model.embed_image(pixels);
  const auto& blocks = in.model.vision_blocks();
  for (size_t l = 0; l < blocks.size(); ++l) {
    const bool last = l + in.recipe.mean_token_blocks >= blocks.size();
    const AttentionParts parts = attention(blocks[l], x);
    if (last && in.recipe.value_patch_weight > 0) loss.add(value_patch_loss(in, blocks[l], parts));
    x = finish_block(blocks[l], x, parts.mixed, in.model.activation());
    if (last) add_token_losses(in, x, loss);
  }
  return x;
}

// A class-token loss (the one reported) and the gradients of all losses.
struct Gradients {
  double loss = 0.0;
  torch::autograd::variable_list grads;
};

// One worker's share of the batch, loss and gradients both weighted by its share, so that the
// workers' sums are the whole batch's.
Gradients shard_gradients(const TrainingSetup& setup, const Batch& batch, int worker) {
  const ToyRecipe& r = setup.recipe;
  const int64_t n = batch.pixels.size(0);
  const int64_t begin = n * worker / r.workers, end = n * (worker + 1) / r.workers;
  const double share = static_cast<double>(end - begin) / n;
  // Each worker encodes the (ten, short) prompts itself, so the workers' graphs share nothing.
  const ShardInputs in{
      setup.model,
      r,
      {setup.model.encode_text(setup.tokens), setup.params.logit_scale, setup.params.logit_bias},
      shard_targets(batch, begin, end, r)};
  LossSum loss;
  const at::Tensor x = encode_with_losses(in, batch.pixels.slice(0, begin, end).to(r.device), loss);
  const at::Tensor main_loss =
      in.prompts.presence(setup.model.project_image(x.select(1, 0)), in.targets.labels);
  loss.add(main_loss);
  return {main_loss.item<double>() * share,
          torch::autograd::grad({loss.total * share}, setup.params.all)};
}

// The workers side by side, summed in worker order: deterministic for a worker count.
Gradients batch_gradients(const TrainingSetup& setup, const Batch& batch) {
  std::vector<std::future<Gradients>> others;
  for (int w = 1; w < setup.recipe.workers; ++w)
    others.push_back(
        std::async(std::launch::async, shard_gradients, std::cref(setup), std::cref(batch), w));
  Gradients sum = shard_gradients(setup, batch, 0);
  for (auto& other : others) {
    const Gradients g = other.get();
    sum.loss += g.loss;
    for (size_t i = 0; i < sum.grads.size(); ++i) sum.grads[i] = sum.grads[i] + g.grads[i];
  }
  return sum;
}

// Linear warm-up, then cosine decay to zero.
double learning_rate(const ToyRecipe& recipe, int step) {
  if (step < recipe.warmup_steps) return recipe.lr * (step + 1) / recipe.warmup_steps;
  return recipe.lr * 0.5 *
         (1 + std::cos(M_PI * (step - recipe.warmup_steps) /
                       std::max(1, recipe.steps - recipe.warmup_steps)));
}

void set_learning_rate(torch::optim::AdamW& optimizer, double lr) {
  for (auto& group : optimizer.param_groups())
    static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
}

void apply_gradients(torch::optim::AdamW& optimizer, const Parameters& params,
                     const torch::autograd::variable_list& grads) {
  for (size_t i = 0; i < params.all.size(); ++i) params.all[i].mutable_grad() = grads[i];
  optimizer.step();
  at::NoGradGuard no_grad;
  params.logit_scale.clamp_(0, std::log(100.0));
}

// The class-token loss averaged over the steps since the last report.
struct LossMeter {
  double sum = 0.0;
  int count = 0;
  double mean() const { return sum / count; }
};

// The optimisation loop; sets out.final_loss (the last reported mean) and out.seconds.
void optimise(const TrainingSetup& setup, const BatchSource& source, ToyModel& out,
              const std::function<void(const TrainingProgress&)>& progress) {
  const ToyRecipe& recipe = setup.recipe;
  torch::optim::AdamW optimizer(
      setup.params.all, torch::optim::AdamWOptions(recipe.lr).weight_decay(recipe.weight_decay));
  std::future<Batch> next = source.start(0);
  const auto start = std::chrono::steady_clock::now();
  LossMeter meter;
  for (int step = 0; step < recipe.steps; ++step) {
    set_learning_rate(optimizer, learning_rate(recipe, step));
    const Batch batch = next.get();
    if (step + 1 < recipe.steps) next = source.start(step + 1);
    const Gradients g = batch_gradients(setup, batch);
    apply_gradients(optimizer, setup.params, g.grads);
    meter.sum += g.loss;
    ++meter.count;
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (progress && ((step + 1) % 10 == 0 || step + 1 == recipe.steps)) {
      progress({step + 1, recipe.steps, meter.mean(), out.seconds});
      out.final_loss = meter.mean();
      meter = LossMeter();
    }
  }
  if (meter.count > 0) out.final_loss = meter.mean();
}

}  // namespace

at::Tensor patch_targets(const at::Tensor& coverage, bool leave_out_partial) {
  if (!leave_out_partial) return at::where(coverage >= 0.25, 1.0f, -1.0f);
  return at::where(coverage > 0, at::where(coverage >= 0.25, 1.0f, 0.0f), -1.0f);
}

at::Tensor value_contributions(const ResidualBlock& block, const AttentionParts& parts,
                               bool per_head) {
  const at::Tensor values = parts.values.slice(-2, 1);  // [B, H, g*g, hd], class token dropped
  if (!per_head)
    return at::linear(values.transpose(-2, -3).flatten(-2), block.out_proj_weight,
                      block.out_proj_bias);
  const int64_t heads = values.size(-3), head_width = values.size(-1);
  // out_proj's columns of head h: [H, hd, D]
  const at::Tensor columns = block.out_proj_weight.view({-1, heads, head_width}).permute({1, 2, 0});
  return at::matmul(values, columns);
}

at::Tensor value_readout(const ClipModel& model, const ResidualBlock& block,
                         const AttentionParts& parts, bool per_head) {
  return model.project_image(value_contributions(block, parts, per_head));
}

ToyModel train_toy_model(const FashionMnist& train, const ToyRecipe& recipe,
                         const std::function<void(const TrainingProgress&)>& progress) {
  check_recipe(recipe);
  ToyModel out;
  out.config = toy_clip_config(recipe.scenes.size);
  out.words = toy_words();
  out.weights = recipe.init.empty() ? fresh_weights(out.config, recipe)
                                    : continued_weights(out.config, recipe);
  for (auto& [key, tensor] : out.weights)
    tensor = tensor.detach().to(recipe.device).clone().requires_grad_(true);
  // The model reads these very tensors (same dtype and device: no copy), so the optimiser's
  // steps on them are the model's.
  const ClipModel model(out.config, TensorWeights(out.weights, "toy model"), recipe.device);
  const TrainingSetup setup{recipe, model, parameters_of(out.weights),
                            class_prompt_tokens(out, recipe.device)};
  const SceneGenerator scenes(train, recipe.scenes, recipe.seed);
  const PixelNormalization norm(out.config.mean, out.config.std);
  const bool patch_losses = recipe.patch_weight > 0 || recipe.value_patch_weight > 0;
  const BatchSource source{scenes, norm, patch_losses ? out.config.vision.patch_size : 0,
                           recipe.batch, recipe.scene_threads};
  optimise(setup, source, out, progress);
  for (auto& [key, tensor] : out.weights) tensor = tensor.detach().cpu();
  return out;
}

void save_toy_model(const ToyModel& model, const std::string& dir, const std::string& recipe_text) {
  ::mkdir(dir.c_str(), 0755);
  if (!is_dir(dir)) throw Error(dir + ": cannot create this folder");
  write_safetensors(dir + "/open_clip_model.safetensors", model.weights);
  nlohmann::ordered_json config = nlohmann::ordered_json::parse(clip_config_to_json(model.config));
  config["tokenizer"] = kWordListFile;
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream f(dir + "/" + name);
    f << text;
    if (!f) throw Error(dir + "/" + name + ": cannot write");
  };
  write("open_clip_config.json", config.dump(2) + "\n");
  std::string words;
  for (const auto& w : model.words) words += w + "\n";
  write(kWordListFile, words);
  write("training.json", recipe_text);
}

}  // namespace legrad
