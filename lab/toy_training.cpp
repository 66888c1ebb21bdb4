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

#include "model/clip_model.h"
#include "base/error.h"
#include "engine/model_files.h"
#include "video/preprocess.h"
#include "lab/random_init.h"
#include "model/transformer.h"
#include "model/weight_source.h"
#include "text/word_tokenizer.h"

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
  for (int label = 0; label < 10; ++label) {
    std::istringstream in(class_prompt(label));
    for (std::string w; in >> w;)
      if (std::find(words.begin(), words.end(), w) == words.end()) words.push_back(w);
  }
  return words;
}

namespace {

struct Batch {
  at::Tensor pixels;  // [B, 3, S, S] normalised
  at::Tensor labels;  // [B, 10]: +1 present, -1 absent
  at::Tensor coverage;  // [B, g*g, 10]: the share of each patch the scene's item of each class covers
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
  Batch batch{at::Tensor(), at::full({count, 10}, -1.0f), at::Tensor()};
  if (patch > 0) {
    const int64_t g = scenes.options().size / patch;
    batch.coverage = at::zeros({count, g * g, 10});
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

// Mimetic initialisation of the vision tower's attention (Trockman & Kolter, ICML 2023): per
// head W_q^T W_k ~ 0.7 Z + 0.7 I, so tokens start attending to similar tokens (with sine-cosine
// positions: to their neighbours), and W_o W_v ~ 0.4 Z - 0.4 I, as in trained ViTs.
void mimetic_attention(NamedTensors& weights, const VisionConfig& v, uint64_t seed) {
  const int64_t width = v.width, head = v.head_width, heads = v.width / v.head_width;
  at::Generator gen = at::detail::createCPUGenerator(seed);
  // Factors a, b with a b = the best rank-`rank` approximation of alpha Z + beta I.
  auto factors = [&](double alpha, double beta, int64_t rank) {
    const at::Tensor m = at::normal(0.0, alpha / std::sqrt(static_cast<double>(width)), {width, width}, gen) +
                         at::eye(width) * beta;
    const auto [u, s, vh] = at::linalg_svd(m, false);
    const at::Tensor root = s.slice(0, 0, rank).sqrt();
    return std::make_pair(u.slice(1, 0, rank) * root, vh.slice(0, 0, rank) * root.unsqueeze(1));
  };
  auto find = [&](const std::string& key) -> at::Tensor& {
    for (auto& [k, t] : weights)
      if (k == key) return t;
    throw Error("no weight " + key);
  };
  for (int b = 0; b < v.layers; ++b) {
    const std::string p = "visual.transformer.resblocks." + std::to_string(b) + ".attn.";
    at::Tensor& in_proj = find(p + "in_proj_weight");  // rows: W_q, W_k, W_v
    for (int64_t h = 0; h < heads; ++h) {
      const auto [q, k] = factors(0.7, 0.7, head);
      in_proj.slice(0, h * head, (h + 1) * head).copy_(q.t());
      in_proj.slice(0, width + h * head, width + (h + 1) * head).copy_(k);
    }
    const auto [o, val] = factors(0.4, -0.4, width);
    in_proj.slice(0, 2 * width, 3 * width).copy_(val);
    find(p + "out_proj.weight").copy_(o);
  }
}

}  // namespace

at::Tensor patch_targets(const at::Tensor& coverage, bool leave_out_partial) {
  if (!leave_out_partial) return at::where(coverage >= 0.25, 1.0f, -1.0f);
  return at::where(coverage > 0, at::where(coverage >= 0.25, 1.0f, 0.0f), -1.0f);
}

at::Tensor value_contributions(const ResidualBlock& block, const AttentionParts& parts, bool per_head) {
  const at::Tensor values = parts.values.slice(-2, 1);  // [B, H, g*g, hd], class token dropped
  if (!per_head)
    return at::linear(values.transpose(-2, -3).flatten(-2), block.out_proj_weight, block.out_proj_bias);
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
  if (recipe.steps < 1 || recipe.batch < 1) throw Error("steps and batch must be >= 1");
  if (recipe.scene_threads < 1) throw Error("scene threads must be >= 1");
  if (recipe.workers < 1 || recipe.workers > recipe.batch)
    throw Error("workers must be between 1 and the batch size");
  ToyModel out;
  out.config = toy_clip_config(recipe.scenes.size);
  out.words = toy_words();
  if (recipe.init.empty()) {
    out.weights = random_clip_weights(out.config, recipe.seed, WeightInit::Training);
    for (auto& [key, tensor] : out.weights)
      if (key == "logit_scale") tensor = at::full({}, std::log(10.0));
    out.weights.push_back({"logit_bias", at::full({}, -5.0)});
    if (recipe.start != ToyStart::Random)
      for (auto& [key, tensor] : out.weights)
        if (key == "visual.positional_embedding")
          tensor = sincos_positions(out.config.vision.grid(), out.config.vision.width);
    if (recipe.start == ToyStart::Mimetic) mimetic_attention(out.weights, out.config.vision, recipe.seed + 1);
  } else {
    const SafetensorsFile file(recipe.init + "/open_clip_model.safetensors");
    for (const auto& [key, tensor] : random_clip_weights(out.config, recipe.seed, WeightInit::Training)) {
      at::Tensor loaded = file.load(key, at::kFloat);
      // A model trained at another input size continues at this one from its positional
      // embedding resampled as for explaining at that size.
      if (key == "visual.positional_embedding" && !loaded.sizes().equals(tensor.sizes()))
        loaded = load_clip_model(locate_model_files(recipe.init), c10::kCPU)
                     ->positional_embedding(recipe.scenes.size);
      out.weights.push_back({key, loaded});
    }
    out.weights.push_back({"logit_bias", file.load("logit_bias", at::kFloat)});
  }
  for (auto& [key, tensor] : out.weights)
    tensor = tensor.detach().to(recipe.device).clone().requires_grad_(true);
  // The model reads these very tensors (same dtype and device: no copy), so the optimiser's
  // steps on them are the model's.
  const ClipModel model(out.config, TensorWeights(out.weights, "toy model"), recipe.device);
  std::vector<at::Tensor> params;
  at::Tensor logit_scale, logit_bias;
  for (const auto& [key, tensor] : out.weights) {
    params.push_back(tensor);
    if (key == "logit_scale") logit_scale = tensor;
    if (key == "logit_bias") logit_bias = tensor;
  }
  torch::optim::AdamW optimizer(
      params, torch::optim::AdamWOptions(recipe.lr).weight_decay(recipe.weight_decay));

  const WordTokenizer tokenizer(out.words);
  std::vector<std::string> prompts;
  for (int label = 0; label < 10; ++label) prompts.push_back(class_prompt(label));
  const at::Tensor tokens =
      tokenizer.tokenize_prompts(prompts, out.config.text.context_length).to(recipe.device);
  const SceneGenerator scenes(train, recipe.scenes, recipe.seed);
  const PixelNormalization norm(out.config.mean, out.config.std);
  // The next batch is composed while the current step computes.
  auto batch_of_step = [&](int step) {
    return std::async(std::launch::async, make_batch, std::cref(scenes), std::cref(norm),
                      recipe.patch_weight > 0 || recipe.value_patch_weight > 0 ? out.config.vision.patch_size : 0,
                      static_cast<uint64_t>(step) * recipe.batch, recipe.batch, recipe.scene_threads);
  };
  std::future<Batch> next = batch_of_step(0);

  const auto start = std::chrono::steady_clock::now();
  double loss_sum = 0.0;
  int loss_count = 0;
  for (int step = 0; step < recipe.steps; ++step) {
    // Linear warm-up, then cosine decay to zero.
    const double lr = step < recipe.warmup_steps
                          ? recipe.lr * (step + 1) / recipe.warmup_steps
                          : recipe.lr * 0.5 *
                                (1 + std::cos(M_PI * (step - recipe.warmup_steps) /
                                              std::max(1, recipe.steps - recipe.warmup_steps)));
    for (auto& group : optimizer.param_groups())
      static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);

    const Batch batch = next.get();
    if (step + 1 < recipe.steps) next = batch_of_step(step + 1);
    const int64_t n = batch.pixels.size(0);
    // One worker's share of the batch: its class-token loss (reported) and its gradients, both
    // weighted by its share, so that the workers' sums are the whole batch's.
    auto shard = [&](int w) {
      const int64_t begin = n * w / recipe.workers, end = n * (w + 1) / recipe.workers;
      const double share = static_cast<double>(end - begin) / n;
      const at::Tensor labels = batch.labels.slice(0, begin, end).to(recipe.device);
      // Each worker encodes the (ten, short) prompts itself, so the workers' graphs share nothing.
      const at::Tensor text = model.encode_text(tokens);
      auto logits_of = [&](const at::Tensor& image) {
        return at::matmul(image, text.t()) * logit_scale.exp() + logit_bias;
      };
      // Embeddings [..., E] against their +1/-1 labels [..., 10] (0: left out): summed over
      // the prompts, averaged over the rest.
      auto presence_loss = [&](const at::Tensor& image, const at::Tensor& targets) {
        return -at::log_sigmoid(targets * logits_of(image)).sum(-1).mean();
      };
      // The same against probabilities of presence; 0 and 1 give the loss above.
      auto probability_loss = [&](const at::Tensor& image, const at::Tensor& probability) {
        const at::Tensor logits = logits_of(image);
        return -(probability * at::log_sigmoid(logits) + (1 - probability) * at::log_sigmoid(-logits))
                    .sum(-1)
                    .mean();
      };
      at::Tensor patch_labels, value_labels;
      if (batch.coverage.defined()) {
        const at::Tensor coverage = batch.coverage.slice(0, begin, end).to(recipe.device);
        if (recipe.patch_weight > 0) patch_labels = patch_targets(coverage, false);
        if (recipe.value_patch_weight > 0) {
          value_labels = recipe.value_patch_targets == ValueTargets::Quarter ? patch_targets(coverage, true) : coverage;
          if (recipe.value_patch_per_head) value_labels = value_labels.unsqueeze(1);  // the same for each head
        }
      }
      at::Tensor x = model.embed_image(batch.pixels.slice(0, begin, end).to(recipe.device));
      at::Tensor loss;
      const auto& blocks = model.vision_blocks();
      for (size_t l = 0; l < blocks.size(); ++l) {
        auto add = [&](const at::Tensor& aux) { loss = loss.defined() ? loss + aux : aux; };
        const bool last = l + recipe.mean_token_blocks >= blocks.size();
        const AttentionParts parts = attention(blocks[l], x);
        if (last && recipe.value_patch_weight > 0) {
          const at::Tensor readout = value_readout(model, blocks[l], parts, recipe.value_patch_per_head);
          add(recipe.value_patch_weight * (recipe.value_patch_targets == ValueTargets::Quarter
                                               ? presence_loss(readout, value_labels)
                                               : probability_loss(readout, value_labels)));
        }
        x = finish_block(blocks[l], x, parts.mixed, model.activation());
        if (!last) continue;
        if (recipe.mean_token_weight > 0)
          add(recipe.mean_token_weight * presence_loss(model.project_image(x.mean(1)), labels));
        if (recipe.patch_weight > 0)
          add(recipe.patch_weight * presence_loss(model.project_image(x.slice(1, 1)), patch_labels));
      }
      const at::Tensor main_loss = presence_loss(model.project_image(x.select(1, 0)), labels);
      loss = loss.defined() ? loss + main_loss : main_loss;
      return std::make_pair(main_loss.item<double>() * share,
                            torch::autograd::grad({loss * share}, params));
    };
    std::vector<std::future<std::pair<double, torch::autograd::variable_list>>> others;
    for (int w = 1; w < recipe.workers; ++w) others.push_back(std::async(std::launch::async, shard, w));
    auto [main_loss, grads] = shard(0);
    for (auto& other : others) {  // summed in worker order: deterministic for a worker count
      auto [other_loss, other_grads] = other.get();
      main_loss += other_loss;
      for (size_t i = 0; i < grads.size(); ++i) grads[i] = grads[i] + other_grads[i];
    }
    for (size_t i = 0; i < params.size(); ++i) params[i].mutable_grad() = grads[i];
    optimizer.step();
    {
      at::NoGradGuard no_grad;
      logit_scale.clamp_(0, std::log(100.0));
    }
    loss_sum += main_loss;
    ++loss_count;
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (progress && ((step + 1) % 10 == 0 || step + 1 == recipe.steps)) {
      progress({step + 1, recipe.steps, loss_sum / loss_count, seconds});
      out.final_loss = loss_sum / loss_count;
      loss_sum = 0.0;
      loss_count = 0;
    }
    out.seconds = seconds;
  }
  if (loss_count > 0) out.final_loss = loss_sum / loss_count;
  for (auto& [key, tensor] : out.weights) tensor = tensor.detach().cpu();
  return out;
}

void save_toy_model(const ToyModel& model, const std::string& dir, const std::string& recipe_text) {
  ::mkdir(dir.c_str(), 0755);
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) throw Error(dir + ": cannot create this folder");
  write_safetensors(dir + "/open_clip_model.safetensors", model.weights);
  nlohmann::ordered_json config = nlohmann::ordered_json::parse(clip_config_to_json(model.config));
  config["tokenizer"] = "words.txt";
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream f(dir + "/" + name);
    f << text;
    if (!f) throw Error(dir + "/" + name + ": cannot write");
  };
  write("open_clip_config.json", config.dump(2) + "\n");
  std::string words;
  for (const auto& w : model.words) words += w + "\n";
  write("words.txt", words);
  write("training.json", recipe_text);
}

}  // namespace legrad
