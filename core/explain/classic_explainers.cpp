#include "explain/classic_explainers.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <torch/csrc/autograd/autograd.h>

#include "model/clip_model.h"
#include "base/error.h"
#include "model/transformer.h"

namespace legrad {
namespace {

struct MethodName {
  ExplainMethod method;
  const char* name;
};
constexpr MethodName kMethods[] = {
    {ExplainMethod::Legrad, "legrad"},       {ExplainMethod::RawAttention, "raw-attention"},
    {ExplainMethod::Rollout, "rollout"},     {ExplainMethod::GradCam, "gradcam"},
    {ExplainMethod::CheferCam, "chefercam"}, {ExplainMethod::CheferCamLast, "chefercam-last"}};

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
  return at::eye(n, a.options()).expand(a.sizes());
}

}  // namespace

ExplainMethod parse_method(const std::string& name) {
  std::string choices;
  for (const auto& m : kMethods) {
    if (name == m.name) return m.method;
    choices += std::string(choices.empty() ? "" : ", ") + m.name;
  }
  throw Error("unknown method '" + name + "' (" + choices + ")");
}

const char* method_name(ExplainMethod method) {
  for (const auto& m : kMethods)
    if (m.method == method) return m.name;
  return "?";
}

bool method_uses_prompt(ExplainMethod method) {
  return method != ExplainMethod::RawAttention && method != ExplainMethod::Rollout;
}

Explanation explain_with(ExplainMethod method, const ClipModel& model, const at::Tensor& pixels,
                         const at::Tensor& text_embeddings, const LegradOptions& options) {
  if (method == ExplainMethod::Legrad) return explain_legrad(model, pixels, text_embeddings, options);
  const ClipConfig& cfg = model.config();
  check_explanation_inputs(model, pixels, text_embeddings);
  const int64_t prompts = text_embeddings.size(0);
  const int64_t g = pixels.size(2) / cfg.vision.patch_size;
  const at::Tensor text = text_embeddings.to(model.device(), model.dtype());

  at::Tensor rows;  // [P, N - 1]
  at::Tensor embedding;
  if (!method_uses_prompt(method)) {
    at::NoGradGuard no_grad;
    const AttentionTrace t = trace(model, pixels, 1, false);
    embedding = t.embedding[0];
    at::Tensor map;
    if (method == ExplainMethod::RawAttention) {
      map = class_row(t.probs.back().mean(1))[0];
    } else {
      at::Tensor r = identity_like(t.probs[0].mean(1)[0]);
      for (const at::Tensor& a : t.probs) {
        at::Tensor mixed = a.mean(1)[0] + identity_like(r);
        r = at::matmul(mixed / mixed.sum(-1, true), r);
      }
      map = class_row(r);
    }
    rows = map.unsqueeze(0).expand({prompts, map.size(0)});
  } else {
    at::AutoGradMode enable_grad(true);
    const AttentionTrace t = trace(model, pixels, prompts, true);
    embedding = t.embedding[0].detach();
    const at::Tensor score = (t.embedding * text).sum();  // each copy with its own prompt
    const bool all_layers = method == ExplainMethod::CheferCam;
    std::vector<at::Tensor> wanted = all_layers ? t.probs : std::vector<at::Tensor>{t.probs.back()};
    const std::vector<at::Tensor> grads = torch::autograd::grad({score}, wanted);
    at::NoGradGuard no_grad;
    if (method == ExplainMethod::GradCam) {
      const at::Tensor a = wanted.back().detach();                  // [P, H, N, N]
      const at::Tensor weights = grads.back().select(2, 0).mean(-1);  // [P, H]
      rows = (weights.unsqueeze(-1) * class_row(a)).sum(1).clamp_min(0);
    } else {
      at::Tensor r = identity_like(wanted[0].detach().mean(1));  // [P, N, N]
      for (size_t l = 0; l < wanted.size(); ++l) {
        const at::Tensor cam = (grads[l] * wanted[l].detach()).clamp_min(0).mean(1);
        r = r + at::matmul(cam, r);
      }
      rows = class_row(r);
    }
  }

  Explanation result;
  result.image_embedding = embedding.detach();
  result.scores = at::matmul(text, result.image_embedding);
  result.layer_grids = rows.reshape({1, prompts, g, g}).to(at::kFloat).detach();
  result.heatmaps =
      min_max_normalize(upsample_relevance(result.layer_grids, cfg.vision.patch_size).sum(0));
  return result;
}

}  // namespace legrad
