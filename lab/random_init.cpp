#include "lab/random_init.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <nlohmann/json.hpp>

#include <sys/stat.h>

#include <fstream>

#include "base/error.h"
#include "base/file.h"

namespace legrad {
namespace {

class Init {
 public:
  Init(uint64_t seed, WeightInit kind)
      : gen_(at::detail::createCPUGenerator(seed)), training_(kind == WeightInit::Training) {}
  at::Tensor normal(std::vector<int64_t> shape, double std, double mean = 0.0) {
    return at::normal(mean, std, shape, gen_);
  }
  // Layer norms start as the identity, biases at zero, for training.
  at::Tensor gain(int64_t width) {
    return training_ ? at::ones({width}) : normal({width}, 0.1, 1.0);
  }
  at::Tensor shift(int64_t width, double std) {
    return training_ ? at::zeros({width}) : normal({width}, std);
  }
  bool training() const { return training_; }
  // A residual block under open_clip's names, or timm's (SigLIP's image tower).
  void block(NamedTensors& out, const std::string& p, int64_t width, int64_t mlp, double attn_gain,
             bool timm = false) {
    const double fan_in = 1.0 / std::sqrt(static_cast<double>(width));
    out.push_back({p + (timm ? "norm1" : "ln_1") + ".weight", gain(width)});
    out.push_back({p + (timm ? "norm1" : "ln_1") + ".bias", shift(width, 0.05)});
    out.push_back({p + (timm ? "attn.qkv.weight" : "attn.in_proj_weight"),
                   normal({3 * width, width}, attn_gain * fan_in)});
    out.push_back({p + (timm ? "attn.qkv.bias" : "attn.in_proj_bias"), shift(3 * width, 0.05)});
    mlp_tail(out, p, timm ? "attn.proj" : "attn.out_proj", timm ? "norm2" : "ln_2", width, mlp,
             timm);
  }

  // Out-projection, norm and MLP: the part of a block that timm's attention pool shares.
  void mlp_tail(NamedTensors& out, const std::string& p, const std::string& out_proj,
                const std::string& norm, int64_t width, int64_t mlp, bool timm) {
    out.push_back({p + out_proj + ".weight",
                   normal({width, width}, 1.0 / std::sqrt(static_cast<double>(width)))});
    out.push_back({p + out_proj + ".bias", shift(width, 0.02)});
    out.push_back({p + norm + ".weight", gain(width)});
    out.push_back({p + norm + ".bias", shift(width, 0.05)});
    out.push_back({p + (timm ? "mlp.fc1" : "mlp.c_fc") + ".weight",
                   normal({mlp, width}, 1.0 / std::sqrt(static_cast<double>(width)))});
    out.push_back({p + (timm ? "mlp.fc1" : "mlp.c_fc") + ".bias", shift(mlp, 0.02)});
    out.push_back({p + (timm ? "mlp.fc2" : "mlp.c_proj") + ".weight",
                   normal({width, mlp}, 1.0 / std::sqrt(static_cast<double>(mlp)))});
    out.push_back({p + (timm ? "mlp.fc2" : "mlp.c_proj") + ".bias", shift(width, 0.02)});
  }

 private:
  at::Generator gen_;
  bool training_;
};

// open_clip's class-token ViT.
void clip_vision(Init& init, NamedTensors& out, const ClipConfig& config, double attn_gain) {
  const VisionConfig& v = config.vision;
  const int64_t w = v.width;
  const int64_t g = v.grid();
  out.push_back({"visual.conv1.weight",
                 init.normal({w, 3, v.patch_size, v.patch_size}, 1.0 / (v.patch_size * 1.7))});
  out.push_back(
      {"visual.class_embedding", init.normal({w}, 1.0 / std::sqrt(static_cast<double>(w)))});
  out.push_back({"visual.positional_embedding",
                 init.normal({1 + g * g, w},
                             init.training() ? 1.0 / std::sqrt(static_cast<double>(w)) : 0.5)});
  out.push_back({"visual.ln_pre.weight", init.gain(w)});
  out.push_back({"visual.ln_pre.bias", init.shift(w, 0.05)});
  for (int i = 0; i < v.layers; ++i)
    init.block(out, "visual.transformer.resblocks." + std::to_string(i) + ".", w, v.mlp_width,
               attn_gain);
  out.push_back({"visual.ln_post.weight", init.gain(w)});
  out.push_back({"visual.ln_post.bias", init.shift(w, 0.05)});
  out.push_back(
      {"visual.proj", init.normal({w, config.embed_dim}, 1.0 / std::sqrt(static_cast<double>(w)))});
}

// timm's SigLIP tower: patch embedding with bias, no class token, the attention pool.
void siglip_vision(Init& init, NamedTensors& out, const ClipConfig& config, double attn_gain) {
  const VisionConfig& v = config.vision;
  const int64_t w = v.width;
  const int64_t g = v.grid();
  const double fan_in = 1.0 / std::sqrt(static_cast<double>(w));
  const std::string t = "visual.trunk.";
  out.push_back({t + "patch_embed.proj.weight",
                 init.normal({w, 3, v.patch_size, v.patch_size}, 1.0 / (v.patch_size * 1.7))});
  out.push_back({t + "patch_embed.proj.bias", init.shift(w, 0.02)});
  out.push_back({t + "pos_embed", init.normal({1, g * g, w}, init.training() ? fan_in : 0.5)});
  for (int i = 0; i < v.layers; ++i)
    init.block(out, t + "blocks." + std::to_string(i) + ".", w, v.mlp_width, attn_gain, true);
  out.push_back({t + "norm.weight", init.gain(w)});
  out.push_back({t + "norm.bias", init.shift(w, 0.05)});
  const std::string p = t + "attn_pool.";
  out.push_back({p + "latent", init.normal({1, 1, w}, fan_in)});
  out.push_back({p + "q.weight", init.normal({w, w}, attn_gain * fan_in)});
  out.push_back({p + "q.bias", init.shift(w, 0.05)});
  out.push_back({p + "kv.weight", init.normal({2 * w, w}, attn_gain * fan_in)});
  out.push_back({p + "kv.bias", init.shift(2 * w, 0.05)});
  init.mlp_tail(out, p, "proj", "norm", w, v.mlp_width, true);
}

}  // namespace

NamedTensors random_clip_weights(const ClipConfig& config, uint64_t seed, WeightInit kind) {
  Init init(seed, kind);
  const double attn_gain = init.training() ? 1.0 : 2.5;
  NamedTensors out;
  if (config.siglip())
    siglip_vision(init, out, config, attn_gain);
  else
    clip_vision(init, out, config, attn_gain);

  const TextConfig& t = config.text;
  const std::string p = t.custom_text ? "text." : "";
  // For training, distinct words start with clearly distinct embeddings: prompts that differ
  // in one word must differ at the start, or no class signal reaches the image tower.
  out.push_back({p + "token_embedding.weight",
                 init.normal({t.vocab_size, t.width}, init.training() ? 1.0 : 0.02)});
  out.push_back({p + "positional_embedding", init.normal({t.context_length, t.width}, 0.01)});
  for (int i = 0; i < t.layers; ++i)
    init.block(out, p + "transformer.resblocks." + std::to_string(i) + ".", t.width, t.mlp_width,
               1.0);
  out.push_back({p + "ln_final.weight", init.gain(t.width)});
  out.push_back({p + "ln_final.bias", init.shift(t.width, 0.05)});
  const double proj_std = 1.0 / std::sqrt(static_cast<double>(t.width));
  if (t.proj_bias) {
    out.push_back(
        {p + "text_projection.weight", init.normal({config.embed_dim, t.width}, proj_std)});
    out.push_back({p + "text_projection.bias", init.shift(config.embed_dim, 0.02)});
  } else {
    out.push_back({p + "text_projection", init.normal({t.width, config.embed_dim}, proj_std)});
  }
  out.push_back({"logit_scale", at::full({}, std::log(1.0 / 0.07))});
  if (config.siglip()) out.push_back({"logit_bias", at::full({}, -10.0)});
  return out;
}

void write_random_model(const ClipConfig& config, uint64_t seed, const std::string& dir) {
  ::mkdir(dir.c_str(), 0755);
  if (!is_dir(dir)) throw Error(dir + ": cannot create this folder");
  write_safetensors(dir + "/open_clip_model.safetensors", random_clip_weights(config, seed));
  std::ofstream json(dir + "/open_clip_config.json");
  json << clip_config_to_json(config);
  if (!json) throw Error(dir + "/open_clip_config.json: cannot write");
}

}  // namespace legrad
