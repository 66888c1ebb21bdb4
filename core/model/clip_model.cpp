#include "model/clip_model.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <limits>
#include <sstream>

#include "base/error.h"
#include "model/safetensors.h"
#include "model/weight_source.h"

namespace legrad {
namespace {

std::string shape_str(at::IntArrayRef shape) {
  std::ostringstream s;
  s << '[';
  for (size_t i = 0; i < shape.size(); ++i) s << (i ? ", " : "") << shape[i];
  s << ']';
  return s.str();
}

// Loads tensors with shape checks against the config.
class WeightReader {
 public:
  WeightReader(const WeightSource& source, const ClipConfig& cfg, c10::Device device,
               at::ScalarType dtype)
      : source_(source), cfg_(cfg), options_(at::TensorOptions().device(device).dtype(dtype)) {}

  at::Tensor take(const std::string& name, std::vector<int64_t> expected) const {
    const auto shape = source_.shape(name);
    if (!shape)
      throw Error(source_.name() + ": tensor '" + name + "' is missing (the config " + cfg_.source +
                  " needs it with shape " + shape_str(expected) + ")");
    if (*shape != expected)
      throw Error(source_.name() + ": tensor '" + name + "' has shape " + shape_str(*shape) +
                  " but the config " + cfg_.source + " needs " + shape_str(expected));
    return source_.load(name, options_.dtype().toScalarType()).to(options_.device());
  }

  LayerNormWeights layer_norm(const std::string& prefix, int64_t width) const {
    return {take(prefix + ".weight", {width}), take(prefix + ".bias", {width})};
  }

  std::vector<ResidualBlock> blocks(const std::string& prefix, int layers, int64_t width,
                                    int64_t mlp, int heads) const {
    std::vector<ResidualBlock> out;
    for (int i = 0; i < layers; ++i) {
      const std::string p = prefix + std::to_string(i) + ".";
      ResidualBlock b;
      b.ln_1 = layer_norm(p + "ln_1", width);
      b.ln_2 = layer_norm(p + "ln_2", width);
      b.in_proj_weight = take(p + "attn.in_proj_weight", {3 * width, width});
      b.in_proj_bias = take(p + "attn.in_proj_bias", {3 * width});
      b.out_proj_weight = take(p + "attn.out_proj.weight", {width, width});
      b.out_proj_bias = take(p + "attn.out_proj.bias", {width});
      b.fc_weight = take(p + "mlp.c_fc.weight", {mlp, width});
      b.fc_bias = take(p + "mlp.c_fc.bias", {mlp});
      b.proj_weight = take(p + "mlp.c_proj.weight", {width, mlp});
      b.proj_bias = take(p + "mlp.c_proj.bias", {width});
      b.heads = heads;
      out.push_back(std::move(b));
    }
    // A deeper checkpoint than the config says is a mismatch too.
    if (source_.shape(prefix + std::to_string(layers) + ".ln_1.weight"))
      throw Error(source_.name() + ": has more than the " + std::to_string(layers) + " blocks '" +
                  prefix + "*' that the config " + cfg_.source + " describes");
    return out;
  }

 private:
  const WeightSource& source_;
  const ClipConfig& cfg_;
  at::TensorOptions options_;
};

}  // namespace

ClipModel::ClipModel(ClipConfig config, const SafetensorsFile& weights, c10::Device device,
                     at::ScalarType dtype)
    : ClipModel(std::move(config), SafetensorsWeights(weights), device, dtype) {}

ClipModel::ClipModel(ClipConfig config, const WeightSource& weights, c10::Device device,
                     at::ScalarType dtype)
    : config_(std::move(config)),
      device_(device),
      dtype_(dtype),
      act_(config_.quick_gelu ? Activation::QuickGelu : Activation::Gelu) {
  at::NoGradGuard no_grad;
  const WeightReader r(weights, config_, device, dtype);
  const VisionConfig& v = config_.vision;
  const int64_t g = v.grid();
  conv1_ = r.take("visual.conv1.weight", {v.width, 3, v.patch_size, v.patch_size});
  class_embedding_ = r.take("visual.class_embedding", {v.width});
  vision_pos_ = r.take("visual.positional_embedding", {1 + g * g, v.width});
  vision_proj_ = r.take("visual.proj", {v.width, config_.embed_dim});
  ln_pre_ = r.layer_norm("visual.ln_pre", v.width);
  ln_post_ = r.layer_norm("visual.ln_post", v.width);
  vision_blocks_ =
      r.blocks("visual.transformer.resblocks.", v.layers, v.width, v.mlp_width, v.heads());

  const TextConfig& t = config_.text;
  token_embedding_ = r.take("token_embedding.weight", {t.vocab_size, t.width});
  text_pos_ = r.take("positional_embedding", {t.context_length, t.width});
  text_proj_ = r.take("text_projection", {t.width, config_.embed_dim});
  ln_final_ = r.layer_norm("ln_final", t.width);
  text_blocks_ = r.blocks("transformer.resblocks.", t.layers, t.width, t.mlp_width, t.heads);
  causal_mask_ =
      at::full({t.context_length, t.context_length}, -std::numeric_limits<float>::infinity(),
               at::TensorOptions().device(device).dtype(dtype))
          .triu(1);
  pos_cache_[v.image_size] = vision_pos_;
}

at::Tensor ClipModel::encode_text(const at::Tensor& tokens) const {
  const TextConfig& t = config_.text;
  if (tokens.dim() != 2 || tokens.size(1) != t.context_length)
    throw Error("text tokens must have shape [P, " + std::to_string(t.context_length) + "], got " +
                shape_str(tokens.sizes()));
  at::Tensor ids = tokens.to(device_, at::kLong);
  if (ids.numel() > 0 &&
      (ids.min().item<int64_t>() < 0 || ids.max().item<int64_t>() >= t.vocab_size))
    throw Error("text token ids must lie in [0, " + std::to_string(t.vocab_size) + ")");
  at::Tensor x = at::embedding(token_embedding_, ids) + text_pos_;
  for (const auto& block : text_blocks_) x = block_forward(block, x, act_, causal_mask_);
  x = layer_norm(x, ln_final_);
  at::Tensor eot = ids.argmax(-1);
  at::Tensor pooled = x.gather(1, eot.view({-1, 1, 1}).expand({-1, 1, x.size(2)})).squeeze(1);
  return l2_normalize(at::matmul(pooled, text_proj_));
}

void ClipModel::check_input_size(int64_t size) const {
  const int p = config_.vision.patch_size;
  if (size <= 0 || size % p != 0)
    throw Error("input size " + std::to_string(size) + " is not a positive multiple of the " +
                "patch size " + std::to_string(p));
}

at::Tensor ClipModel::positional_embedding(int64_t size) const {
  check_input_size(size);
  std::lock_guard<std::mutex> lock(pos_mutex_);
  auto it = pos_cache_.find(size);
  if (it != pos_cache_.end()) return it->second;
  at::NoGradGuard no_grad;
  const int64_t g0 = config_.vision.grid();
  const int64_t g = size / config_.vision.patch_size;
  const int64_t d = vision_pos_.size(1);
  // The reference resamples in float32 with antialiasing (a = -0.5 kernel, weights
  // renormalised at the borders), even when enlarging.
  at::Tensor grid =
      vision_pos_.slice(0, 1).to(at::kFloat).reshape({1, g0, g0, d}).permute({0, 3, 1, 2});
  at::Tensor resized = at::_upsample_bicubic2d_aa(grid, std::vector<int64_t>{g, g}, false,
                                                  c10::nullopt, c10::nullopt);
  resized = resized.permute({0, 2, 3, 1}).reshape({g * g, d}).to(dtype_);
  at::Tensor pos = at::cat({vision_pos_.slice(0, 0, 1), resized}, 0).contiguous();
  pos_cache_.emplace(size, pos);
  return pos;
}

at::Tensor ClipModel::embed_image(const at::Tensor& pixels) const {
  if (pixels.dim() != 4 || pixels.size(1) != 3 || pixels.size(2) != pixels.size(3))
    throw Error("pixel values must have shape [B, 3, S, S], got " + shape_str(pixels.sizes()));
  const at::Tensor pos = positional_embedding(pixels.size(2));
  const int64_t p = config_.vision.patch_size;
  at::Tensor x = at::conv2d(pixels.to(device_, dtype_), conv1_, {}, {p, p});  // [B, D, g, g]
  x = x.flatten(2).transpose(1, 2);                                           // [B, g*g, D]
  at::Tensor cls = class_embedding_.view({1, 1, -1}).expand({x.size(0), 1, x.size(2)});
  x = at::cat({cls, x}, 1) + pos;
  return layer_norm(x, ln_pre_);
}

at::Tensor ClipModel::encode_image(const at::Tensor& pixels) const {
  at::Tensor x = embed_image(pixels);
  for (const auto& block : vision_blocks_) x = block_forward(block, x, act_);
  return project_image(x.select(1, 0));
}

at::Tensor ClipModel::project_image(const at::Tensor& pooled) const {
  return l2_normalize(at::matmul(layer_norm(pooled, ln_post_), vision_proj_));
}

}  // namespace legrad
