#include "model/torchscript_weights.h"

#include <torch/script.h>

#include "base/error.h"

namespace legrad {

TorchScriptWeights::TorchScriptWeights(const std::string& path) : path_(path) {
  try {
    const torch::jit::Module module = torch::jit::load(path, c10::Device(c10::kCPU));
    for (const auto& p : module.named_parameters()) tensors_.emplace(p.name, p.value.detach());
    for (const auto& b : module.named_buffers())
      if (at::isFloatingType(b.value.scalar_type())) tensors_.emplace(b.name, b.value.detach());
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

at::Tensor TorchScriptWeights::load(const std::string& key, at::ScalarType dtype) const {
  const auto it = tensors_.find(key);
  if (it == tensors_.end()) throw Error(path_ + ": tensor '" + key + "' is missing");
  return it->second.to(dtype, false, /*copy=*/true);
}

}  // namespace legrad
