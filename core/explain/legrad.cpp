#include "explain/legrad.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <ATen/record_function.h>

#include <chrono>
#include <optional>

#include "base/device.h"
#include "base/error.h"
#include "model/clip_model.h"
#include "model/transformer.h"

namespace legrad {

int legrad_start_layer(int layer_index, int num_layers) {
  const int start = layer_index >= 0 ? layer_index : num_layers + layer_index;
  if (start < 0 || start >= num_layers)
    throw Error("layer-index " + std::to_string(layer_index) +
                " is out of range for a model with " + std::to_string(num_layers) +
                " blocks (use " + std::to_string(-num_layers) + ".." +
                std::to_string(num_layers - 1) + ")");
  return start;
}

at::Tensor upsample_relevance(const at::Tensor& grids, int patch) {
  auto shape = grids.sizes().vec();
  const int64_t g = shape.back();
  at::Tensor flat = grids.reshape({-1, 1, shape[shape.size() - 2], g});
  at::Tensor up = at::upsample_bilinear2d(flat, std::vector<int64_t>{g * patch, g * patch}, false,
                                          static_cast<double>(patch), static_cast<double>(patch));
  shape[shape.size() - 2] *= patch;
  shape.back() *= patch;
  return up.reshape(shape);
}

at::Tensor min_max_normalize(const at::Tensor& maps) {
  at::Tensor lo = maps.amin({-2, -1}, true);
  at::Tensor range = maps.amax({-2, -1}, true) - lo;
  return at::where(range > 0, (maps - lo) / range, at::zeros_like(maps));
}

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point& start) {
  const auto now = Clock::now();
  const double ms = std::chrono::duration<double, std::milli>(now - start).count();
  start = now;
  return ms;
}

// d s_p / d A for every prompt p at once, with s_p = t_p . normalize(ln_post(mean of `tail.out`
// over tokens) @ proj). The attention output is mixed = A v, so dA = (d s / d mixed) v^T; the
// chain from the scores back to `mixed` is written out by hand (no autograd graph at all),
// batched over prompts. `features` receives normalize(...) itself, the layer's f_l.
at::Tensor attention_gradient(const ClipModel& model, const ResidualBlock& block,
                              const BlockTail& tail, const at::Tensor& values,
                              const at::Tensor& text, at::Tensor& features) {
  const int64_t n = tail.out.size(-2);
  const at::Tensor& proj = model.image_projection();
  const at::Tensor pooled = tail.out.mean(-2);                                 // [1, D]
  const at::Tensor e = at::matmul(layer_norm(pooled, model.ln_post()), proj);  // [1, E]
  const at::Tensor norm = e.norm(2, {-1}, true).clamp_min(1e-12);
  features = e / norm;
  // d s_p / d e = (t_p - (t_p . f) f) / |e|, then back through proj and ln_post.
  const at::Tensor grad_e = (text - at::matmul(text, features.t()) * features) / norm;  // [P, E]
  const at::Tensor grad_pooled =
      layer_norm_backward(at::matmul(grad_e, proj.t()), pooled, model.ln_post());  // [P, D]
  const at::Tensor grad_mixed = finish_block_backward(
      block, tail, (grad_pooled / static_cast<double>(n)).unsqueeze(1), model.activation());
  const int64_t prompts = text.size(0);
  const int64_t d = grad_mixed.size(2);
  const int64_t heads = block.heads;
  at::Tensor g = grad_mixed.view({prompts, n, heads, d / heads}).transpose(1, 2);  // [P,H,N,hd]
  return at::matmul(g, values.transpose(-1, -2));                                  // [P,H,N,N]
}

}  // namespace

void check_explanation_inputs(const ClipModel& model, const at::Tensor& pixels,
                              const at::Tensor& text_embeddings) {
  if (pixels.dim() != 4 || pixels.size(0) != 1 || pixels.size(1) != 3 ||
      pixels.size(2) != pixels.size(3))
    throw Error("explanations take one frame at a time: pixel values must be [1, 3, S, S]");
  model.check_input_size(pixels.size(2));
  const int64_t embed_dim = model.config().embed_dim;
  if (text_embeddings.dim() != 2 || text_embeddings.size(0) < 1 ||
      text_embeddings.size(1) != embed_dim)
    throw Error("text embeddings must be [P >= 1, " + std::to_string(embed_dim) + "]");
}

Explanation explain_legrad(const ClipModel& model, const at::Tensor& pixels,
                           const at::Tensor& text_embeddings, const LegradOptions& options) {
  at::NoGradGuard no_grad;
  const ClipConfig& cfg = model.config();
  check_explanation_inputs(model, pixels, text_embeddings);
  const auto& blocks = model.vision_blocks();
  const int num_layers = static_cast<int>(blocks.size());
  const int start = legrad_start_layer(options.layer_index, num_layers);
  const int64_t size = pixels.size(2);
  const int64_t g = size / cfg.vision.patch_size;
  const int64_t prompts = text_embeddings.size(0);
  const at::Tensor text = text_embeddings.to(model.device(), model.dtype());

  Explanation result;
  LegradTimings& t = result.timings;
  auto clock = Clock::now();
  auto lap = [&] {
    if (options.synchronize_timings) synchronize_device(model.device());
    return ms_since(clock);
  };
  std::vector<at::Tensor> grids, features;
  // The profiler's scopes (`legrad bench --profile`) follow the timings' split.
  std::optional<at::RecordFunction> scope;
  auto enter = [&scope](const char* name) {
    scope.reset();
    scope.emplace(at::RecordScope::USER_SCOPE);
    if (scope->isActive()) scope->before(name);
  };
  enter(kForwardScope);
  at::Tensor x = model.embed_image(pixels);  // [1, N, D]
  for (int l = 0; l < num_layers; ++l) {
    const ResidualBlock& block = blocks[l];
    if (l < start) {
      x = block_forward(block, x, model.activation());
      continue;
    }
    const AttentionParts parts = attention(block, x);
    const BlockTail tail = finish_block_parts(block, x, parts.mixed, model.activation());
    t.forward_ms += lap();
    enter(kGradientScope);
    at::Tensor layer_features;
    const at::Tensor dA =
        attention_gradient(model, block, tail, parts.values, text, layer_features);
    // Clamp, mean over heads, mean over all query rows; drop the class-token column.
    const at::Tensor relevance = dA.clamp_min(0).mean(1).mean(1).slice(1, 1);  // [P, g*g]
    grids.push_back(relevance.reshape({prompts, g, g}));
    t.gradient_ms += lap();
    enter(kForwardScope);
    x = tail.out;
    features.push_back(layer_features.squeeze(0));
    result.layers.push_back(l);
  }
  result.image_embedding = model.project_image(x.select(1, 0)).squeeze(0);
  result.scores = at::matmul(text, result.image_embedding);
  t.forward_ms += lap();
  enter(kPostprocessScope);
  result.layer_grids = at::stack(grids).to(at::kFloat);
  result.layer_features = at::stack(features).to(at::kFloat);
  result.heatmaps =
      min_max_normalize(upsample_relevance(result.layer_grids, cfg.vision.patch_size).sum(0));
  t.postprocess_ms += lap();
  return result;
}

}  // namespace legrad
