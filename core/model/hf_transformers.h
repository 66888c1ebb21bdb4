// Hugging Face transformers' layouts: CLIPModel and SiglipModel (config.json with "model_type"
// "clip" or "siglip", model.safetensors with transformers' tensor names: q/k/v projections
// apart, CLIP's projections stored transposed, SigLIP's pooler as an nn.MultiheadAttention),
// read as the open_clip model each one is.
#pragma once

#include <memory>
#include <string>

#include "model/clip_config.h"
#include "model/weight_source.h"

namespace legrad {

// A transformers config's model_type ("clip", "siglip", ...), or "" for other text.
std::string hf_model_type(const std::string& json_text);
// True for the model types parse_hf_config reads.
bool is_supported_hf_config(const std::string& json_text);

// The architecture from a CLIPConfig or SiglipConfig, with transformers' defaults for absent
// keys; mean and std from the preprocessor config's image_mean / image_std when given (else the
// family's). Throws legrad::Error naming `source` and the key.
ClipConfig parse_hf_config(const std::string& json_text, const std::string& source,
                           const std::string& preprocessor_json = "");

// A transformers checkpoint (one safetensors file or shards) under open_clip's tensor names, as
// ClipModel reads them for `family` (the config's siglip()).
class HfWeights : public WeightSource {
 public:
  HfWeights(std::unique_ptr<WeightSource> checkpoint, bool siglip)
      : checkpoint_(std::move(checkpoint)), siglip_(siglip) {}
  const std::string& name() const override { return checkpoint_->name(); }
  std::optional<std::vector<int64_t>> shape(const std::string& key) const override;
  at::Tensor load(const std::string& key, at::ScalarType dtype) const override;

 private:
  std::unique_ptr<WeightSource> checkpoint_;
  bool siglip_;
};

}  // namespace legrad
