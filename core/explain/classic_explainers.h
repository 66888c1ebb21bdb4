// The classic explainers beside LeGrad, for comparison, one function each. All share the
// model's forward pass and LeGrad's post-processing (bilinear upsampling of the patch grid by
// the patch size, per-map min-max), and return the same Explanation (layer_grids holds the one
// [1, P, g, g] grid). Arguments as explain_legrad's; the options are not used.
// The gradient-based ones differentiate each prompt's score t_p . image embedding (the class
// token's) with autograd; raw-attention and rollout give every prompt the same map.
#pragma once

#include <ATen/Tensor.h>

#include "explain/legrad.h"

namespace legrad {

class ClipModel;

// The last block's attention, head mean, class-token row.
Explanation explain_raw_attention(const ClipModel& model, const at::Tensor& pixels,
                                  const at::Tensor& text_embeddings, const LegradOptions& options);

// Abnar & Zuidema: per block the head mean plus identity, rows normalised, multiplied from
// block 1 up; class-token row.
Explanation explain_rollout(const ClipModel& model, const at::Tensor& pixels,
                            const at::Tensor& text_embeddings, const LegradOptions& options);

// The last block's attention weighted per head by the mean gradient of the class-token row,
// summed over heads, ReLU.
Explanation explain_gradcam(const ClipModel& model, const at::Tensor& pixels,
                            const at::Tensor& text_embeddings, const LegradOptions& options);

// Chefer et al.: R = I; per block R += mean_h(ReLU(dA * A)) R; class-token row.
Explanation explain_chefercam(const ClipModel& model, const at::Tensor& pixels,
                              const at::Tensor& text_embeddings, const LegradOptions& options);
// The same over the last block only.
Explanation explain_chefercam_last(const ClipModel& model, const at::Tensor& pixels,
                                   const at::Tensor& text_embeddings, const LegradOptions& options);

}  // namespace legrad
