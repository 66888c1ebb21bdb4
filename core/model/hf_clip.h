// Hugging Face transformers' CLIPModel layout (config.json with "model_type": "clip", and
// model.safetensors with its own tensor names: q/k/v projections apart, projections stored
// transposed): read as the open_clip model it is.
#pragma once

#include <string>

#include "model/clip_config.h"
#include "model/safetensors.h"
#include "model/weight_source.h"

namespace legrad {

// True if the JSON text is a transformers CLIPConfig.
bool is_hf_clip_config(const std::string& json_text);
// A transformers config's model_type ("clip", "siglip", ...), or "" for other text.
std::string hf_model_type(const std::string& json_text);

// The architecture from a CLIPConfig; mean and std from the preprocessor config's image_mean /
// image_std when given (else OpenAI's). Throws legrad::Error naming `source` and the key.
ClipConfig parse_hf_clip_config(const std::string& json_text, const std::string& source,
                                const std::string& preprocessor_json = "");

// A CLIPModel checkpoint (one safetensors file or shards) under open_clip's tensor names, as
// ClipModel reads them.
class HfClipWeights : public WeightSource {
 public:
  explicit HfClipWeights(const WeightSource& checkpoint) : checkpoint_(checkpoint) {}
  const std::string& name() const override { return checkpoint_.name(); }
  std::optional<std::vector<int64_t>> shape(const std::string& key) const override;
  at::Tensor load(const std::string& key, at::ScalarType dtype) const override;

 private:
  const WeightSource& checkpoint_;
};

}  // namespace legrad
