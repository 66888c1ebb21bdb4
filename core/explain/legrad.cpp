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

// d s_p / d A for every frame b and prompt p at once, with s_p = t_p . normalize(ln_post(mean
// of `tail.out` over tokens) @ proj). The attention output is mixed = A v, so
// dA = (d s / d mixed) v^T; the chain from the scores back to `mixed` is written out by hand
// (no autograd graph at all), batched over frames and prompts. Shapes: tail [B, 1, N, *],
// values [B, H, N, hd], text [B, P, E] -> dA [B, P, H, N, N]; `features` receives
// normalize(...) itself, the layer's f_l, [B, 1, E].
at::Tensor attention_gradient(const ClipModel& model, const ResidualBlock& block,
                              const BlockTail& tail, const at::Tensor& values,
                              const at::Tensor& text, at::Tensor& features) {
  const int64_t n = tail.out.size(-2);
  const at::Tensor& proj = model.image_projection();
  const at::Tensor pooled = tail.out.mean(-2);                                 // [B, 1, D]
  const at::Tensor e = at::matmul(layer_norm(pooled, model.ln_post()), proj);  // [B, 1, E]
  const at::Tensor norm = e.norm(2, {-1}, true).clamp_min(1e-12);
  features = e / norm;
  // d s_p / d e = (t_p - (t_p . f) f) / |e|, then back through proj and ln_post.
  const at::Tensor grad_e =
      (text - at::matmul(text, features.transpose(-1, -2)) * features) / norm;  // [B, P, E]
  const at::Tensor grad_pooled =
      layer_norm_backward(at::matmul(grad_e, proj.t()), pooled, model.ln_post());  // [B, P, D]
  const at::Tensor grad_mixed = finish_block_backward(
      block, tail, (grad_pooled / static_cast<double>(n)).unsqueeze(-2), model.activation());
  const int64_t d = grad_mixed.size(-1);
  const int64_t heads = block.heads;
  const at::Tensor g = grad_mixed.view({text.size(0), text.size(1), n, heads, d / heads})
                           .transpose(2, 3);                    // [B, P, H, N, hd]
  return at::matmul(g, values.unsqueeze(1).transpose(-1, -2));  // [B, P, H, N, N]
}

}  // namespace

namespace {

void check_pixels(const ClipModel& model, const at::Tensor& pixels, int64_t frames) {
  if (pixels.dim() != 4 || pixels.size(0) != frames || pixels.size(1) != 3 ||
      pixels.size(2) != pixels.size(3))
    throw Error(frames == 1 ? "explanations take one frame at a time: pixel values must be "
                              "[1, 3, S, S]"
                            : "pixel values must be [" + std::to_string(frames) + ", 3, S, S]");
  model.check_input_size(pixels.size(2));
}

void check_text(const ClipModel& model, const at::Tensor& text_embeddings) {
  const int64_t embed_dim = model.config().embed_dim;
  if (text_embeddings.dim() != 2 || text_embeddings.size(0) < 1 ||
      text_embeddings.size(1) != embed_dim)
    throw Error("text embeddings must be [P >= 1, " + std::to_string(embed_dim) + "]");
}

// Frames first..first+count-1 of a batch's tensors, as attention_gradient takes them.
BlockTail frames_of(const BlockTail& t, int64_t first, int64_t count) {
  return {t.residual.narrow(0, first, count).unsqueeze(1),
          t.hidden.narrow(0, first, count).unsqueeze(1),
          t.out.narrow(0, first, count).unsqueeze(1)};
}

// Frames with as many prompts each go through attention_gradient together: {first, count}.
std::vector<std::pair<int64_t, int64_t>> prompt_count_groups(const std::vector<at::Tensor>& texts) {
  const int64_t frames = static_cast<int64_t>(texts.size());
  for (const at::Tensor& t : texts)
    if (t.size(0) != texts.front().size(0)) {
      std::vector<std::pair<int64_t, int64_t>> each;
      for (int64_t b = 0; b < frames; ++b) each.emplace_back(b, 1);
      return each;
    }
  return {{0, frames}};
}

}  // namespace

void check_explanation_inputs(const ClipModel& model, const at::Tensor& pixels,
                              const at::Tensor& text_embeddings) {
  check_pixels(model, pixels, 1);
  check_text(model, text_embeddings);
}

std::vector<Explanation> explain_legrad_batch(const ClipModel& model, const at::Tensor& pixels,
                                              const std::vector<at::Tensor>& text_embeddings,
                                              const LegradOptions& options) {
  at::NoGradGuard no_grad;
  const ClipConfig& cfg = model.config();
  const int64_t frames = static_cast<int64_t>(text_embeddings.size());
  if (frames < 1) throw Error("a batch needs at least one frame");
  check_pixels(model, pixels, frames);
  std::vector<at::Tensor> texts;
  for (const at::Tensor& t : text_embeddings) {
    check_text(model, t);
    texts.push_back(t.to(model.device(), model.dtype()));
  }
  const auto& blocks = model.vision_blocks();
  const int num_layers = static_cast<int>(blocks.size());
  const int start = legrad_start_layer(options.layer_index, num_layers);
  const int64_t g = pixels.size(2) / cfg.vision.patch_size;
  const auto groups = prompt_count_groups(texts);

  std::vector<Explanation> results(frames);
  LegradTimings t;
  auto clock = Clock::now();
  auto lap = [&] {
    if (options.synchronize_timings) synchronize_device(model.device());
    return ms_since(clock);
  };
  std::vector<std::vector<at::Tensor>> grids(frames), features(frames);
  // The profiler's scopes (`legrad bench --profile`) follow the timings' split.
  std::optional<at::RecordFunction> scope;
  auto enter = [&scope](const char* name) {
    scope.reset();
    scope.emplace(at::RecordScope::USER_SCOPE);
    if (scope->isActive()) scope->before(name);
  };
  enter(kForwardScope);
  at::Tensor x = model.embed_image(pixels);  // [B, N, D]
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
    for (const auto& [first, count] : groups) {
      at::Tensor layer_features;  // [count, 1, E]
      const at::Tensor dA = attention_gradient(
          model, block, frames_of(tail, first, count), parts.values.narrow(0, first, count),
          at::stack(std::vector<at::Tensor>(texts.begin() + first, texts.begin() + first + count)),
          layer_features);
      // Clamp, mean over heads, mean over all query rows; drop the class-token column.
      const at::Tensor relevance = dA.clamp_min(0).mean(2).mean(2).slice(2, 1);  // [B, P, g*g]
      for (int64_t i = 0; i < count; ++i) {
        grids[first + i].push_back(relevance[i].reshape({texts[first + i].size(0), g, g}));
        features[first + i].push_back(layer_features[i].squeeze(0));
      }
    }
    t.gradient_ms += lap();
    enter(kForwardScope);
    x = tail.out;
    for (Explanation& r : results) r.layers.push_back(l);
  }
  const at::Tensor embeddings = model.project_image(x.select(1, 0));  // [B, E]
  for (int64_t b = 0; b < frames; ++b) {
    results[b].image_embedding = embeddings[b];
    results[b].scores = at::matmul(texts[b], embeddings[b]);
  }
  t.forward_ms += lap();
  enter(kPostprocessScope);
  for (int64_t b = 0; b < frames; ++b) {
    Explanation& r = results[b];
    r.layer_grids = at::stack(grids[b]).to(at::kFloat);
    r.layer_features = at::stack(features[b]).to(at::kFloat);
    r.heatmaps = min_max_normalize(upsample_relevance(r.layer_grids, cfg.vision.patch_size).sum(0));
  }
  t.postprocess_ms += lap();
  for (Explanation& r : results) r.timings = t;
  return results;
}

Explanation explain_legrad(const ClipModel& model, const at::Tensor& pixels,
                           const at::Tensor& text_embeddings, const LegradOptions& options) {
  check_explanation_inputs(model, pixels, text_embeddings);
  return std::move(explain_legrad_batch(model, pixels, {text_embeddings}, options).front());
}

}  // namespace legrad
