// LeGrad (Bousselham et al.): per used layer l, the gradient of each prompt's score
// s = t . normalize(ln_post(mean of all tokens of block l's output) @ proj) with respect to
// block l's attention probabilities, clamped at zero, averaged over heads and query rows,
// class-token column dropped; upsampled, summed over layers, min-max normalised per prompt.
// See ../shared/docs/legrad-method.md for the exact definition this reproduces.
// SigLIP models follow the reference's compute_legrad_siglip instead: the attention pool
// applied to each used block's raw output; the gradient with respect to the pool's attention
// (clamped, head mean, the latent's row); grids summed over layers; the correction below; min-max;
// upsampling last.
#pragma once

#include <ATen/Tensor.h>

#include <vector>

namespace legrad {

class ClipModel;

// Layers used by default: the last two, as the reference.
constexpr int kDefaultLayerIndex = -2;

// SigLIP's correction (the reference's defaults): cells where the map of this text, min-max
// normalised, exceeds the threshold are zeroed in every prompt's map; they are the cells that
// light up whatever the prompt.
constexpr const char* kDefaultCorrectionText = "a photo of a";
constexpr double kDefaultCorrectionThreshold = 0.8;

struct LegradOptions {
  // Layers used: layer_index..L-1 when >= 0, else L+layer_index..L-1.
  int layer_index = kDefaultLayerIndex;
  // Wait for the device at each timing point, so that LegradTimings splits the time exactly
  // on CUDA too (at the cost of the overlap between host and device; for measurements).
  bool synchronize_timings = false;
  // SigLIP only: the L2-normalised embedding [1, E] of the correction text; undefined: no
  // correction. (The engine encodes it; CLIP models ignore both.)
  at::Tensor correction_embedding;
  double correction_threshold = kDefaultCorrectionThreshold;
  // Prompts per gradient pass; 0: as many as keep the pass's largest tensors under a memory
  // budget (many prompts go through in chunks).
  int64_t prompts_per_pass = 0;
};

// Where the time of one explanation went (wall clock; on CUDA the kernels run
// asynchronously, so the split is exact only with LegradOptions::synchronize_timings).
// The same split as LibTorch profiler scopes, around the operators of each part.
constexpr const char* kForwardScope = "legrad::forward";
constexpr const char* kGradientScope = "legrad::gradients";
constexpr const char* kPostprocessScope = "legrad::postprocess";

struct LegradTimings {
  double forward_ms = 0.0;      // patch embedding and every block's forward pass
  double gradient_ms = 0.0;     // per-layer vector-Jacobian products and relevance reduction
  double postprocess_ms = 0.0;  // upsampling, summing, min-max
};

struct Explanation {
  at::Tensor heatmaps;         // [P, S, S] in [0, 1]; a constant map gives zeros
  at::Tensor scores;           // [P] cosine similarity of the image embedding with each prompt
  at::Tensor image_embedding;  // [E] the model's own image embedding, normalised
  at::Tensor layer_grids;      // [Lu, P, g, g] each used layer's relevance before upsampling
  at::Tensor layer_features;   // [Lu, E] f_l of each used layer
  std::vector<int> layers;     // the used layers' indices
  LegradTimings timings;
};

// First used layer for `layer_index` in a model of `num_layers` blocks; throws if out of range.
int legrad_start_layer(int layer_index, int num_layers);

// Throws legrad::Error unless pixels are [1, 3, S, S] with S a multiple of the patch size and
// the text embeddings [P >= 1, E]. Every explainer checks its arguments with this.
void check_explanation_inputs(const ClipModel& model, const at::Tensor& pixels,
                              const at::Tensor& text_embeddings);

// pixels [1, 3, S, S] (normalised), text_embeddings [P, E] (L2-normalised).
// Runs one forward pass; the gradients are computed by hand (no autograd graph is built).
Explanation explain_legrad(const ClipModel& model, const at::Tensor& pixels,
                           const at::Tensor& text_embeddings, const LegradOptions& options = {});

// Several frames in one forward pass: pixels [B, 3, S, S], text_embeddings[b] frame b's
// prompts [P_b, E]. Each frame's explanation equals explain_legrad's for it alone (to float
// rounding: the batch's matrix products are blocked differently); timings are the batch's.
std::vector<Explanation> explain_legrad_batch(const ClipModel& model, const at::Tensor& pixels,
                                              const std::vector<at::Tensor>& text_embeddings,
                                              const LegradOptions& options = {});

// [..., g, g] -> [..., g*patch, g*patch], bilinear, align_corners=False, as the reference.
at::Tensor upsample_relevance(const at::Tensor& grids, int patch);

// Per-map min-max over the last two dimensions; constant maps become zeros, never NaN.
at::Tensor min_max_normalize(const at::Tensor& maps);

}  // namespace legrad
