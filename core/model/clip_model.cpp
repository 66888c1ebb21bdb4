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

// Where a residual block's tensors are, relative to the block's prefix (modules get ".weight"
// and ".bias" appended); null: not in this kind of block.
struct BlockNames {
  const char *ln_1, *ln_2, *in_proj_weight, *in_proj_bias, *out_proj, *fc, *proj;
};
// open_clip's ResidualAttentionBlock and timm's Block.
constexpr BlockNames kOpenClipBlock{
    "ln_1",          "ln_2",     "attn.in_proj_weight", "attn.in_proj_bias",
    "attn.out_proj", "mlp.c_fc", "mlp.c_proj"};
constexpr BlockNames kTimmBlock{"norm1",     "norm2",   "attn.qkv.weight", "attn.qkv.bias",
                                "attn.proj", "mlp.fc1", "mlp.fc2"};
// timm's AttentionPoolLatent as a block tail (its latent, q and kv are read apart).
constexpr BlockNames kTimmPool{nullptr, "norm", nullptr, nullptr, "proj", "mlp.fc1", "mlp.fc2"};

}  // namespace

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

  LayerNormWeights layer_norm(const std::string& prefix, int64_t width, double eps) const {
    return {take(prefix + ".weight", {width}), take(prefix + ".bias", {width}), eps};
  }

  // A block's tensors under `names` (open_clip's or timm's, below).
  ResidualBlock block(const std::string& p, const BlockNames& names, int64_t width, int64_t mlp,
                      int heads, double eps) const {
    ResidualBlock b;
    if (names.ln_1) b.ln_1 = layer_norm(p + names.ln_1, width, eps);
    b.ln_2 = layer_norm(p + names.ln_2, width, eps);
    if (names.in_proj_weight) {
      b.in_proj_weight = take(p + names.in_proj_weight, {3 * width, width});
      b.in_proj_bias = take(p + names.in_proj_bias, {3 * width});
    }
    b.out_proj_weight = take(p + names.out_proj + ".weight", {width, width});
    b.out_proj_bias = take(p + names.out_proj + ".bias", {width});
    b.fc_weight = take(p + names.fc + ".weight", {mlp, width});
    b.fc_bias = take(p + names.fc + ".bias", {mlp});
    b.proj_weight = take(p + names.proj + ".weight", {width, mlp});
    b.proj_bias = take(p + names.proj + ".bias", {width});
    b.heads = heads;
    return b;
  }

  std::vector<ResidualBlock> blocks(const std::string& prefix, const BlockNames& names, int layers,
                                    int64_t width, int64_t mlp, int heads, double eps) const {
    std::vector<ResidualBlock> out;
    for (int i = 0; i < layers; ++i)
      out.push_back(block(prefix + std::to_string(i) + ".", names, width, mlp, heads, eps));
    // A deeper checkpoint than the config says is a mismatch too.
    if (source_.shape(prefix + std::to_string(layers) + "." + names.ln_2 + ".weight"))
      throw Error(source_.name() + ": has more than the " + std::to_string(layers) + " blocks '" +
                  prefix + "*' that the config " + cfg_.source + " describes");
    return out;
  }

 private:
  const WeightSource& source_;
  const ClipConfig& cfg_;
  at::TensorOptions options_;
};

ClipModel::ClipModel(ClipConfig config, const SafetensorsFile& weights, c10::Device device,
                     at::ScalarType dtype)
    : ClipModel(std::move(config), SafetensorsWeights(weights), device, dtype) {}

ClipModel::ClipModel(ClipConfig config, const WeightSource& weights, c10::Device device,
                     at::ScalarType dtype)
    : config_(std::move(config)), device_(device), dtype_(dtype), act_(config_.activation) {
  at::NoGradGuard no_grad;
  const WeightReader r(weights, config_, device, dtype);
  if (config_.siglip())
    load_siglip_vision(r);
  else
    load_clip_vision(r);
  load_text(r);
  pos_cache_[config_.vision.image_size] = vision_pos_;
  for (auto [key, out] : {std::pair{"logit_scale", &logit_scale_}, {"logit_bias", &logit_bias_}}) {
    if (!weights.shape(key)) continue;
    const at::Tensor t = weights.load(key, at::kFloat);
    if (t.numel() != 1) throw Error(weights.name() + ": '" + key + "' must hold one value");
    *out = t.reshape({});
  }
}

void ClipModel::load_clip_vision(const WeightReader& r) {
  const VisionConfig& v = config_.vision;
  const int64_t g = v.grid();
  conv1_ = r.take("visual.conv1.weight", {v.width, 3, v.patch_size, v.patch_size});
  class_embedding_ = r.take("visual.class_embedding", {v.width});
  vision_pos_ = r.take("visual.positional_embedding", {1 + g * g, v.width});
  vision_proj_ = r.take("visual.proj", {v.width, config_.embed_dim});
  ln_pre_ = r.layer_norm("visual.ln_pre", v.width, v.norm_eps);
  ln_post_ = r.layer_norm("visual.ln_post", v.width, v.norm_eps);
  vision_blocks_ = r.blocks("visual.transformer.resblocks.", kOpenClipBlock, v.layers, v.width,
                            v.mlp_width, v.heads(), v.norm_eps);
}

void ClipModel::load_siglip_vision(const WeightReader& r) {
  const VisionConfig& v = config_.vision;
  const int64_t g = v.grid();
  const std::string trunk = "visual.trunk.";
  conv1_ = r.take(trunk + "patch_embed.proj.weight", {v.width, 3, v.patch_size, v.patch_size});
  patch_bias_ = r.take(trunk + "patch_embed.proj.bias", {v.width});
  vision_pos_ = r.take(trunk + "pos_embed", {1, g * g, v.width}).squeeze(0);
  ln_post_ = r.layer_norm(trunk + "norm", v.width, v.norm_eps);
  vision_blocks_ = r.blocks(trunk + "blocks.", kTimmBlock, v.layers, v.width, v.mlp_width,
                            v.heads(), v.norm_eps);
  const std::string p = trunk + "attn_pool.";
  pool_.latent = r.take(p + "latent", {1, 1, v.width}).squeeze(0);
  pool_.q_weight = r.take(p + "q.weight", {v.width, v.width});
  pool_.q_bias = r.take(p + "q.bias", {v.width});
  pool_.kv_weight = r.take(p + "kv.weight", {2 * v.width, v.width});
  pool_.kv_bias = r.take(p + "kv.bias", {2 * v.width});
  pool_.tail = r.block(p, kTimmPool, v.width, v.mlp_width, v.heads(), v.norm_eps);
}

void ClipModel::load_text(const WeightReader& r) {
  const TextConfig& t = config_.text;
  const std::string p = t.custom_text ? "text." : "";
  token_embedding_ = r.take(p + "token_embedding.weight", {t.vocab_size, t.width});
  text_pos_ = r.take(p + "positional_embedding", {t.context_length, t.width});
  if (t.proj_bias) {  // an nn.Linear: [E, W] and a bias
    text_proj_ = r.take(p + "text_projection.weight", {config_.embed_dim, t.width}).t();
    text_proj_bias_ = r.take(p + "text_projection.bias", {config_.embed_dim});
  } else {
    text_proj_ = r.take(p + "text_projection", {t.width, config_.embed_dim});
  }
  ln_final_ = r.layer_norm(p + "ln_final", t.width, t.norm_eps);
  text_blocks_ = r.blocks(p + "transformer.resblocks.", kOpenClipBlock, t.layers, t.width,
                          t.mlp_width, t.heads, t.norm_eps);
  if (t.causal_mask)
    causal_mask_ =
        at::full({t.context_length, t.context_length}, -std::numeric_limits<float>::infinity(),
                 at::TensorOptions().device(device_).dtype(dtype_))
            .triu(1);
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
  at::Tensor pos = text_pos_, mask = causal_mask_;
  if (mask.defined() && t.pool == TextPool::Argmax && ids.numel() > 0) {
    // Under a causal mask a token sees only the ones before it, so the padding after the
    // longest prompt's end token changes nothing that is pooled: it is not computed (a
    // prompt list is mostly padding: 77 positions for a few words).
    const int64_t used = ids.argmax(-1).max().item<int64_t>() + 1;
    ids = ids.narrow(1, 0, used);
    pos = pos.narrow(0, 0, used);
    mask = mask.narrow(0, 0, used).narrow(1, 0, used);
  }
  at::Tensor x = at::embedding(token_embedding_, ids) + pos;
  for (const auto& block : text_blocks_) x = block_forward(block, x, act_, mask);
  x = layer_norm(x, ln_final_);
  at::Tensor pooled;
  if (t.pool == TextPool::Last) {
    pooled = x.select(1, -1);
  } else {
    const at::Tensor eot = ids.argmax(-1);
    pooled = x.gather(1, eot.view({-1, 1, 1}).expand({-1, 1, x.size(2)})).squeeze(1);
  }
  pooled = at::matmul(pooled, text_proj_);
  if (text_proj_bias_.defined()) pooled = pooled + text_proj_bias_;
  return l2_normalize(pooled);
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
  const int64_t prefix = class_embedding_.defined() ? 1 : 0;  // the class token's row, kept
  // The reference resamples in float32 with antialiasing (a = -0.5 kernel, weights
  // renormalised at the borders), even when enlarging.
  at::Tensor grid =
      vision_pos_.slice(0, prefix).to(at::kFloat).reshape({1, g0, g0, d}).permute({0, 3, 1, 2});
  at::Tensor resized = at::_upsample_bicubic2d_aa(grid, std::vector<int64_t>{g, g}, false,
                                                  c10::nullopt, c10::nullopt);
  resized = resized.permute({0, 2, 3, 1}).reshape({g * g, d}).to(dtype_);
  at::Tensor pos = at::cat({vision_pos_.slice(0, 0, prefix), resized}, 0).contiguous();
  pos_cache_.emplace(size, pos);
  return pos;
}

at::Tensor ClipModel::embed_image(const at::Tensor& pixels) const {
  if (pixels.dim() != 4 || pixels.size(1) != 3 || pixels.size(2) != pixels.size(3))
    throw Error("pixel values must have shape [B, 3, S, S], got " + shape_str(pixels.sizes()));
  const at::Tensor pos = positional_embedding(pixels.size(2));
  const int64_t p = config_.vision.patch_size;
  at::Tensor x =
      at::conv2d(pixels.to(device_, dtype_), conv1_, patch_bias_, {p, p});  // [B, D, g, g]
  x = x.flatten(2).transpose(1, 2);                                         // [B, g*g, D]
  if (!class_embedding_.defined()) return x + pos;  // SigLIP: no class token, no ln_pre
  at::Tensor cls = class_embedding_.view({1, 1, -1}).expand({x.size(0), 1, x.size(2)});
  x = at::cat({cls, x}, 1) + pos;
  return layer_norm(x, ln_pre_);
}

at::Tensor ClipModel::encode_image(const at::Tensor& pixels) const {
  at::Tensor x = embed_image(pixels);
  for (const auto& block : vision_blocks_) x = block_forward(block, x, act_);
  return image_embedding(x);
}

at::Tensor ClipModel::image_embedding(const at::Tensor& tokens) const {
  if (!config_.siglip()) return project_image(tokens.select(1, 0));
  return l2_normalize(
      attention_pool(pool_, layer_norm(tokens, ln_post_), act_).tail.out.select(-2, 0));
}

at::Tensor ClipModel::project_image(const at::Tensor& pooled) const {
  if (config_.siglip())
    throw Error("a SigLIP model has no class-token projection (it pools with attention)");
  return l2_normalize(at::matmul(layer_norm(pooled, ln_post_), vision_proj_));
}

at::Tensor ClipModel::presence_probability(const at::Tensor& cosines) const {
  if (!gives_presence_probability()) return {};
  return at::sigmoid(cosines.to(at::kCPU, at::kFloat) * logit_scale_.exp() + logit_bias_);
}

}  // namespace legrad
