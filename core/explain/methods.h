// The explainers the product offers, listed once: the engine dispatches through this table,
// and the element's `method` enum and the CLI's usage are generated from it.
#pragma once

#include <ATen/Tensor.h>

#include <string>
#include <vector>

#include "explain/legrad.h"

namespace legrad {

class ClipModel;

enum class ExplainMethod { Legrad, RawAttention, Rollout, GradCam, CheferCam, CheferCamLast };

constexpr ExplainMethod kDefaultMethod = ExplainMethod::Legrad;

// pixels [1, 3, S, S] (normalised), text_embeddings [P, E] (L2-normalised).
using ExplainFunction = Explanation (*)(const ClipModel& model, const at::Tensor& pixels,
                                        const at::Tensor& text_embeddings,
                                        const LegradOptions& options);

struct MethodInfo {
  ExplainMethod method;
  const char* name;         // the CLI's and the element's name for it
  const char* description;  // one line, for usage texts and gst-inspect
  bool uses_prompt;         // false: every prompt gets the same map
  bool graph_capable;       // can run as a recorded CUDA graph (legrad_graph.h)
  bool class_token_only;    // reads the class token's row: CLIP models only, not SigLIP
  ExplainFunction explain;
};

// Every method, in ExplainMethod order.
const std::vector<MethodInfo>& explain_methods();
const MethodInfo& method_info(ExplainMethod method);

// By name; throws legrad::Error naming the choices for anything else.
ExplainMethod parse_method(const std::string& name);
const char* method_name(ExplainMethod method);
// Every name, joined by `separator` ("legrad|raw-attention|...").
std::string method_names(const std::string& separator);

// Throws legrad::Error naming the method and the family unless `method` explains `model`.
void check_method_supports(ExplainMethod method, const ClipModel& model);

// check_method_supports, then the method.
Explanation explain_with(ExplainMethod method, const ClipModel& model, const at::Tensor& pixels,
                         const at::Tensor& text_embeddings, const LegradOptions& options = {});

}  // namespace legrad
