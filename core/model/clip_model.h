// An open_clip CLIP model (class-token ViT image tower, causal text tower) with its weights
// on the compute device. Read-only after construction except for the per-size cache of
// resampled positional embeddings, so one model can serve several threads.
#pragma once

#include <ATen/Tensor.h>
#include <c10/core/Device.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "model/clip_config.h"
#include "model/transformer.h"

namespace legrad {

class SafetensorsFile;
class WeightSource;

class ClipModel {
 public:
  // Copies every tensor the config needs out of `weights` (converted to `dtype`, moved to
  // `device`); a missing tensor or a shape mismatch throws, naming the key and both shapes.
  ClipModel(ClipConfig config, const SafetensorsFile& weights, c10::Device device,
            at::ScalarType dtype = at::kFloat);
  ClipModel(ClipConfig config, const WeightSource& weights, c10::Device device,
            at::ScalarType dtype = at::kFloat);

  const ClipConfig& config() const { return config_; }
  c10::Device device() const { return device_; }
  at::ScalarType dtype() const { return dtype_; }
  Activation activation() const { return act_; }

  // tokens [P, context] int64 -> L2-normalised text embeddings [P, E]. Like every method
  // here it records autograd only where the weights require grad (training).
  at::Tensor encode_text(const at::Tensor& tokens) const;
  // pixels [B, 3, S, S] -> the L2-normalised class-token embeddings [B, E].
  at::Tensor encode_image(const at::Tensor& pixels) const;

  const std::vector<ResidualBlock>& vision_blocks() const { return vision_blocks_; }
  // Throws unless `size` is a positive multiple of the patch size.
  void check_input_size(int64_t size) const;
  // [1 + g*g, D] for input size S: the trained one, or its patch grid resampled with
  // antialiased bicubic as the reference does (class-token row kept). Cached per size.
  at::Tensor positional_embedding(int64_t size) const;
  // pixels [B, 3, S, S] -> tokens [B, 1 + g*g, D] after ln_pre, ready for block 0.
  at::Tensor embed_image(const at::Tensor& pixels) const;
  // [..., D] -> ln_post -> @ proj -> L2-normalised [..., E].
  at::Tensor project_image(const at::Tensor& pooled) const;
  // The two weights of project_image, for explainers that differentiate through it.
  const LayerNormWeights& ln_post() const { return ln_post_; }
  const at::Tensor& image_projection() const { return vision_proj_; }

 private:
  ClipConfig config_;
  c10::Device device_;
  at::ScalarType dtype_;
  Activation act_;

  at::Tensor conv1_, class_embedding_, vision_pos_, vision_proj_;
  LayerNormWeights ln_pre_, ln_post_;
  std::vector<ResidualBlock> vision_blocks_;

  at::Tensor token_embedding_, text_pos_, text_proj_, causal_mask_;
  LayerNormWeights ln_final_;
  std::vector<ResidualBlock> text_blocks_;

  mutable std::mutex pos_mutex_;
  mutable std::map<int64_t, at::Tensor> pos_cache_;
};

}  // namespace legrad
