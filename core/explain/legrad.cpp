#include "explain/legrad.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <ATen/record_function.h>

#include <algorithm>
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

// d s_p / d e for s_p = t_p . e / |e|, and f = e / |e| itself: (t_p - (t_p . f) f) / |e|.
// e [B, 1, E], text [B, P, E] -> [B, P, E].
at::Tensor normalized_score_gradient(const at::Tensor& e, const at::Tensor& text,
                                     at::Tensor& features) {
  const at::Tensor norm = e.norm(2, {-1}, true).clamp_min(1e-12);
  features = e / norm;
  return (text - at::matmul(text, features.transpose(-1, -2)) * features) / norm;
}

// [B, P, N, D] gradients of the heads' concatenated outputs -> d s / d A = (d s / d mixed) v^T
// per head, [B, P, H, N, N'] for values [B, H, N', hd].
at::Tensor probs_gradient(const at::Tensor& grad_mixed, const at::Tensor& values) {
  const int64_t heads = values.size(1);
  auto shape = grad_mixed.sizes().vec();
  shape.back() = heads;
  shape.push_back(grad_mixed.size(-1) / heads);
  const at::Tensor g = grad_mixed.reshape(shape).transpose(2, 3);  // [B, P, H, N, hd]
  return at::matmul(g, values.unsqueeze(1).transpose(-1, -2));
}

// CLIP: d s_p / d A for every frame b and prompt p at once, with s_p = t_p . normalize(ln_post(
// mean of `tail.out` over tokens) @ proj). The attention output is mixed = A v, so
// dA = (d s / d mixed) v^T; the chain from the scores back to `mixed` is written out by hand
// (no autograd graph at all), batched over frames and prompts. Shapes: tail [B, 1, N, *],
// values [B, H, N, hd], text [B, P, E]. Returns the relevance clamped, averaged over heads and
// query rows, class-token column dropped, [B, P, g*g]; `features` receives the layer's f_l,
// [B, E].
at::Tensor clip_layer_relevance(const ClipModel& model, const ResidualBlock& block,
                                const BlockTail& tail, const at::Tensor& values,
                                const at::Tensor& text, at::Tensor& features) {
  const int64_t n = tail.out.size(-2);
  const at::Tensor& proj = model.image_projection();
  const at::Tensor pooled = tail.out.mean(-2);  // [B, 1, D]
  const at::Tensor grad_e = normalized_score_gradient(
      at::matmul(layer_norm(pooled, model.ln_post()), proj), text, features);
  features = features.squeeze(1);
  const at::Tensor grad_pooled =
      layer_norm_backward(at::matmul(grad_e, proj.t()), pooled, model.ln_post());  // [B, P, D]
  const at::Tensor grad_mixed = finish_block_backward(
      block, tail, (grad_pooled / static_cast<double>(n)).unsqueeze(-2), model.activation());
  return probs_gradient(grad_mixed, values).clamp_min(0).mean(2).mean(2).slice(2, 1);
}

// SigLIP, as the reference's compute_legrad_siglip: s_p = t_p . normalize(pool(x_l)) with the
// attention pool applied to the block's raw output (not through the trunk's final norm);
// d s_p / d A of the pool's attention, clamped, averaged over heads, the latent's row.
// pool: attention_pool of the block's tokens [B, N, D]; text [B, P, E] -> [B, P, g*g];
// `features` receives f_l, [B, E].
at::Tensor siglip_layer_relevance(const ClipModel& model, const PoolParts& pool,
                                  const at::Tensor& text, at::Tensor& features) {
  const at::Tensor grad_e = normalized_score_gradient(pool.tail.out, text, features);
  features = features.squeeze(1);
  const BlockTail tail{pool.tail.residual.unsqueeze(1), pool.tail.hidden.unsqueeze(1),
                       pool.tail.out.unsqueeze(1)};
  const at::Tensor grad_mixed =
      finish_block_backward(model.pool().tail, tail, grad_e.unsqueeze(-2), model.activation());
  return probs_gradient(grad_mixed, pool.values).clamp_min(0).mean(2).select(2, 0);
}

// The reference's SigLIP post-processing of one frame's per-layer grids [Lu, P (+1), g, g]:
// summed over layers; with a correction, the last row is the correction text's, and where its
// min-max normalised map exceeds the threshold the prompts' sums are zeroed; min-max, then
// bilinear upsampling by the patch size.
at::Tensor siglip_heatmaps(const at::Tensor& grids, bool corrected, double threshold, int patch) {
  at::Tensor sums = grids.sum(0);
  if (corrected) {
    const int64_t prompts = sums.size(0) - 1;
    const at::Tensor mask = min_max_normalize(sums[prompts]) > threshold;
    sums = sums.narrow(0, 0, prompts).masked_fill(mask, 0);
  }
  return upsample_relevance(min_max_normalize(sums), patch);
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

// Frames first..first+count-1 of a batch's tensors, as clip_layer_relevance takes them.
BlockTail frames_of(const BlockTail& t, int64_t first, int64_t count) {
  return {t.residual.narrow(0, first, count).unsqueeze(1),
          t.hidden.narrow(0, first, count).unsqueeze(1),
          t.out.narrow(0, first, count).unsqueeze(1)};
}

// Frames with as many prompts each share one layer-relevance pass: {first, count}.
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

namespace {

// Each frame's prompt embeddings on the model's device and in its dtype, with SigLIP's
// correction text (when given) as one more prompt: it goes through the same gradient pass.
std::vector<at::Tensor> batch_texts(const ClipModel& model,
                                    const std::vector<at::Tensor>& text_embeddings,
                                    const at::Tensor& correction) {
  if (correction.defined()) check_text(model, correction);
  std::vector<at::Tensor> texts;
  for (const at::Tensor& t : text_embeddings) {
    check_text(model, t);
    const at::Tensor text = t.to(model.device(), model.dtype());
    texts.push_back(correction.defined() ? at::cat({text, correction.to(text.options())}) : text);
  }
  return texts;
}

// Wall-clock time per phase of an explanation, with the profiler's scopes (`legrad bench
// --profile`) following the same split.
class PhaseTimer {
 public:
  PhaseTimer(const ClipModel& model, bool synchronize)
      : device_(model.device()), synchronize_(synchronize) {
    enter(kForwardScope);
  }
  // Adds the time since the last call to `spent` and leaves the scope.
  void stop(double& spent) {
    if (synchronize_) synchronize_device(device_);
    spent += ms_since(clock_);
    scope_.reset();
  }
  // stop(), then enters the scope `next`.
  void next(double& spent, const char* next) {
    stop(spent);
    enter(next);
  }

 private:
  void enter(const char* name) {
    scope_.reset();
    scope_.emplace(at::RecordScope::USER_SCOPE);
    if (scope_->isActive()) scope_->before(name);
  }

  at::Device device_;
  bool synchronize_;
  Clock::time_point clock_ = Clock::now();
  std::optional<at::RecordFunction> scope_;
};

// Per frame, one entry per used layer.
struct LayerOutputs {
  explicit LayerOutputs(size_t frames) : grids(frames), features(frames) {}
  std::vector<std::vector<at::Tensor>> grids;     // [P (+1), g, g]
  std::vector<std::vector<at::Tensor>> features;  // f_l, [E]
};

// The largest tensors of a relevance pass hold every prompt's attention gradient [B, P, H, N, N]
// and its MLP backward [B, P, N, mlp width] (gigabytes a layer for a few hundred prompts):
// prompts go through in chunks that keep them under a budget, which bounds the memory many
// prompts take. Each prompt's relevance is its own, so chunks change nothing but rounding. On
// the CPU small chunks are also faster (measured with 500 prompts, ViT-B/16 at 224: 32 MB
// chunks 2.5 s a frame, one pass 7.6 s: page faults and cache misses on gigabyte tensors);
// a GPU pays per launch, so it gets large ones (not measured there yet).
constexpr int64_t kCpuRelevancePassBytes = int64_t{32} << 20;
constexpr int64_t kGpuRelevancePassBytes = int64_t{1} << 30;

int64_t prompts_per_pass(const ClipModel& model, const LegradOptions& options, int64_t frames,
                         int64_t tokens) {
  if (options.prompts_per_pass > 0) return options.prompts_per_pass;
  const VisionConfig& v = model.config().vision;
  // SigLIP's pool has one query: its per-prompt tensors are [B, H, 1, N] and [B, 1, mlp].
  const int64_t queries = model.config().siglip() ? 1 : tokens;
  const int64_t per_prompt = frames * queries * std::max<int64_t>(v.heads() * tokens, v.mlp_width) *
                             static_cast<int64_t>(at::elementSize(model.dtype()));
  const int64_t budget = model.device().is_cpu() ? kCpuRelevancePassBytes : kGpuRelevancePassBytes;
  return std::max<int64_t>(1, budget / std::max<int64_t>(per_prompt, 1));
}

// One layer's relevance [count, P, g*g] of frames first..first+count-1, text [count, P, E],
// in chunks of prompts; `layer_features` receives f_l, [count, E].
at::Tensor frames_relevance(const ClipModel& model, const ResidualBlock& block,
                            const AttentionParts& parts, const BlockTail& tail,
                            const at::Tensor& text, int64_t first, int64_t count,
                            const LegradOptions& options, at::Tensor& layer_features) {
  const int64_t prompts = text.size(1);
  const int64_t chunk = prompts_per_pass(model, options, count, tail.out.size(-2));
  // SigLIP's pool over the tokens is the same for every prompt: computed once.
  std::optional<PoolParts> pool;
  if (model.config().siglip())
    pool = attention_pool(model.pool(), tail.out.narrow(0, first, count), model.activation());
  std::vector<at::Tensor> parts_of_prompts;
  for (int64_t p = 0; p < prompts; p += chunk) {
    const at::Tensor t = text.narrow(1, p, std::min(chunk, prompts - p));
    parts_of_prompts.push_back(
        pool ? siglip_layer_relevance(model, *pool, t, layer_features)
             : clip_layer_relevance(model, block, frames_of(tail, first, count),
                                    parts.values.narrow(0, first, count), t, layer_features));
  }
  return parts_of_prompts.size() == 1 ? parts_of_prompts.front() : at::cat(parts_of_prompts, 1);
}

// One used layer's relevance for every frame, each group of frames (prompt_count_groups) in
// one pass.
void add_layer_relevance(const ClipModel& model, const ResidualBlock& block,
                         const AttentionParts& parts, const BlockTail& tail,
                         const std::vector<at::Tensor>& texts,
                         const std::vector<std::pair<int64_t, int64_t>>& groups, int64_t g,
                         const LegradOptions& options, LayerOutputs& out) {
  for (const auto& [first, count] : groups) {
    at::Tensor layer_features;  // [count, E]
    const at::Tensor text =
        at::stack(std::vector<at::Tensor>(texts.begin() + first, texts.begin() + first + count));
    const at::Tensor relevance =  // [count, P, g*g]
        frames_relevance(model, block, parts, tail, text, first, count, options, layer_features);
    for (int64_t i = 0; i < count; ++i) {
      out.grids[first + i].push_back(relevance[i].reshape({texts[first + i].size(0), g, g}));
      out.features[first + i].push_back(layer_features[i]);
    }
  }
}

// A frame's heatmaps from its layers' grids ([Lu, P (+ the correction), g, g]).
void finish_heatmaps(const ClipModel& model, const std::vector<at::Tensor>& grids,
                     const std::vector<at::Tensor>& features, int64_t prompts,
                     const LegradOptions& options, bool corrected, Explanation& r) {
  const int patch = model.config().vision.patch_size;
  const at::Tensor layer_grids = at::stack(grids).to(at::kFloat);
  r.layer_grids = layer_grids.narrow(1, 0, prompts);
  r.layer_features = at::stack(features).to(at::kFloat);
  r.heatmaps = model.config().siglip()
                   ? siglip_heatmaps(layer_grids, corrected, options.correction_threshold, patch)
                   : min_max_normalize(upsample_relevance(layer_grids, patch).sum(0));
}

}  // namespace

std::vector<Explanation> explain_legrad_batch(const ClipModel& model, const at::Tensor& pixels,
                                              const std::vector<at::Tensor>& text_embeddings,
                                              const LegradOptions& options) {
  at::NoGradGuard no_grad;
  const int64_t frames = static_cast<int64_t>(text_embeddings.size());
  if (frames < 1) throw Error("a batch needs at least one frame");
  check_pixels(model, pixels, frames);
  const bool corrected = model.config().siglip() && options.correction_embedding.defined();
  const std::vector<at::Tensor> texts =
      batch_texts(model, text_embeddings, corrected ? options.correction_embedding : at::Tensor());
  const auto& blocks = model.vision_blocks();
  const int num_layers = static_cast<int>(blocks.size());
  const int start = legrad_start_layer(options.layer_index, num_layers);
  const int64_t g = pixels.size(2) / model.config().vision.patch_size;
  const auto groups = prompt_count_groups(texts);

  std::vector<Explanation> results(frames);
  LayerOutputs layers(frames);
  LegradTimings t;
  PhaseTimer timer(model, options.synchronize_timings);
  at::Tensor x = model.embed_image(pixels);  // [B, N, D]
  for (int l = 0; l < num_layers; ++l) {
    const ResidualBlock& block = blocks[l];
    if (l < start) {
      x = block_forward(block, x, model.activation());
      continue;
    }
    const AttentionParts parts = attention(block, x);
    const BlockTail tail = finish_block_parts(block, x, parts.mixed, model.activation());
    timer.next(t.forward_ms, kGradientScope);
    add_layer_relevance(model, block, parts, tail, texts, groups, g, options, layers);
    timer.next(t.gradient_ms, kForwardScope);
    x = tail.out;
    for (Explanation& r : results) r.layers.push_back(l);
  }
  const at::Tensor embeddings = model.image_embedding(x);  // [B, E]
  for (int64_t b = 0; b < frames; ++b) {
    results[b].image_embedding = embeddings[b];
    results[b].scores =
        at::matmul(texts[b].narrow(0, 0, text_embeddings[b].size(0)), embeddings[b]);
  }
  timer.next(t.forward_ms, kPostprocessScope);
  for (int64_t b = 0; b < frames; ++b)
    finish_heatmaps(model, layers.grids[b], layers.features[b], text_embeddings[b].size(0), options,
                    corrected, results[b]);
  timer.stop(t.postprocess_ms);
  for (Explanation& r : results) r.timings = t;
  return results;
}

Explanation explain_legrad(const ClipModel& model, const at::Tensor& pixels,
                           const at::Tensor& text_embeddings, const LegradOptions& options) {
  check_explanation_inputs(model, pixels, text_embeddings);
  return std::move(explain_legrad_batch(model, pixels, {text_embeddings}, options).front());
}

}  // namespace legrad
