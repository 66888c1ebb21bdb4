// The open_clip model configuration, read from open_clip's JSON (bare or wrapped as in the hubs'
// open_clip_config.json) or inferred from a state dict's shapes. Two families: CLIP (open_clip's
// class-token ViT, causal text tower) and SigLIP (timm's ViT with the attention-pool head, text
// tower without causal mask pooled at the last position).
#pragma once

#include <array>
#include <string>
#include <vector>

#include "model/activation.h"

namespace legrad {

class WeightSource;

// How the image tower turns its tokens into one vector.
enum class ImagePool {
  ClassToken,     // CLIP: ln_post(class token) @ proj
  AttentionPool,  // SigLIP: timm's MAP head (a learned latent query attends to the patches)
};

// How the text tower picks the token it projects.
enum class TextPool {
  Argmax,  // CLIP: the end-of-text token, the largest id
  Last,    // SigLIP: the last position of the padded context
};

struct VisionConfig {
  int image_size = 224;  // the size the model was trained at
  int patch_size = 16;
  int width = 768;
  int layers = 12;
  int head_width = 64;
  int mlp_width = 3072;
  ImagePool pool = ImagePool::ClassToken;
  double norm_eps = 1e-5;
  int heads() const { return width / head_width; }
  int grid() const { return image_size / patch_size; }
};

struct TextConfig {
  int context_length = 77;
  int vocab_size = 49408;
  int width = 512;
  int heads = 8;
  int layers = 12;
  int mlp_width = 2048;
  TextPool pool = TextPool::Argmax;
  bool causal_mask = true;
  bool proj_bias = false;  // projection as a Linear with bias (SigLIP) or a bare matrix
  double norm_eps = 1e-5;
  // Tensor names under "text." (open_clip's CustomTextCLIP) rather than at top level.
  bool custom_text = false;
};

struct ClipConfig {
  int embed_dim = 512;
  Activation activation = Activation::Gelu;
  VisionConfig vision;
  TextConfig text;
  std::array<float, 3> mean{0.48145466f, 0.4578275f, 0.40821073f};  // OpenAI's
  std::array<float, 3> std{0.26862954f, 0.26130258f, 0.27577711f};
  std::string source;  // where it came from, for messages
  // What was guessed rather than read (a config inferred from tensor shapes), one line each.
  std::vector<std::string> guesses;
  bool siglip() const { return vision.pool == ImagePool::AttentionPool; }
  const char* family() const { return siglip() ? "SigLIP" : "CLIP"; }
};

// Parses open_clip JSON: either the model config itself (embed_dim, vision_cfg, text_cfg,
// quick_gelu; extra keys ignored) or {"model_cfg": ..., "preprocess_cfg": {mean, std}}.
// A timm image tower (SigLIP: "timm_model_name" with "timm_pool": "map") takes its
// architecture from the known timm names (timm_siglip_names()), or from a top-level
// "timm_model": {"kwargs": {...}} giving timm's VisionTransformer arguments.
// Throws legrad::Error naming `source` and the offending key.
ClipConfig parse_clip_config(const std::string& json_text, const std::string& source);
ClipConfig load_clip_config(const std::string& path);

// One line per tower for people (`legrad info`, the log): sizes, pooling, LayerNorm eps.
std::string describe_image_tower(const ClipConfig& config);
std::string describe_text_tower(const ClipConfig& config);

// The hub form of `config` ({"model_cfg", "preprocess_cfg"}): parse_clip_config reads back the
// same config. Throws for what open_clip's JSON cannot say (the tanh GELU in a CLIP).
std::string clip_config_to_json(const ClipConfig& config);

// The timm SigLIP image towers whose architecture is known by name, joined by ", ".
std::string timm_siglip_names();

// True if the JSON text looks like an open_clip config (so a foreign config.json can be skipped).
bool is_open_clip_config(const std::string& json_text);

// Reads a CLIP architecture off the tensor shapes. What shapes do not tell comes from the
// archive where it records it (attention_heads, activation), else from OpenAI's head width 64
// and the caller's `activation`; the normalisation is OpenAI's mean and std. With
// `openai_file` (OpenAI's own archive) its conventions are facts; otherwise each is listed in
// `guesses`.
ClipConfig infer_clip_config(const WeightSource& weights, Activation activation, bool openai_file);

}  // namespace legrad
