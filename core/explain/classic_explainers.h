// The classic explainers beside LeGrad, for comparison. All share the model's forward pass and
// LeGrad's post-processing (bilinear upsampling of the patch grid by the patch size, per-map
// min-max), and return the same Explanation (layer_grids holds the one [1, P, g, g] grid).
//   raw-attention    last block's attention, head mean, class-token row
//   rollout          Abnar & Zuidema: per block head mean plus identity, rows normalised,
//                    multiplied from block 1 up; class-token row
//   gradcam          last block's attention weighted per head by the mean gradient of the
//                    class-token row, summed over heads, ReLU
//   chefercam        Chefer et al.: R = I; per block R += mean_h(ReLU(dA * A)) R; class-token
//                    row; chefercam-last uses the last block only
// The gradient-based ones differentiate each prompt's score t_p . image embedding (the class
// token's) with autograd; raw-attention and rollout give every prompt the same map.
#pragma once

#include <string>

#include "explain/legrad.h"

namespace legrad {

class ClipModel;

enum class ExplainMethod { Legrad, RawAttention, Rollout, GradCam, CheferCam, CheferCamLast };

// "legrad", "raw-attention", "rollout", "gradcam", "chefercam", "chefercam-last"; throws
// legrad::Error naming the choices for anything else.
ExplainMethod parse_method(const std::string& name);
const char* method_name(ExplainMethod method);
// Whether the method's map depends on the prompt.
bool method_uses_prompt(ExplainMethod method);

// pixels [1, 3, S, S], text_embeddings [P, E]; LeGrad goes to explain_legrad with `options`.
Explanation explain_with(ExplainMethod method, const ClipModel& model, const at::Tensor& pixels,
                         const at::Tensor& text_embeddings, const LegradOptions& options = {});

}  // namespace legrad
