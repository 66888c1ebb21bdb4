#include "model/torchscript_weights.h"

#include <torch/csrc/jit/ir/constants.h>
#include <torch/csrc/jit/ir/ir.h>
#include <torch/script.h>

#include "base/error.h"

namespace legrad {
namespace {

// An attention module's head count: its `num_heads` attribute where it was scripted; where it
// was traced (OpenAI's releases), the constant its forward divides the width by for the head
// width, the first integral divisor in the graph (a count that does not divide the width is
// not taken: clip_config's head_width).
std::optional<int64_t> recorded_heads(const torch::jit::Module& module) {
  if (module.hasattr("num_heads") && module.attr("num_heads").isInt())
    return module.attr("num_heads").toInt();
  const auto type = module.type()->name();
  if (!type || type->name() != "MultiheadAttention" || !module.find_method("forward"))
    return std::nullopt;
  for (const torch::jit::Node* node : module.get_method("forward").graph()->nodes()) {
    const bool divides = node->kind() == c10::aten::div || node->kind() == c10::aten::floor_divide;
    if (!divides || node->inputs().size() < 2) continue;
    const auto divisor = torch::jit::toIValue(node->inputs()[1]);
    if (divisor && divisor->isInt()) return divisor->toInt();
    if (divisor && divisor->isTensor() && divisor->toTensor().numel() == 1 &&
        !at::isFloatingType(divisor->toTensor().scalar_type()))
      return divisor->toTensor().item<int64_t>();
  }
  return std::nullopt;
}

// The activation a module computes, by its class: OpenAI's QuickGELU, or torch's GELU (its
// traced call says whether tanh-approximated).
std::optional<Activation> recorded_activation(const torch::jit::Module& module) {
  const auto type = module.type()->name();
  if (!type) return std::nullopt;
  if (type->name() == "QuickGELU") return Activation::QuickGelu;
  if (type->name() != "GELU") return std::nullopt;
  if (module.hasattr("approximate") && module.attr("approximate").isString())
    return module.attr("approximate").toStringRef() == "tanh" ? Activation::GeluTanh
                                                              : Activation::Gelu;
  for (const torch::jit::Node* node : module.get_method("forward").graph()->nodes()) {
    if (node->kind() != c10::aten::gelu || node->inputs().size() < 2) continue;
    const auto approximate = torch::jit::toIValue(node->inputs()[1]);
    if (approximate && approximate->isString() && approximate->toStringRef() == "tanh")
      return Activation::GeluTanh;
  }
  return Activation::Gelu;
}

}  // namespace

TorchScriptWeights::TorchScriptWeights(const std::string& path) : path_(path) {
  try {
    const torch::jit::Module module = torch::jit::load(path, c10::Device(c10::kCPU));
    for (const auto& p : module.named_parameters()) tensors_.emplace(p.name, p.value.detach());
    for (const auto& b : module.named_buffers())
      if (at::isFloatingType(b.value.scalar_type())) tensors_.emplace(b.name, b.value.detach());
    for (const auto& m : module.named_modules()) {
      if (const auto heads = recorded_heads(m.value)) heads_.emplace(m.name, *heads);
      if (m.name == "visual.transformer.resblocks.0.mlp.gelu")
        activation_ = recorded_activation(m.value);
    }
  } catch (const c10::Error& e) {
    throw Error(path + ": not a loadable TorchScript archive (" + e.what_without_backtrace() + ")");
  }
  if (tensors_.empty()) throw Error(path + ": the TorchScript archive holds no parameters");
}

std::optional<std::vector<int64_t>> TorchScriptWeights::shape(const std::string& key) const {
  const auto it = tensors_.find(key);
  if (it == tensors_.end()) return std::nullopt;
  return it->second.sizes().vec();
}

std::optional<int64_t> TorchScriptWeights::attention_heads(const std::string& module) const {
  const auto it = heads_.find(module);
  if (it == heads_.end()) return std::nullopt;
  return it->second;
}

at::Tensor TorchScriptWeights::load(const std::string& key, at::ScalarType dtype) const {
  const auto it = tensors_.find(key);
  if (it == tensors_.end()) throw Error(path_ + ": tensor '" + key + "' is missing");
  return it->second.to(dtype, false, /*copy=*/true);
}

}  // namespace legrad
