#include "model/hf_transformers.h"

#include <ATen/ATen.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

#include "base/error.h"
#include "base/json_text.h"

namespace legrad {
namespace {

using nlohmann::json;

// How an open_clip tensor is made from the checkpoint's: its parts concatenated on dim 0, a row
// range in thirds of dim 0 (a fused q/k/v projection split), transposed, or given a leading 1.
struct Recipe {
  std::vector<std::string> parts;
  bool transposed = false;
  int first_third = 0, end_third = 3;
  bool leading_one = false;
};

using RenameTable = std::map<std::string, std::string>;

// Names within one block: open_clip's (CLIP, SigLIP's text) or timm's (SigLIP's image tower).
const RenameTable& open_clip_block_names() {
  static const RenameTable names = {
      {"ln_1", "layer_norm1"}, {"ln_2", "layer_norm2"},   {"attn.out_proj", "self_attn.out_proj"},
      {"mlp.c_fc", "mlp.fc1"}, {"mlp.c_proj", "mlp.fc2"},
  };
  return names;
}

const RenameTable& timm_block_names() {
  static const RenameTable names = {
      {"norm1", "layer_norm1"}, {"norm2", "layer_norm2"}, {"attn.proj", "self_attn.out_proj"},
      {"mlp.fc1", "mlp.fc1"},   {"mlp.fc2", "mlp.fc2"},
  };
  return names;
}

// "name.weight" -> ("name", "weight").
std::pair<std::string, std::string> split_kind(const std::string& name) {
  const size_t dot = name.rfind('.');
  if (dot == std::string::npos) return {name, ""};
  return {name.substr(0, dot), name.substr(dot + 1)};
}

// `rest` is "N.<name in the block>"; `layers` is transformers' "<tower>.encoder.layers.";
// `fused_qkv` + "weight"/"bias" names the q/k/v projection that transformers keeps apart.
std::optional<Recipe> block_recipe(const std::string& layers, const std::string& rest,
                                   const RenameTable& names, const std::string& fused_qkv) {
  const size_t dot = rest.find('.');
  if (dot == std::string::npos) return std::nullopt;
  const std::string layer = layers + rest.substr(0, dot) + ".";
  const std::string name = rest.substr(dot + 1);
  if (name == fused_qkv + "weight" || name == fused_qkv + "bias") {
    const std::string kind = name.substr(fused_qkv.size());
    Recipe r;
    for (const char* p : {"q", "k", "v"})
      r.parts.push_back(layer + "self_attn." + p + "_proj." + kind);
    return r;
  }
  const auto [module, kind] = split_kind(name);
  const auto it = names.find(module);
  if (it == names.end()) return std::nullopt;
  return Recipe{{layer + it->second + "." + kind}};
}

std::optional<Recipe> renamed(const RenameTable& table, const std::string& key) {
  const auto [module, kind] = split_kind(key);
  if (const auto it = table.find(key); it != table.end()) return Recipe{{it->second}};
  if (const auto it = table.find(module); it != table.end() && (kind == "weight" || kind == "bias"))
    return Recipe{{it->second + "." + kind}};
  return std::nullopt;
}

std::optional<Recipe> clip_recipe(const std::string& key) {
  static const RenameTable table = {
      {"visual.conv1.weight", "vision_model.embeddings.patch_embedding.weight"},
      {"visual.class_embedding", "vision_model.embeddings.class_embedding"},
      {"visual.positional_embedding", "vision_model.embeddings.position_embedding.weight"},
      {"visual.ln_pre", "vision_model.pre_layrnorm"},
      {"visual.ln_post", "vision_model.post_layernorm"},
      {"token_embedding.weight", "text_model.embeddings.token_embedding.weight"},
      {"positional_embedding", "text_model.embeddings.position_embedding.weight"},
      {"ln_final", "text_model.final_layer_norm"},
      {"logit_scale", "logit_scale"},
  };
  if (key == "visual.proj") return Recipe{{"visual_projection.weight"}, true};
  if (key == "text_projection") return Recipe{{"text_projection.weight"}, true};
  if (auto r = renamed(table, key)) return r;
  for (const auto& [prefix, layers] :
       {std::pair<std::string, std::string>{"visual.transformer.resblocks.",
                                            "vision_model.encoder.layers."},
        {"transformer.resblocks.", "text_model.encoder.layers."}})
    if (key.rfind(prefix, 0) == 0)
      return block_recipe(layers, key.substr(prefix.size()), open_clip_block_names(),
                          "attn.in_proj_");
  return std::nullopt;
}

std::optional<Recipe> siglip_recipe(const std::string& key) {
  static const std::string pool = "visual.trunk.attn_pool.";
  static const std::string head = "vision_model.head.";
  static const RenameTable table = {
      {"visual.trunk.patch_embed.proj", "vision_model.embeddings.patch_embedding"},
      {"visual.trunk.norm", "vision_model.post_layernorm"},
      {pool + "latent", head + "probe"},
      {pool + "proj", head + "attention.out_proj"},
      {pool + "norm", head + "layernorm"},
      {pool + "mlp.fc1", head + "mlp.fc1"},
      {pool + "mlp.fc2", head + "mlp.fc2"},
      {"text.token_embedding.weight", "text_model.embeddings.token_embedding.weight"},
      {"text.positional_embedding", "text_model.embeddings.position_embedding.weight"},
      {"text.ln_final", "text_model.final_layer_norm"},
      {"text.text_projection", "text_model.head"},
      {"logit_scale", "logit_scale"},
      {"logit_bias", "logit_bias"},
  };
  if (key == "visual.trunk.pos_embed") {
    Recipe r{{"vision_model.embeddings.position_embedding.weight"}};
    r.leading_one = true;
    return r;
  }
  // timm's pool projects the query and the keys/values apart; transformers fuses all three.
  for (const auto& [name, first, end] :
       {std::tuple<std::string, int, int>{"q", 0, 1}, {"kv", 1, 3}})
    for (const char* kind : {"weight", "bias"})
      if (key == pool + name + "." + kind) {
        Recipe r{{head + "attention.in_proj_" + kind}};
        r.first_third = first;
        r.end_third = end;
        return r;
      }
  if (auto r = renamed(table, key)) return r;
  if (key.rfind("visual.trunk.blocks.", 0) == 0)
    return block_recipe("vision_model.encoder.layers.", key.substr(20), timm_block_names(),
                        "attn.qkv.");
  if (key.rfind("text.transformer.resblocks.", 0) == 0)
    return block_recipe("text_model.encoder.layers.", key.substr(27), open_clip_block_names(),
                        "attn.in_proj_");
  return std::nullopt;
}

// transformers' defaults for what a config leaves out (CLIPConfig, SiglipConfig).
struct TowerDefaults {
  int hidden_size, intermediate_size, num_hidden_layers, num_attention_heads;
  int image_size, patch_size;               // vision
  int vocab_size, max_position_embeddings;  // text
  const char* hidden_act;
  double layer_norm_eps;
};

constexpr TowerDefaults kClipVision{768, 3072, 12, 12, 224, 32, 0, 0, "quick_gelu", 1e-5};
constexpr TowerDefaults kClipText{512, 2048, 12, 8, 0, 0, 49408, 77, "quick_gelu", 1e-5};
constexpr TowerDefaults kSiglipVision{768, 3072, 12, 12, 224, 16, 0, 0, "gelu_pytorch_tanh", 1e-6};
constexpr TowerDefaults kSiglipText{768, 3072, 12, 12, 0, 0, 32000, 64, "gelu_pytorch_tanh", 1e-6};

int get_int(const json& j, const char* key, int fallback, const std::string& where) {
  if (!j.contains(key)) return fallback;
  if (!j[key].is_number_integer() || j[key].get<int64_t>() <= 0 ||
      j[key].get<int64_t>() > (1 << 24))
    throw Error(where + ": '" + key + "' must be a positive integer");
  return j[key].get<int>();
}

const json& section(const json& j, const char* key, const std::string& source) {
  static const json empty = json::object();
  if (!j.contains(key) || j[key].is_null()) return empty;
  if (!j[key].is_object()) throw Error(source + ": '" + key + "' is not an object");
  return j[key];
}

Activation tower_activation(const json& tower, const TowerDefaults& d, const std::string& where) {
  if (tower.contains("hidden_act") && !tower["hidden_act"].is_string())
    throw Error(where + ": 'hidden_act' must be a string");
  const std::string name = tower.value("hidden_act", std::string(d.hidden_act));
  const auto act = parse_activation(name);
  if (!act)
    throw Error(where + ": hidden_act '" + name +
                "' is not supported (gelu, gelu_pytorch_tanh or quick_gelu)");
  return *act;
}

double tower_eps(const json& tower, const TowerDefaults& d, const std::string& where) {
  if (!tower.contains("layer_norm_eps")) return d.layer_norm_eps;
  const json& eps = tower["layer_norm_eps"];
  if (!eps.is_number() || !(eps.get<double>() > 0) || eps.get<double>() > 0.1)
    throw Error(where + ": layer_norm_eps " + eps.dump() + " must be a small positive number");
  return eps.get<double>();
}

void parse_vision(const json& v, const TowerDefaults& d, const std::string& where,
                  VisionConfig& out) {
  out.image_size = get_int(v, "image_size", d.image_size, where);
  out.patch_size = get_int(v, "patch_size", d.patch_size, where);
  out.width = get_int(v, "hidden_size", d.hidden_size, where);
  out.layers = get_int(v, "num_hidden_layers", d.num_hidden_layers, where);
  const int heads = get_int(v, "num_attention_heads", d.num_attention_heads, where);
  if (out.width % heads != 0) throw Error(where + ": hidden_size is not a multiple of the heads");
  out.head_width = out.width / heads;
  out.mlp_width = get_int(v, "intermediate_size", d.intermediate_size, where);
  out.norm_eps = tower_eps(v, d, where);
  if (out.image_size % out.patch_size != 0)
    throw Error(where + ": image_size is not a multiple of patch_size");
  if (v.contains("num_channels") && v["num_channels"] != 3)
    throw Error(where + ": num_channels must be 3 (RGB)");
}

void parse_text(const json& t, const TowerDefaults& d, const std::string& where, TextConfig& out) {
  out.context_length = get_int(t, "max_position_embeddings", d.max_position_embeddings, where);
  out.vocab_size = get_int(t, "vocab_size", d.vocab_size, where);
  out.width = get_int(t, "hidden_size", d.hidden_size, where);
  out.heads = get_int(t, "num_attention_heads", d.num_attention_heads, where);
  out.layers = get_int(t, "num_hidden_layers", d.num_hidden_layers, where);
  out.mlp_width = get_int(t, "intermediate_size", d.intermediate_size, where);
  out.norm_eps = tower_eps(t, d, where);
  if (out.width % out.heads != 0)
    throw Error(where + ": hidden_size is not a multiple of the heads");
}

void read_mean_std(const std::string& preprocessor_json, const std::string& source, ClipConfig& c) {
  if (preprocessor_json.empty()) return;
  const auto p = parse_json(preprocessor_json, source + " preprocessor config");
  for (const auto& [key, out] :
       {std::pair<const char*, std::array<float, 3>*>{"image_mean", &c.mean},
        {"image_std", &c.std}}) {
    if (!p.is_object() || !p.contains(key)) continue;
    if (!p[key].is_array() || p[key].size() != 3)
      throw Error(source + " preprocessor config: '" + key + "' must be three numbers");
    for (size_t i = 0; i < 3; ++i) {
      if (!p[key][i].is_number())
        throw Error(source + " preprocessor config: '" + key + "' must be three numbers");
      (*out)[i] = p[key][i].get<float>();
    }
  }
}

// SiglipModel: timm's tower with the attention pool, the text tower pooled at its last position
// without a causal mask, a projection with bias, and the image tower's width as embedding size.
void make_siglip(ClipConfig& c, const json& t, const std::string& where) {
  c.vision.pool = ImagePool::AttentionPool;
  c.text.pool = TextPool::Last;
  c.text.causal_mask = false;
  c.text.proj_bias = true;
  c.text.custom_text = true;
  c.embed_dim = get_int(t, "projection_size", c.text.width, where);
  if (c.embed_dim != c.vision.width)
    throw Error(where + ": the text projection's size " + std::to_string(c.embed_dim) +
                " differs from the image tower's width " + std::to_string(c.vision.width));
  c.mean = {0.5f, 0.5f, 0.5f};
  c.std = {0.5f, 0.5f, 0.5f};
}

}  // namespace

std::string hf_model_type(const std::string& json_text) {
  const auto j = json::parse(json_text, nullptr, false);
  if (!j.is_object() || !j.contains("model_type") || !j["model_type"].is_string()) return "";
  return j["model_type"].get<std::string>();
}

bool is_supported_hf_config(const std::string& json_text) {
  const std::string type = hf_model_type(json_text);
  return type == "clip" || type == "siglip";
}

ClipConfig parse_hf_config(const std::string& json_text, const std::string& source,
                           const std::string& preprocessor_json) {
  const auto j = parse_json(json_text, source);
  if (!j.is_object()) throw Error(source + ": not a JSON object");
  const std::string type = hf_model_type(json_text);
  if (type != "clip" && type != "siglip")
    throw Error(source + ": model_type '" + type + "' is not supported (clip or siglip)");
  const bool siglip = type == "siglip";
  const json& v = section(j, "vision_config", source);
  const json& t = section(j, "text_config", source);
  const std::string vw = source + " vision_config", tw = source + " text_config";
  const TowerDefaults& vd = siglip ? kSiglipVision : kClipVision;
  const TowerDefaults& td = siglip ? kSiglipText : kClipText;
  ClipConfig c;
  c.source = source;
  c.activation = tower_activation(v, vd, vw);
  if (tower_activation(t, td, tw) != c.activation)
    throw Error(source + ": the towers' hidden_act differ, which this engine does not support");
  parse_vision(v, vd, vw, c.vision);
  parse_text(t, td, tw, c.text);
  if (siglip)
    make_siglip(c, t, tw);
  else
    c.embed_dim = get_int(j, "projection_dim", 512, source);
  read_mean_std(preprocessor_json, source, c);
  return c;
}

namespace {

std::optional<Recipe> recipe(const std::string& key, bool siglip) {
  return siglip ? siglip_recipe(key) : clip_recipe(key);
}

}  // namespace

std::optional<std::vector<int64_t>> HfWeights::shape(const std::string& key) const {
  const auto r = recipe(key, siglip_);
  if (!r) return std::nullopt;
  // Joined or split along dim 0, the parts need one, and their other dims must agree (a
  // single part may be a scalar: transformers' CLIP logit_scale).
  const bool along_rows = r->parts.size() > 1 || r->end_third - r->first_third != 3;
  std::vector<int64_t> out;
  for (size_t i = 0; i < r->parts.size(); ++i) {
    const auto part_shape = checkpoint_->shape(r->parts[i]);
    if (!part_shape || (along_rows && part_shape->empty())) return std::nullopt;
    if (i == 0) {
      out = *part_shape;
      continue;
    }
    if (!std::equal(part_shape->begin() + 1, part_shape->end(), out.begin() + 1, out.end()))
      return std::nullopt;
    out[0] += (*part_shape)[0];
  }
  if (r->end_third - r->first_third != 3) {
    if (out[0] % 3 != 0) return std::nullopt;
    out[0] = out[0] / 3 * (r->end_third - r->first_third);
  }
  if (r->transposed && out.size() == 2) std::swap(out[0], out[1]);
  if (r->leading_one) out.insert(out.begin(), 1);
  return out;
}

at::Tensor HfWeights::load(const std::string& key, at::ScalarType dtype) const {
  const Recipe r = *recipe(key, siglip_);
  std::vector<at::Tensor> parts;
  for (const std::string& part : r.parts) parts.push_back(checkpoint_->load(part, dtype));
  at::Tensor t = parts.size() == 1 ? parts[0] : at::cat(parts, 0);
  if (r.end_third - r.first_third != 3) {
    const int64_t third = t.size(0) / 3;
    t = t.narrow(0, third * r.first_third, third * (r.end_third - r.first_third)).contiguous();
  }
  if (r.transposed) t = t.t().contiguous();
  if (r.leading_one) t = t.unsqueeze(0);
  return t;
}

}  // namespace legrad
