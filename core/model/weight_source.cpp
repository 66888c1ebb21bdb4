#include "model/weight_source.h"

#include <ATen/ATen.h>

namespace legrad {

std::optional<std::vector<int64_t>> SafetensorsWeights::shape(const std::string& key) const {
  const TensorInfo* info = file_.find(key);
  if (!info) return std::nullopt;
  return info->shape;
}

at::Tensor SafetensorsWeights::load(const std::string& key, at::ScalarType dtype) const {
  return file_.load(key, dtype);
}

TensorWeights::TensorWeights(const NamedTensors& tensors, std::string name)
    : name_(std::move(name)) {
  for (const auto& [key, tensor] : tensors) tensors_.emplace(key, tensor);
}

std::optional<std::vector<int64_t>> TensorWeights::shape(const std::string& key) const {
  auto it = tensors_.find(key);
  if (it == tensors_.end()) return std::nullopt;
  return it->second.sizes().vec();
}

at::Tensor TensorWeights::load(const std::string& key, at::ScalarType dtype) const {
  return tensors_.at(key).to(dtype);
}

}  // namespace legrad
