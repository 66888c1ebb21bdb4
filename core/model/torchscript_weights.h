// The parameters of a TorchScript archive, as OpenAI released CLIP (ViT-B-16.pt): loaded with
// torch::jit::load on the CPU for its state dict only (the graph is never run). The integer
// entries (input_resolution, context_length, vocab_size) are dropped; the mixed fp16/fp32
// parameters are converted to the dtype asked for.
#pragma once

#include <ATen/Tensor.h>

#include <map>
#include <string>

#include "model/weight_source.h"

namespace legrad {

class TorchScriptWeights : public WeightSource {
 public:
  // Throws legrad::Error naming the file if it is not a loadable TorchScript archive.
  explicit TorchScriptWeights(const std::string& path);
  const std::string& name() const override { return path_; }
  std::optional<std::vector<int64_t>> shape(const std::string& key) const override;
  at::Tensor load(const std::string& key, at::ScalarType dtype) const override;
  // What the archive's attention modules record: `num_heads`, or the traced code's divisor.
  std::optional<int64_t> attention_heads(const std::string& module) const override;
  // The first block's MLP activation module: OpenAI's QuickGELU, or torch's GELU (exact or tanh).
  std::optional<Activation> activation() const override { return activation_; }
  const std::map<std::string, at::Tensor>& tensors() const { return tensors_; }

 private:
  std::string path_;
  std::map<std::string, at::Tensor> tensors_;
  std::map<std::string, int64_t> heads_;  // by module path
  std::optional<Activation> activation_;
};

}  // namespace legrad
