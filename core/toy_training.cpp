#include "toy_training.h"

#include <ATen/ATen.h>
#include <sys/stat.h>
#include <torch/optim/adamw.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <sstream>

#include "clip_model.h"
#include "error.h"
#include "preprocess.h"
#include "random_init.h"
#include "transformer.h"
#include "weight_source.h"
#include "word_tokenizer.h"

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
};

// Scenes [first, first + count), composed on `threads` threads (each scene is a pure function
// of its index, so the split does not change the batch).
Batch make_batch(const SceneGenerator& scenes, const PixelNormalization& norm, uint64_t first,
                 int count, int threads) {
  std::vector<at::Tensor> pixels(count);
  Batch batch{at::Tensor(), at::full({count, 10}, -1.0f)};
  auto compose = [&](int begin, int end) {
    for (int b = begin; b < end; ++b) {
      const Scene s = scenes.scene(first + b);
      pixels[b] = normalize_pixels(s.image, norm);
      for (const SceneItem& item : s.items) batch.labels[b][item.label] = 1.0f;
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

}  // namespace

ToyModel train_toy_model(const FashionMnist& train, const ToyRecipe& recipe,
                         const std::function<void(const TrainingProgress&)>& progress) {
  if (recipe.steps < 1 || recipe.batch < 1) throw Error("steps and batch must be >= 1");
  if (recipe.scene_threads < 1) throw Error("scene threads must be >= 1");
  ToyModel out;
  out.config = toy_clip_config(recipe.scenes.size);
  out.words = toy_words();
  if (recipe.init.empty()) {
    out.weights = random_clip_weights(out.config, recipe.seed, WeightInit::Training);
    for (auto& [key, tensor] : out.weights)
      if (key == "logit_scale") tensor = at::full({}, std::log(10.0));
    out.weights.push_back({"logit_bias", at::full({}, -5.0)});
  } else {
    const SafetensorsFile file(recipe.init + "/open_clip_model.safetensors");
    for (const auto& [key, tensor] : random_clip_weights(out.config, recipe.seed, WeightInit::Training))
      out.weights.push_back({key, file.load(key, at::kFloat)});
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
      tokenizer.tokenize_batch(prompts, out.config.text.context_length).to(recipe.device);
  const SceneGenerator scenes(train, recipe.scenes, recipe.seed);
  const PixelNormalization norm(out.config.mean, out.config.std);
  // The next batch is composed while the current step computes.
  auto batch_of_step = [&](int step) {
    return std::async(std::launch::async, make_batch, std::cref(scenes), std::cref(norm),
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
    const at::Tensor labels = batch.labels.to(recipe.device);
    const at::Tensor text = model.encode_text(tokens);
    auto presence_loss = [&](const at::Tensor& image) {
      const at::Tensor logits = at::matmul(image, text.t()) * logit_scale.exp() + logit_bias;
      return -at::log_sigmoid(labels * logits).sum(1).mean();
    };
    at::Tensor x = model.embed_image(batch.pixels.to(recipe.device));
    at::Tensor loss;
    const auto& blocks = model.vision_blocks();
    for (size_t l = 0; l < blocks.size(); ++l) {
      x = block_forward(blocks[l], x, model.activation());
      if (recipe.mean_token_weight > 0 && l + recipe.mean_token_blocks >= blocks.size()) {
        const at::Tensor aux = recipe.mean_token_weight * presence_loss(model.project_image(x.mean(1)));
        loss = loss.defined() ? loss + aux : aux;
      }
    }
    const at::Tensor main_loss = presence_loss(model.project_image(x.select(1, 0)));
    loss = loss.defined() ? loss + main_loss : main_loss;
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
    {
      at::NoGradGuard no_grad;
      logit_scale.clamp_(0, std::log(100.0));
    }
    loss_sum += main_loss.item<double>();
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
