#include "explain/methods.h"

#include "base/error.h"
#include "base/named_table.h"
#include "explain/classic_explainers.h"
#include "model/clip_model.h"

namespace legrad {

const std::vector<MethodInfo>& explain_methods() {
  static const std::vector<MethodInfo> methods = {
      {ExplainMethod::Legrad, "legrad", "LeGrad (layerwise attention gradients)", true, true, false,
       explain_legrad},
      {ExplainMethod::RawAttention, "raw-attention", "Last block's class-token attention", false,
       false, true, explain_raw_attention},
      {ExplainMethod::Rollout, "rollout", "Attention rollout", false, false, true, explain_rollout},
      {ExplainMethod::GradCam, "gradcam", "GradCAM on the last block's attention", true, false,
       true, explain_gradcam},
      {ExplainMethod::CheferCam, "chefercam", "CheferCAM over all blocks", true, false, true,
       explain_chefercam},
      {ExplainMethod::CheferCamLast, "chefercam-last", "CheferCAM, last block only", true, false,
       true, explain_chefercam_last},
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

void check_method_supports(ExplainMethod method, const ClipModel& model) {
  const MethodInfo& info = method_info(method);
  if (info.class_token_only && model.config().siglip())
    throw Error(std::string("method '") + info.name + "' reads the class token, which " +
                model.config().family() + " models do not have: use method legrad");
}

Explanation explain_with(ExplainMethod method, const ClipModel& model, const at::Tensor& pixels,
                         const at::Tensor& text_embeddings, const LegradOptions& options) {
  check_method_supports(method, model);
  return method_info(method).explain(model, pixels, text_embeddings, options);
}

}  // namespace legrad
