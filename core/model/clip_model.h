// An open_clip model with its weights on the compute device: CLIP (class-token ViT image
// tower, causal text tower) or SigLIP (timm ViT with an attention-pool head; ClipConfig says
// which). Read-only after construction except for the per-size cache of
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
class WeightReader;

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
  // pixels [B, 3, S, S] -> the L2-normalised image embeddings [B, E].
  at::Tensor encode_image(const at::Tensor& pixels) const;
  // The last block's output [B, N, D] -> the L2-normalised image embeddings [B, E] (CLIP:
  // project_image of the class token; SigLIP: the attention pool of the final norm's output).
  at::Tensor image_embedding(const at::Tensor& tokens) const;

  const std::vector<ResidualBlock>& vision_blocks() const { return vision_blocks_; }
  // Throws unless `size` is a positive multiple of the patch size.
  void check_input_size(int64_t size) const;
  // [1 + g*g, D] for input size S (SigLIP: [g*g, D]): the trained one, or its patch grid
  // resampled with antialiased bicubic as the reference does (class-token row kept). Cached
  // per size.
  at::Tensor positional_embedding(int64_t size) const;
  // pixels [B, 3, S, S] -> tokens [B, 1 + g*g, D] after ln_pre (SigLIP: [B, g*g, D], no
  // ln_pre), ready for block 0.
  at::Tensor embed_image(const at::Tensor& pixels) const;
  // CLIP: [..., D] -> ln_post -> @ proj -> L2-normalised [..., E]. Throws for SigLIP.
  at::Tensor project_image(const at::Tensor& pooled) const;
  // The two weights of project_image, for explainers that differentiate through it (SigLIP:
  // the trunk's final norm, and no projection).
  const LayerNormWeights& ln_post() const { return ln_post_; }
  const at::Tensor& image_projection() const { return vision_proj_; }
  // SigLIP's attention-pool head (empty for CLIP).
  const AttentionPool& pool() const { return pool_; }
  // The learned logit scale (as stored: its log) and SigLIP's logit bias, scalars, where the
  // checkpoint has them (else undefined): the model's own logits are
  // exp(logit_scale) * cosine + logit_bias. Presence scores stay the cosine similarity.
  const at::Tensor& logit_scale() const { return logit_scale_; }
  const at::Tensor& logit_bias() const { return logit_bias_; }
  // The model's own probability that each prompt is present, sigmoid of its logits, for
  // models trained with a sigmoid loss: they carry a logit bias (SigLIP, the bundled model).
  // Undefined for the others: softmax-trained logits say nothing of one prompt alone.
  // cosines [...] on any device -> float32 probabilities on the CPU.
  at::Tensor presence_probability(const at::Tensor& cosines) const;
  bool gives_presence_probability() const {
    return logit_scale_.defined() && logit_bias_.defined();
  }

 private:
  void load_clip_vision(const WeightReader& r);
  void load_siglip_vision(const WeightReader& r);
  void load_text(const WeightReader& r);

  ClipConfig config_;
  c10::Device device_;
  at::ScalarType dtype_;
  Activation act_;

  // Undefined where the family has none: SigLIP has no class embedding, ln_pre or projection,
  // CLIP no patch bias or pool.
  at::Tensor logit_scale_, logit_bias_;  // float32 scalars on the CPU, or undefined
  at::Tensor conv1_, patch_bias_, class_embedding_, vision_pos_, vision_proj_;
  LayerNormWeights ln_pre_, ln_post_;
  std::vector<ResidualBlock> vision_blocks_;
  AttentionPool pool_;

  at::Tensor token_embedding_, text_pos_, text_proj_, text_proj_bias_, causal_mask_;
  LayerNormWeights ln_final_;
  std::vector<ResidualBlock> text_blocks_;

  mutable std::mutex pos_mutex_;
  mutable std::map<int64_t, at::Tensor> pos_cache_;
};

}  // namespace legrad
