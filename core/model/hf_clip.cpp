#include "model/hf_clip.h"

#include <ATen/ATen.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <map>

#include "base/error.h"

namespace legrad {
namespace {

// How an open_clip tensor is made from the checkpoint's: its parts (concatenated on dim 0),
// transposed or not.
struct Recipe {
  std::vector<std::string> parts;
  bool transposed = false;
};

// open_clip's block names -> transformers' (prefix "visual.transformer.resblocks.N." or
// "transformer.resblocks.N." -> "vision_model.encoder.layers.N." or "text_model...").
std::optional<Recipe> block_recipe(const std::string& tower, const std::string& rest) {
  static const std::map<std::string, std::string> renamed = {
      {"ln_1.weight", "layer_norm1.weight"},
      {"ln_1.bias", "layer_norm1.bias"},
      {"ln_2.weight", "layer_norm2.weight"},
      {"ln_2.bias", "layer_norm2.bias"},
      {"attn.out_proj.weight", "self_attn.out_proj.weight"},
      {"attn.out_proj.bias", "self_attn.out_proj.bias"},
      {"mlp.c_fc.weight", "mlp.fc1.weight"},
      {"mlp.c_fc.bias", "mlp.fc1.bias"},
      {"mlp.c_proj.weight", "mlp.fc2.weight"},
      {"mlp.c_proj.bias", "mlp.fc2.bias"},
  };
  const size_t dot = rest.find('.');
  if (dot == std::string::npos) return std::nullopt;
  const std::string layer = tower + ".encoder.layers." + rest.substr(0, dot) + ".";
  const std::string name = rest.substr(dot + 1);
  if (name == "attn.in_proj_weight" || name == "attn.in_proj_bias") {
    const std::string kind = name == "attn.in_proj_weight" ? "weight" : "bias";
    Recipe r;
    for (const char* p : {"q", "k", "v"})
      r.parts.push_back(layer + "self_attn." + p + "_proj." + kind);
    return r;
  }
  const auto it = renamed.find(name);
  if (it == renamed.end()) return std::nullopt;
  return Recipe{{layer + it->second}};
}

std::optional<Recipe> recipe(const std::string& key) {
  static const std::map<std::string, Recipe> renamed = {
      {"visual.conv1.weight", {{"vision_model.embeddings.patch_embedding.weight"}}},
      {"visual.class_embedding", {{"vision_model.embeddings.class_embedding"}}},
      {"visual.positional_embedding", {{"vision_model.embeddings.position_embedding.weight"}}},
      {"visual.proj", {{"visual_projection.weight"}, true}},
      {"visual.ln_pre.weight", {{"vision_model.pre_layrnorm.weight"}}},
      {"visual.ln_pre.bias", {{"vision_model.pre_layrnorm.bias"}}},
      {"visual.ln_post.weight", {{"vision_model.post_layernorm.weight"}}},
      {"visual.ln_post.bias", {{"vision_model.post_layernorm.bias"}}},
      {"token_embedding.weight", {{"text_model.embeddings.token_embedding.weight"}}},
      {"positional_embedding", {{"text_model.embeddings.position_embedding.weight"}}},
      {"text_projection", {{"text_projection.weight"}, true}},
      {"ln_final.weight", {{"text_model.final_layer_norm.weight"}}},
      {"ln_final.bias", {{"text_model.final_layer_norm.bias"}}},
  };
  if (const auto it = renamed.find(key); it != renamed.end()) return it->second;
  for (const auto& [prefix, tower] :
       {std::pair<std::string, std::string>{"visual.transformer.resblocks.", "vision_model"},
        {"transformer.resblocks.", "text_model"}})
    if (key.rfind(prefix, 0) == 0) return block_recipe(tower, key.substr(prefix.size()));
  return std::nullopt;
}

int get_int(const nlohmann::json& j, const char* key, const std::string& where) {
  if (!j.contains(key) || !j[key].is_number_integer() || j[key].get<int64_t>() <= 0 ||
      j[key].get<int64_t>() > (1 << 24))
    throw Error(where + ": '" + key + "' must be a positive integer");
  return j[key].get<int>();
}

const nlohmann::json& section(const nlohmann::json& j, const char* key, const std::string& source) {
  if (!j.contains(key) || !j[key].is_object())
    throw Error(source + ": '" + key + "' is missing or not an object");
  return j[key];
}

// The engine's layer norms use open_clip's eps: a config asking for another is refused.
void check_layer_norm_eps(const nlohmann::json& tower, const std::string& where) {
  if (!tower.contains("layer_norm_eps")) return;
  const nlohmann::json& eps = tower["layer_norm_eps"];
  if (!eps.is_number() || std::abs(eps.get<double>() - 1e-5) > 1e-12)
    throw Error(where + ": layer_norm_eps " + eps.dump() + " is not supported (1e-05 only)");
}

// "gelu" (exact) or "quick_gelu"; a tower's setting, for the whole model.
bool quick_gelu(const nlohmann::json& tower, const std::string& where) {
  if (tower.contains("hidden_act") && !tower["hidden_act"].is_string())
    throw Error(where + ": 'hidden_act' must be a string");
  const std::string act = tower.value("hidden_act", std::string("quick_gelu"));
  if (act != "gelu" && act != "quick_gelu")
    throw Error(where + ": hidden_act '" + act + "' is not supported (gelu or quick_gelu)");
  return act == "quick_gelu";
}

}  // namespace

std::string hf_model_type(const std::string& json_text) {
  const auto j = nlohmann::json::parse(json_text, nullptr, false);
  if (!j.is_object() || !j.contains("model_type") || !j["model_type"].is_string()) return "";
  return j["model_type"].get<std::string>();
}

bool is_hf_clip_config(const std::string& json_text) { return hf_model_type(json_text) == "clip"; }

ClipConfig parse_hf_clip_config(const std::string& json_text, const std::string& source,
                                const std::string& preprocessor_json) {
  const auto j = nlohmann::json::parse(json_text, nullptr, false);
  if (!j.is_object()) throw Error(source + ": not a JSON object");
  const nlohmann::json& v = section(j, "vision_config", source);
  const nlohmann::json& t = section(j, "text_config", source);
  ClipConfig c;
  c.source = source;
  c.embed_dim = get_int(j, "projection_dim", source);
  c.quick_gelu = quick_gelu(v, source + " vision_config");
  if (quick_gelu(t, source + " text_config") != c.quick_gelu)
    throw Error(source + ": the towers' hidden_act differ, which this engine does not support");
  const std::string vw = source + " vision_config";
  check_layer_norm_eps(v, vw);
  check_layer_norm_eps(t, source + " text_config");
  c.vision.image_size = get_int(v, "image_size", vw);
  c.vision.patch_size = get_int(v, "patch_size", vw);
  c.vision.width = get_int(v, "hidden_size", vw);
  c.vision.layers = get_int(v, "num_hidden_layers", vw);
  const int heads = get_int(v, "num_attention_heads", vw);
  if (c.vision.width % heads != 0) throw Error(vw + ": hidden_size is not a multiple of the heads");
  c.vision.head_width = c.vision.width / heads;
  c.vision.mlp_width = get_int(v, "intermediate_size", vw);
  if (c.vision.image_size % c.vision.patch_size != 0)
    throw Error(vw + ": image_size is not a multiple of patch_size");
  const std::string tw = source + " text_config";
  c.text.context_length = get_int(t, "max_position_embeddings", tw);
  c.text.vocab_size = get_int(t, "vocab_size", tw);
  c.text.width = get_int(t, "hidden_size", tw);
  c.text.heads = get_int(t, "num_attention_heads", tw);
  c.text.layers = get_int(t, "num_hidden_layers", tw);
  c.text.mlp_width = get_int(t, "intermediate_size", tw);
  if (!preprocessor_json.empty()) {
    const auto p = nlohmann::json::parse(preprocessor_json, nullptr, false);
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
  return c;
}

std::optional<std::vector<int64_t>> HfClipWeights::shape(const std::string& key) const {
  const auto r = recipe(key);
  if (!r) return std::nullopt;
  std::vector<int64_t> out;
  for (const std::string& part : r->parts) {
    const auto part_shape = checkpoint_.shape(part);
    if (!part_shape || part_shape->empty()) return std::nullopt;
    if (out.empty())
      out = *part_shape;
    else
      out[0] += (*part_shape)[0];
  }
  if (r->transposed && out.size() == 2) std::swap(out[0], out[1]);
  return out;
}

at::Tensor HfClipWeights::load(const std::string& key, at::ScalarType dtype) const {
  const Recipe r = *recipe(key);
  std::vector<at::Tensor> parts;
  for (const std::string& part : r.parts) parts.push_back(checkpoint_.load(part, dtype));
  const at::Tensor t = parts.size() == 1 ? parts[0] : at::cat(parts, 0);
  return r.transposed ? t.t().contiguous() : t;
}

}  // namespace legrad
