#include "explain/classic_explainers.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <torch/csrc/autograd/autograd.h>

#include "model/clip_model.h"
#include "model/transformer.h"

namespace legrad {
namespace {

// One forward pass over `copies` copies of the image, keeping every block's attention
// probabilities; with `for_gradients` the probabilities are in an autograd graph.
struct AttentionTrace {
  std::vector<at::Tensor> probs;  // per block [B, H, N, N]
  at::Tensor embedding;           // [B, E], normalised class-token embedding
};

AttentionTrace trace(const ClipModel& model, const at::Tensor& pixels, int64_t copies,
                     bool for_gradients) {
  AttentionTrace t;
  at::Tensor x = model.embed_image(pixels);
  if (for_gradients) x = x.expand({copies, x.size(1), x.size(2)}).clone().requires_grad_(true);
  for (const auto& block : model.vision_blocks()) {
    const AttentionParts parts = attention(block, x);
    t.probs.push_back(parts.probs);
    x = finish_block(block, x, parts.mixed, model.activation());
  }
  t.embedding = model.project_image(x.select(1, 0));
  return t;
}

// Class-token row without its own column: [..., N, N] -> [..., N - 1].
at::Tensor class_row(const at::Tensor& m) { return m.select(-2, 0).slice(-1, 1); }

at::Tensor identity_like(const at::Tensor& a) {
  const int64_t n = a.size(-1);
  // LibTorch 1.13 has no CPU eye for bf16: made in float32, then cast.
  return at::eye(n, a.options().dtype(at::kFloat)).to(a.scalar_type()).expand(a.sizes());
}

// The explanation from each prompt's class-token row [P, N - 1] of relevance.
Explanation finish(const ClipModel& model, const at::Tensor& pixels, const at::Tensor& text,
                   const at::Tensor& embedding, const at::Tensor& rows) {
  const int patch = model.config().vision.patch_size;
  const int64_t g = pixels.size(2) / patch;
  Explanation result;
  result.image_embedding = embedding.detach();
  result.scores = at::matmul(text, result.image_embedding);
  result.layer_grids = rows.reshape({1, text.size(0), g, g}).to(at::kFloat).detach();
  result.heatmaps = min_max_normalize(upsample_relevance(result.layer_grids, patch).sum(0));
  return result;
}

at::Tensor text_on_model(const ClipModel& model, const at::Tensor& pixels,
                         const at::Tensor& text_embeddings) {
  check_explanation_inputs(model, pixels, text_embeddings);
  return text_embeddings.to(model.device(), model.dtype());
}

// A prompt-independent map [N - 1] from a plain forward pass, given to every prompt.
template <typename MapOfTrace>
Explanation same_map_for_every_prompt(const ClipModel& model, const at::Tensor& pixels,
                                      const at::Tensor& text_embeddings, MapOfTrace map_of) {
  const at::Tensor text = text_on_model(model, pixels, text_embeddings);
  at::NoGradGuard no_grad;
  const AttentionTrace t = trace(model, pixels, 1, false);
  const at::Tensor map = map_of(t);
  return finish(model, pixels, text, t.embedding[0],
                map.unsqueeze(0).expand({text.size(0), map.size(0)}));
}

// Each prompt's score differentiated with respect to the attention of the last block (or of
// every block): one image copy per prompt in one batch.
struct PromptGradients {
  at::Tensor text;
  at::Tensor embedding;               // [E]
  std::vector<at::Tensor> attention;  // per block used [P, H, N, N], detached
  std::vector<at::Tensor> gradients;  // the same shapes
};

PromptGradients prompt_gradients(const ClipModel& model, const at::Tensor& pixels,
                                 const at::Tensor& text_embeddings, bool every_block) {
  PromptGradients out;
  out.text = text_on_model(model, pixels, text_embeddings);
  at::AutoGradMode enable_grad(true);
  const AttentionTrace t = trace(model, pixels, out.text.size(0), true);
  out.embedding = t.embedding[0].detach();
  const at::Tensor score = (t.embedding * out.text).sum();  // each copy with its own prompt
  const std::vector<at::Tensor> wanted =
      every_block ? t.probs : std::vector<at::Tensor>{t.probs.back()};
  out.gradients = torch::autograd::grad({score}, wanted);
  for (const at::Tensor& a : wanted) out.attention.push_back(a.detach());
  return out;
}

Explanation chefercam_over(const ClipModel& model, const at::Tensor& pixels,
                           const at::Tensor& text_embeddings, bool every_block) {
  const PromptGradients g = prompt_gradients(model, pixels, text_embeddings, every_block);
  at::NoGradGuard no_grad;
  at::Tensor r = identity_like(g.attention[0].mean(1));  // [P, N, N]
  for (size_t l = 0; l < g.attention.size(); ++l) {
    const at::Tensor cam = (g.gradients[l] * g.attention[l]).clamp_min(0).mean(1);
    r = r + at::matmul(cam, r);
  }
  return finish(model, pixels, g.text, g.embedding, class_row(r));
}

}  // namespace

Explanation explain_raw_attention(const ClipModel& model, const at::Tensor& pixels,
                                  const at::Tensor& text_embeddings, const LegradOptions&) {
  return same_map_for_every_prompt(model, pixels, text_embeddings, [](const AttentionTrace& t) {
    return class_row(t.probs.back().mean(1))[0];
  });
}

Explanation explain_rollout(const ClipModel& model, const at::Tensor& pixels,
                            const at::Tensor& text_embeddings, const LegradOptions&) {
  return same_map_for_every_prompt(model, pixels, text_embeddings, [](const AttentionTrace& t) {
    at::Tensor r = identity_like(t.probs[0].mean(1)[0]);
    for (const at::Tensor& a : t.probs) {
      const at::Tensor mixed = a.mean(1)[0] + identity_like(r);
      r = at::matmul(mixed / mixed.sum(-1, true), r);
    }
    return class_row(r);
  });
}

Explanation explain_gradcam(const ClipModel& model, const at::Tensor& pixels,
                            const at::Tensor& text_embeddings, const LegradOptions&) {
  const PromptGradients g = prompt_gradients(model, pixels, text_embeddings, false);
  at::NoGradGuard no_grad;
  const at::Tensor weights = g.gradients.back().select(2, 0).mean(-1);  // [P, H]
  const at::Tensor rows = (weights.unsqueeze(-1) * class_row(g.attention.back())).sum(1);
  return finish(model, pixels, g.text, g.embedding, rows.clamp_min(0));
}

Explanation explain_chefercam(const ClipModel& model, const at::Tensor& pixels,
                              const at::Tensor& text_embeddings, const LegradOptions&) {
  return chefercam_over(model, pixels, text_embeddings, true);
}

Explanation explain_chefercam_last(const ClipModel& model, const at::Tensor& pixels,
                                   const at::Tensor& text_embeddings, const LegradOptions&) {
  return chefercam_over(model, pixels, text_embeddings, false);
}

}  // namespace legrad
