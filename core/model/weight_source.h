// Where a model's tensors come from: a safetensors file, or tensors already in memory
// (randomly initialised architectures for benchmarks).
#pragma once

#include <ATen/Tensor.h>

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "model/activation.h"
#include "model/safetensors.h"

namespace legrad {

class WeightSource {
 public:
  virtual ~WeightSource() = default;
  // For messages: the file, or a description.
  virtual const std::string& name() const = 0;
  virtual std::optional<std::vector<int64_t>> shape(const std::string& key) const = 0;
  // The tensor converted to `dtype`; only called for keys whose shape() is set.
  virtual at::Tensor load(const std::string& key, at::ScalarType dtype) const = 0;
  // The head count the archive records for the attention module at `module` (e.g.
  // "visual.transformer.resblocks.0.attn"); nothing where it records none (bare tensors).
  virtual std::optional<int64_t> attention_heads(const std::string& module) const {
    (void)module;
    return std::nullopt;
  }
  // The MLP activation the archive records (its blocks' modules); nothing for bare tensors.
  virtual std::optional<Activation> activation() const { return std::nullopt; }
};

class SafetensorsWeights : public WeightSource {
 public:
  // Reads from `file`, which must outlive this.
  explicit SafetensorsWeights(const SafetensorsFile& file) : file_(file) {}
  // Opens (maps) `path` and owns it.
  explicit SafetensorsWeights(const std::string& path)
      : owned_(std::make_unique<SafetensorsFile>(path)), file_(*owned_) {}
  const std::string& name() const override { return file_.path(); }
  std::optional<std::vector<int64_t>> shape(const std::string& key) const override;
  at::Tensor load(const std::string& key, at::ScalarType dtype) const override;

 private:
  std::unique_ptr<SafetensorsFile> owned_;
  const SafetensorsFile& file_;
};

// A checkpoint split over several safetensors files, as large models ship:
// `model.safetensors.index.json` ({"weight_map": {tensor: shard file}}) and the shards beside it.
class ShardedSafetensors : public WeightSource {
 public:
  explicit ShardedSafetensors(const std::string& index_path);  // opens every shard; throws
  const std::string& name() const override { return index_path_; }
  std::optional<std::vector<int64_t>> shape(const std::string& key) const override;
  at::Tensor load(const std::string& key, at::ScalarType dtype) const override;

 private:
  std::string index_path_;
  std::vector<std::unique_ptr<SafetensorsFile>> shards_;
  std::unordered_map<std::string, const SafetensorsFile*> by_tensor_;
};

// The tensor -> shard file map of an index file's text; shard names must be plain file names.
// Throws legrad::Error naming `source`.
std::unordered_map<std::string, std::string> parse_shard_index(const std::string& json_text,
                                                               const std::string& source);

class TensorWeights : public WeightSource {
 public:
  TensorWeights(const NamedTensors& tensors, std::string name);
  const std::string& name() const override { return name_; }
  std::optional<std::vector<int64_t>> shape(const std::string& key) const override;
  at::Tensor load(const std::string& key, at::ScalarType dtype) const override;

 private:
  std::unordered_map<std::string, at::Tensor> tensors_;
  std::string name_;
};

// Passes loads through to `inner` and keeps a copy of each tensor handed out, under the name it
// was asked for: what a model read, in the names it reads (the converter's output).
class RecordingWeights : public WeightSource {
 public:
  explicit RecordingWeights(const WeightSource& inner) : inner_(inner) {}
  const std::string& name() const override { return inner_.name(); }
  std::optional<std::vector<int64_t>> shape(const std::string& key) const override {
    return inner_.shape(key);
  }
  at::Tensor load(const std::string& key, at::ScalarType dtype) const override;
  const NamedTensors& recorded() const { return recorded_; }

 private:
  const WeightSource& inner_;
  mutable NamedTensors recorded_;
};

}  // namespace legrad
