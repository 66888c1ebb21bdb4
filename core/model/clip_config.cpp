#include "model/clip_config.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "base/error.h"
#include "base/file.h"
#include "base/json_text.h"
#include "model/weight_source.h"

namespace legrad {
namespace {

using nlohmann::json;

// open_clip writes sizes either as an int or as [h, w]; only square ones are supported.
int square_size(const json& value, const std::string& source, const std::string& key) {
  if (value.is_number_integer()) return value.get<int>();
  if (value.is_array() && value.size() == 2 && value[0].is_number_integer() && value[0] == value[1])
    return value[0].get<int>();
  throw Error(source + ": '" + key + "' must be an integer or a square [n, n] pair");
}

template <typename T>
T get_or(const json& obj, const char* key, T fallback, const std::string& source,
         const std::string& section) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return fallback;
  try {
    return it->get<T>();
  } catch (const json::exception&) {
    throw Error(source + ": '" + section + "." + key + "' has the wrong type");
  }
}

void reject_if_set(const json& cfg, const char* key, const std::string& source,
                   const std::string& section, const char* why) {
  auto it = cfg.find(key);
  if (it != cfg.end() && !it->is_null() && !(it->is_boolean() && !it->get<bool>()))
    throw Error(source + ": '" + section + "." + key + "' is not supported (" + why + ")");
}

std::array<float, 3> triple(const json& value, const std::string& source, const char* key) {
  if (!value.is_array() || value.size() != 3)
    throw Error(source + ": preprocess_cfg." + key + " must be three numbers");
  std::array<float, 3> out{};
  for (int i = 0; i < 3; ++i) {
    if (!value[i].is_number())
      throw Error(source + ": preprocess_cfg." + key + " must be three numbers");
    out[i] = value[i].get<float>();
  }
  return out;
}

void check_positive(int value, const std::string& source, const std::string& key) {
  if (value <= 0) throw Error(source + ": '" + key + "' must be positive");
}

double positive_eps(const json& norm_kwargs, const std::string& source, const std::string& where) {
  const double eps = get_or<double>(norm_kwargs, "eps", 1e-5, source, where);
  if (!(eps > 0 && eps < 1)) throw Error(source + ": '" + where + ".eps' must lie in (0, 1)");
  return eps;
}

// open_clip's own ViT: the sizes are in vision_cfg.
void parse_clip_vision(const json& vit, VisionConfig& v, const std::string& source) {
  reject_if_set(vit, "attentional_pool", source, "vision_cfg", "class-token models only");
  reject_if_set(vit, "ls_init_value", source, "vision_cfg", "no layer scale");
  reject_if_set(vit, "no_ln_pre", source, "vision_cfg", "ln_pre is required");
  if (get_or<std::string>(vit, "pool_type", "tok", source, "vision_cfg") != "tok")
    throw Error(source + ": 'vision_cfg.pool_type' must be \"tok\" (class token)");
  if (vit.contains("image_size"))
    v.image_size = square_size(vit["image_size"], source, "vision_cfg.image_size");
  if (vit.contains("patch_size"))
    v.patch_size = square_size(vit["patch_size"], source, "vision_cfg.patch_size");
  v.width = get_or<int>(vit, "width", v.width, source, "vision_cfg");
  v.layers = get_or<int>(vit, "layers", v.layers, source, "vision_cfg");
  v.head_width = get_or<int>(vit, "head_width", v.head_width, source, "vision_cfg");
  const double ratio = get_or<double>(vit, "mlp_ratio", 4.0, source, "vision_cfg");
  v.mlp_width = static_cast<int>(v.width * ratio);
}

// timm 0.9.12's SigLIP towers: VisionTransformer(class_token=False, global_pool="map",
// LayerNorm eps 1e-6) with these sizes.
struct TimmSiglip {
  const char* name;
  int image_size, patch_size, width, layers, heads, mlp_width;
};

const std::vector<TimmSiglip>& timm_siglip_models() {
  static const std::vector<TimmSiglip> models = {
      {"vit_base_patch16_siglip_224", 224, 16, 768, 12, 12, 3072},
      {"vit_base_patch16_siglip_256", 256, 16, 768, 12, 12, 3072},
      {"vit_base_patch16_siglip_384", 384, 16, 768, 12, 12, 3072},
      {"vit_base_patch16_siglip_512", 512, 16, 768, 12, 12, 3072},
      {"vit_large_patch16_siglip_256", 256, 16, 1024, 24, 16, 4096},
      {"vit_large_patch16_siglip_384", 384, 16, 1024, 24, 16, 4096},
      {"vit_so400m_patch14_siglip_224", 224, 14, 1152, 27, 16, 4304},
      {"vit_so400m_patch14_siglip_384", 384, 14, 1152, 27, 16, 4304},
  };
  return models;
}

// The architecture from timm VisionTransformer kwargs (img_size, patch_size, embed_dim,
// depth, num_heads, mlp_ratio; class_token false and global_pool "map" required).
void timm_kwargs_vision(const json& kwargs, VisionConfig& v, const std::string& source) {
  const std::string where = "timm_model.kwargs";
  if (get_or<bool>(kwargs, "class_token", true, source, where) ||
      get_or<std::string>(kwargs, "global_pool", "token", source, where) != "map")
    throw Error(source + ": '" + where +
                "' must describe a SigLIP tower (class_token false, global_pool \"map\")");
  if (kwargs.contains("img_size")) v.image_size = square_size(kwargs["img_size"], source, where);
  if (kwargs.contains("patch_size"))
    v.patch_size = square_size(kwargs["patch_size"], source, where);
  v.width = get_or<int>(kwargs, "embed_dim", v.width, source, where);
  v.layers = get_or<int>(kwargs, "depth", v.layers, source, where);
  const int heads = get_or<int>(kwargs, "num_heads", 12, source, where);
  check_positive(heads, source, where + ".num_heads");
  if (v.width % heads != 0)
    throw Error(source + ": " + where + ".embed_dim is not a multiple of num_heads");
  v.head_width = v.width / heads;
  v.mlp_width = static_cast<int>(v.width * get_or<double>(kwargs, "mlp_ratio", 4.0, source, where));
}

// timm's act_layer for a SigLIP tower: exact GELU unless "gelu_tanh" (SigLIP 2).
Activation timm_activation(const json& kwargs, const std::string& source) {
  const std::string name =
      get_or<std::string>(kwargs, "act_layer", "gelu", source, "timm_model.kwargs");
  if (name == "gelu") return Activation::Gelu;
  if (name == "gelu_tanh") return Activation::GeluTanh;
  throw Error(source + ": 'timm_model.kwargs.act_layer' \"" + name +
              "\" is not supported (gelu or gelu_tanh)");
}

// A timm image tower: only SigLIP's (attention-pool head, no projection after it).
void parse_timm_vision(const json& doc, const json& vit, ClipConfig& cfg,
                       const std::string& source) {
  const std::string name = get_or<std::string>(vit, "timm_model_name", "", source, "vision_cfg");
  const std::string pool = get_or<std::string>(vit, "timm_pool", "", source, "vision_cfg");
  const std::string proj = get_or<std::string>(vit, "timm_proj", "none", source, "vision_cfg");
  if (pool != "map" || proj != "none")
    throw Error(source + ": 'vision_cfg.timm_model_name' \"" + name +
                "\" is not supported: of timm's image towers only SigLIP's (timm_pool \"map\", "
                "timm_proj \"none\") run");
  VisionConfig& v = cfg.vision;
  v.pool = ImagePool::AttentionPool;
  v.norm_eps = 1e-6;
  const auto known = std::find_if(timm_siglip_models().begin(), timm_siglip_models().end(),
                                  [&](const TimmSiglip& m) { return name == m.name; });
  const auto timm = doc.find("timm_model");
  if (timm != doc.end() && timm->is_object() && timm->contains("kwargs")) {
    if (!(*timm)["kwargs"].is_object())
      throw Error(source + ": 'timm_model.kwargs' is not an object");
    timm_kwargs_vision((*timm)["kwargs"], v, source);
    cfg.activation = timm_activation((*timm)["kwargs"], source);
  } else if (known != timm_siglip_models().end()) {
    v.image_size = known->image_size;
    v.patch_size = known->patch_size;
    v.width = known->width;
    v.layers = known->layers;
    v.head_width = known->width / known->heads;
    v.mlp_width = known->mlp_width;
  } else {
    throw Error(source + ": 'vision_cfg.timm_model_name' \"" + name +
                "\" is not a known timm model (known: " + timm_siglip_names() +
                "; or give timm's VisionTransformer arguments as \"timm_model\": {\"kwargs\": "
                "{...}})");
  }
  if (vit.contains("image_size"))
    v.image_size = square_size(vit["image_size"], source, "vision_cfg.image_size");
}

void check_vision(const VisionConfig& v, const std::string& source) {
  for (auto [value, key] : {std::pair{v.image_size, "vision_cfg.image_size"},
                            {v.patch_size, "vision_cfg.patch_size"},
                            {v.width, "vision_cfg.width"},
                            {v.layers, "vision_cfg.layers"},
                            {v.head_width, "vision_cfg.head_width"},
                            {v.mlp_width, "vision_cfg.mlp_ratio"}})
    check_positive(value, source, key);
  if (v.width % v.head_width != 0)
    throw Error(source + ": vision_cfg.width " + std::to_string(v.width) +
                " is not a multiple of head_width " + std::to_string(v.head_width));
  if (v.image_size % v.patch_size != 0)
    throw Error(source + ": vision_cfg.image_size is not a multiple of patch_size");
}

}  // namespace

std::string timm_siglip_names() {
  std::string out;
  for (const TimmSiglip& m : timm_siglip_models())
    out += (out.empty() ? "" : ", ") + std::string(m.name);
  return out;
}

bool is_open_clip_config(const std::string& json_text) {
  json doc = json::parse(json_text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return false;
  if (doc.contains("model_cfg")) return true;
  return doc.contains("embed_dim") && doc.contains("vision_cfg");
}

ClipConfig parse_clip_config(const std::string& json_text, const std::string& source) {
  json doc = parse_json(json_text, source);
  if (!doc.is_object()) throw Error(source + ": not a JSON object");
  ClipConfig cfg;
  cfg.source = source;

  const json* model = &doc;
  if (doc.contains("model_cfg")) {
    model = &doc["model_cfg"];
    if (!model->is_object()) throw Error(source + ": 'model_cfg' is not an object");
  }
  // Beside model_cfg in the hubs' files, beside the model keys in a bare config.
  if (auto pre = doc.find("preprocess_cfg"); pre != doc.end() && pre->is_object()) {
    if (pre->contains("mean")) cfg.mean = triple((*pre)["mean"], source, "mean");
    if (pre->contains("std")) cfg.std = triple((*pre)["std"], source, "std");
  }
  auto embed = model->find("embed_dim");
  if (embed == model->end() || !embed->is_number_integer())
    throw Error(source + ": missing integer 'embed_dim'");
  cfg.embed_dim = embed->get<int>();
  if (get_or<bool>(*model, "quick_gelu", false, source, "model"))
    cfg.activation = Activation::QuickGelu;

  auto vit = model->find("vision_cfg");
  if (vit == model->end() || !vit->is_object())
    throw Error(source + ": missing object 'vision_cfg'");
  if (vit->contains("timm_model_name") && !(*vit)["timm_model_name"].is_null()) {
    parse_timm_vision(doc, *vit, cfg, source);
  } else {
    parse_clip_vision(*vit, cfg.vision, source);
  }
  check_vision(cfg.vision, source);

  auto txt = model->find("text_cfg");
  if (txt == model->end() || !txt->is_object()) throw Error(source + ": missing object 'text_cfg'");
  reject_if_set(*txt, "hf_model_name", source, "text_cfg", "only open_clip's own text tower");
  reject_if_set(*txt, "ls_init_value", source, "text_cfg", "no layer scale");
  reject_if_set(*txt, "embed_cls", source, "text_cfg", "CoCa-style text towers");
  TextConfig& t = cfg.text;
  const std::string pool = get_or<std::string>(*txt, "pool_type", "argmax", source, "text_cfg");
  if (pool != "argmax" && pool != "last")
    throw Error(source + ": 'text_cfg.pool_type' \"" + pool +
                "\" is not supported (\"argmax\": end-of-text token, \"last\": last position)");
  t.pool = pool == "last" ? TextPool::Last : TextPool::Argmax;
  t.causal_mask = !get_or<bool>(*txt, "no_causal_mask", false, source, "text_cfg");
  t.proj_bias = get_or<bool>(*txt, "proj_bias", false, source, "text_cfg");
  t.custom_text = get_or<bool>(*model, "custom_text", false, source, "model");
  if (auto norm = txt->find("norm_kwargs"); norm != txt->end() && norm->is_object())
    t.norm_eps = positive_eps(*norm, source, "text_cfg.norm_kwargs");
  t.context_length = get_or<int>(*txt, "context_length", t.context_length, source, "text_cfg");
  t.vocab_size = get_or<int>(*txt, "vocab_size", t.vocab_size, source, "text_cfg");
  t.width = get_or<int>(*txt, "width", t.width, source, "text_cfg");
  t.heads = get_or<int>(*txt, "heads", t.heads, source, "text_cfg");
  t.layers = get_or<int>(*txt, "layers", t.layers, source, "text_cfg");
  const double txt_ratio = get_or<double>(*txt, "mlp_ratio", 4.0, source, "text_cfg");
  t.mlp_width = static_cast<int>(t.width * txt_ratio);
  for (auto [value, key] : {std::pair{t.context_length, "text_cfg.context_length"},
                            {t.vocab_size, "text_cfg.vocab_size"},
                            {t.width, "text_cfg.width"},
                            {t.heads, "text_cfg.heads"},
                            {t.layers, "text_cfg.layers"}})
    check_positive(value, source, key);
  if (t.width % t.heads != 0)
    throw Error(source + ": text_cfg.width is not a multiple of text_cfg.heads");
  check_positive(cfg.embed_dim, source, "embed_dim");
  if (cfg.siglip() && cfg.embed_dim != cfg.vision.width)
    throw Error(source + ": embed_dim " + std::to_string(cfg.embed_dim) +
                " differs from the SigLIP image tower's width " + std::to_string(cfg.vision.width) +
                " (its attention pool has no projection after it)");
  return cfg;
}

ClipConfig load_clip_config(const std::string& path) {
  return parse_clip_config(read_file(path, "model config"), path);
}

namespace {

// open_clip truncates width * mlp_ratio: this ratio gives back `mlp_width` exactly.
double mlp_ratio(int mlp_width, int width) {
  return mlp_width % width == 0 ? mlp_width / width : (mlp_width + 0.5) / width;
}

// Mean and std as the configs write them (float values, not their double expansions).
json rounded(const std::array<float, 3>& v) {
  json out = json::array();
  for (float x : v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.8g", x);
    out.push_back(std::stod(buf));
  }
  return out;
}

// timm's name for the tower when it is one of the known ones (so that open_clip reads the file
// too), else a name that says what it is.
std::string timm_name(const ClipConfig& config) {
  const VisionConfig& v = config.vision;
  for (const TimmSiglip& m : timm_siglip_models())
    if (m.image_size == v.image_size && m.patch_size == v.patch_size && m.width == v.width &&
        m.layers == v.layers && m.heads == v.heads() && m.mlp_width == v.mlp_width &&
        config.activation == Activation::Gelu)
      return m.name;
  return "vit_siglip_custom";
}

json siglip_timm_kwargs(const ClipConfig& config) {
  const VisionConfig& v = config.vision;
  json kwargs = {{"img_size", v.image_size}, {"patch_size", v.patch_size},
                 {"embed_dim", v.width},     {"depth", v.layers},
                 {"num_heads", v.heads()},   {"mlp_ratio", mlp_ratio(v.mlp_width, v.width)},
                 {"class_token", false},     {"global_pool", "map"}};
  if (config.activation == Activation::GeluTanh) kwargs["act_layer"] = "gelu_tanh";
  return kwargs;
}

}  // namespace

namespace {

std::string short_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

}  // namespace

std::string describe_image_tower(const ClipConfig& c) {
  const VisionConfig& v = c.vision;
  return "ViT width " + std::to_string(v.width) + ", layers " + std::to_string(v.layers) +
         ", heads " + std::to_string(v.heads()) + " (head width " + std::to_string(v.head_width) +
         "), MLP " + std::to_string(v.mlp_width) + ", patch " + std::to_string(v.patch_size) +
         ", input " + std::to_string(v.image_size) + " (grid " + std::to_string(v.grid()) + "x" +
         std::to_string(v.grid()) + "), " + (c.siglip() ? "attention-pool head" : "class token") +
         ", LayerNorm eps " + short_number(v.norm_eps);
}

std::string describe_text_tower(const ClipConfig& c) {
  const TextConfig& t = c.text;
  return "width " + std::to_string(t.width) + ", layers " + std::to_string(t.layers) + ", heads " +
         std::to_string(t.heads) + ", MLP " + std::to_string(t.mlp_width) + ", context " +
         std::to_string(t.context_length) + ", vocabulary " + std::to_string(t.vocab_size) +
         ", pooled at " + (t.pool == TextPool::Last ? "the last position" : "end-of-text") +
         (t.causal_mask ? ", causal mask" : ", no mask") + ", LayerNorm eps " +
         short_number(t.norm_eps);
}

std::string clip_config_to_json(const ClipConfig& config) {
  const VisionConfig& v = config.vision;
  const TextConfig& t = config.text;
  if (config.activation == Activation::GeluTanh && !config.siglip())
    throw Error(config.source + ": open_clip configs cannot give a CLIP the tanh GELU");
  json model = {{"embed_dim", config.embed_dim},
                {"quick_gelu", config.activation == Activation::QuickGelu}};
  json vision = {{"image_size", v.image_size}, {"patch_size", v.patch_size},
                 {"width", v.width},           {"layers", v.layers},
                 {"head_width", v.head_width}, {"mlp_ratio", mlp_ratio(v.mlp_width, v.width)}};
  json text = {{"context_length", t.context_length},
               {"vocab_size", t.vocab_size},
               {"width", t.width},
               {"heads", t.heads},
               {"layers", t.layers},
               {"mlp_ratio", mlp_ratio(t.mlp_width, t.width)}};
  json doc;
  if (config.siglip()) {
    // timm's tower: its arguments go in "timm_model" (parse_timm_vision reads them).
    vision = {{"image_size", v.image_size},
              {"timm_model_name", timm_name(config)},
              {"timm_pool", "map"},
              {"timm_proj", "none"}};
    model["custom_text"] = t.custom_text;
    doc["timm_model"] = {{"kwargs", siglip_timm_kwargs(config)}};
    text["no_causal_mask"] = !t.causal_mask;
    text["proj_bias"] = t.proj_bias;
    text["pool_type"] = t.pool == TextPool::Last ? "last" : "argmax";
    text["norm_kwargs"] = {{"eps", t.norm_eps}};
  }
  model["vision_cfg"] = vision;
  model["text_cfg"] = text;
  doc["model_cfg"] = model;
  doc["preprocess_cfg"] = {{"mean", rounded(config.mean)}, {"std", rounded(config.std)}};
  return doc.dump(2) + "\n";
}

namespace {

// A tower's head width: width / the archive's head count where it records one that divides
// the width, else OpenAI's 64 (a guess, noted in `guesses`, except in OpenAI's own files).
int head_width(const WeightSource& weights, const std::string& attention, int width,
               const std::string& tower, bool openai_file, std::vector<std::string>& guesses) {
  const auto heads = weights.attention_heads(attention);
  if (heads && *heads > 0 && width % *heads == 0) return width / static_cast<int>(*heads);
  if (width % 64 != 0)
    throw Error(weights.name() + ": the " + tower + " width " + std::to_string(width) +
                " is not a multiple of 64 and no head count dividing it is recorded; give a "
                "config");
  if (!openai_file)
    guesses.push_back(tower + " heads: " + std::to_string(width / 64) +
                      " (OpenAI's head width 64; the tensors do not tell)");
  return 64;
}

}  // namespace

ClipConfig infer_clip_config(const WeightSource& weights, Activation activation, bool openai_file) {
  const std::string& src = weights.name();
  auto shape = [&](const std::string& name) {
    const auto s = weights.shape(name);
    if (!s)
      throw Error(src + ": tensor '" + name +
                  "' is missing, so the architecture cannot be inferred (give a config)");
    return *s;
  };
  auto count_blocks = [&](const std::string& prefix) {
    int n = 0;
    while (weights.shape(prefix + std::to_string(n) + ".ln_1.weight")) ++n;
    return n;
  };
  ClipConfig cfg;
  cfg.source = src + " (inferred from tensor shapes)";
  cfg.activation = weights.activation().value_or(activation);
  const auto conv = shape("visual.conv1.weight");
  const auto pos = shape("visual.positional_embedding");
  const auto proj = shape("visual.proj");
  if (conv.size() != 4 || pos.size() != 2 || proj.size() != 2)
    throw Error(src + ": unexpected ranks of visual.conv1/positional_embedding/proj");
  VisionConfig& v = cfg.vision;
  v.width = static_cast<int>(conv[0]);
  v.patch_size = static_cast<int>(conv[2]);
  if (pos[0] < 2 || pos[0] > (1 << 20))
    throw Error(src + ": visual.positional_embedding has " + std::to_string(pos[0]) +
                " rows, not 1 + a square grid");
  int grid = 0;
  while (int64_t{grid + 1} * (grid + 1) + 1 <= pos[0]) ++grid;
  if (grid * grid + 1 != pos[0])
    throw Error(src + ": visual.positional_embedding has " + std::to_string(pos[0]) +
                " rows, not 1 + a square grid");
  v.image_size = grid * v.patch_size;
  v.layers = count_blocks("visual.transformer.resblocks.");
  v.head_width = head_width(weights, "visual.transformer.resblocks.0.attn", v.width, "image tower",
                            openai_file, cfg.guesses);
  v.mlp_width = static_cast<int>(shape("visual.transformer.resblocks.0.mlp.c_fc.weight")[0]);
  cfg.embed_dim = static_cast<int>(proj[1]);

  TextConfig& t = cfg.text;
  const auto tok = shape("token_embedding.weight");
  t.vocab_size = static_cast<int>(tok[0]);
  t.width = static_cast<int>(tok[1]);
  t.context_length = static_cast<int>(shape("positional_embedding")[0]);
  t.layers = count_blocks("transformer.resblocks.");
  t.heads = t.width / head_width(weights, "transformer.resblocks.0.attn", t.width, "text tower",
                                 openai_file, cfg.guesses);
  t.mlp_width = static_cast<int>(shape("transformer.resblocks.0.mlp.c_fc.weight")[0]);
  if (!openai_file) {
    cfg.guesses.push_back("normalisation: OpenAI's mean and std (no preprocessing config)");
    if (!weights.activation())
      cfg.guesses.push_back(std::string("activation: ") + activation_name(activation) +
                            " (open_clip's default; the tensors do not tell)");
  }
  return cfg;
}

}  // namespace legrad
