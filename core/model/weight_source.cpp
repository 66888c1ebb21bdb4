#include "model/weight_source.h"

#include <ATen/ATen.h>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/file.h"
#include "base/json_text.h"

namespace legrad {

std::optional<std::vector<int64_t>> SafetensorsWeights::shape(const std::string& key) const {
  const TensorInfo* info = file_.find(key);
  if (!info) return std::nullopt;
  return info->shape;
}

at::Tensor SafetensorsWeights::load(const std::string& key, at::ScalarType dtype) const {
  return file_.load(key, dtype);
}

std::unordered_map<std::string, std::string> parse_shard_index(const std::string& json_text,
                                                               const std::string& source) {
  const auto j = parse_json(json_text, source);
  if (!j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object())
    throw Error(source + ": not a checkpoint index (no 'weight_map' object)");
  std::unordered_map<std::string, std::string> out;
  for (const auto& [tensor, file] : j["weight_map"].items()) {
    if (!file.is_string() || file.get<std::string>().empty() ||
        file.get<std::string>().find('/') != std::string::npos ||
        file.get<std::string>().front() == '.')
      throw Error(source + ": tensor '" + tensor + "' must name a shard file beside the index");
    out.emplace(tensor, file.get<std::string>());
  }
  if (out.empty()) throw Error(source + ": the weight map is empty");
  return out;
}

ShardedSafetensors::ShardedSafetensors(const std::string& index_path) : index_path_(index_path) {
  const auto map = parse_shard_index(read_file(index_path, "checkpoint index"), index_path);
  const std::string dir = parent_dir(index_path);
  std::unordered_map<std::string, const SafetensorsFile*> by_file;
  for (const auto& [tensor, file] : map) {
    auto it = by_file.find(file);
    if (it == by_file.end()) {
      shards_.push_back(std::make_unique<SafetensorsFile>(dir + "/" + file));
      it = by_file.emplace(file, shards_.back().get()).first;
    }
    if (!it->second->find(tensor))
      throw Error(index_path + ": tensor '" + tensor + "' is not in its shard " + file);
    by_tensor_.emplace(tensor, it->second);
  }
}

std::optional<std::vector<int64_t>> ShardedSafetensors::shape(const std::string& key) const {
  const auto it = by_tensor_.find(key);
  if (it == by_tensor_.end()) return std::nullopt;
  return it->second->find(key)->shape;
}

at::Tensor ShardedSafetensors::load(const std::string& key, at::ScalarType dtype) const {
  return by_tensor_.at(key)->load(key, dtype);
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

at::Tensor RecordingWeights::load(const std::string& key, at::ScalarType dtype) const {
  at::Tensor t = inner_.load(key, dtype);
  recorded_.emplace_back(key, t);
  return t;
}

}  // namespace legrad
