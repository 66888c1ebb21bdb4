#include "explain/methods.h"

#include "base/named_table.h"
#include "explain/classic_explainers.h"

namespace legrad {

const std::vector<MethodInfo>& explain_methods() {
  static const std::vector<MethodInfo> methods = {
      {ExplainMethod::Legrad, "legrad", "LeGrad (layerwise attention gradients)", true, true,
       explain_legrad},
      {ExplainMethod::RawAttention, "raw-attention", "Last block's class-token attention", false,
       false, explain_raw_attention},
      {ExplainMethod::Rollout, "rollout", "Attention rollout", false, false, explain_rollout},
      {ExplainMethod::GradCam, "gradcam", "GradCAM on the last block's attention", true, false,
       explain_gradcam},
      {ExplainMethod::CheferCam, "chefercam", "CheferCAM over all blocks", true, false,
       explain_chefercam},
      {ExplainMethod::CheferCamLast, "chefercam-last", "CheferCAM, last block only", true, false,
       explain_chefercam_last},
  };
  return methods;
}

const MethodInfo& method_info(ExplainMethod method) {
  return explain_methods().at(static_cast<size_t>(method));
}

ExplainMethod parse_method(const std::string& name) {
  return row_named(explain_methods(), name, "method").method;
}

const char* method_name(ExplainMethod method) { return method_info(method).name; }

std::string method_names(const std::string& separator) {
  return joined_names(explain_methods(), separator);
}

Explanation explain_with(ExplainMethod method, const ClipModel& model, const at::Tensor& pixels,
                         const at::Tensor& text_embeddings, const LegradOptions& options) {
  return method_info(method).explain(model, pixels, text_embeddings, options);
}

}  // namespace legrad
