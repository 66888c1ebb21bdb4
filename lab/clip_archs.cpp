#include "lab/clip_archs.h"

#include "base/error.h"

namespace legrad {
namespace {

struct Arch {
  const char* name;
  int embed_dim;
  int patch, width, layers, head_width;
  double mlp_ratio;
  int text_width, text_heads, text_layers;
  bool siglip = false;  // timm's tower with the attention pool, SigLIP's text tower
};

// As in open_clip's model_configs/*.json (image size 224 for all).
constexpr Arch kArchs[] = {
    {"ViT-B-32", 512, 32, 768, 12, 64, 4.0, 512, 8, 12},
    {"ViT-B-16", 512, 16, 768, 12, 64, 4.0, 512, 8, 12},
    {"ViT-L-14", 768, 14, 1024, 24, 64, 4.0, 768, 12, 12},
    {"ViT-H-14", 1024, 14, 1280, 32, 80, 4.0, 1024, 16, 24},
    {"ViT-bigG-14", 1280, 14, 1664, 48, 104, 4.9231, 1280, 20, 32},
    // open_clip's ViT-B-16-SigLIP: timm's vit_base_patch16_siglip_224.
    {"ViT-B-16-SigLIP", 768, 16, 768, 12, 64, 4.0, 768, 12, 12, true},
};

void make_siglip(ClipConfig& c) {
  c.vision.pool = ImagePool::AttentionPool;
  c.vision.norm_eps = 1e-6;
  c.text.context_length = 64;
  c.text.vocab_size = 32000;
  c.text.pool = TextPool::Last;
  c.text.causal_mask = false;
  c.text.proj_bias = true;
  c.text.norm_eps = 1e-6;
  c.text.custom_text = true;
}

}  // namespace

ClipConfig builtin_arch(const std::string& name) {
  for (const Arch& a : kArchs) {
    if (name != a.name) continue;
    ClipConfig c;
    c.source = std::string("built-in ") + a.name;
    c.embed_dim = a.embed_dim;
    c.vision.image_size = 224;
    c.vision.patch_size = a.patch;
    c.vision.width = a.width;
    c.vision.layers = a.layers;
    c.vision.head_width = a.head_width;
    c.vision.mlp_width = static_cast<int>(a.width * a.mlp_ratio);
    c.text.width = a.text_width;
    c.text.heads = a.text_heads;
    c.text.layers = a.text_layers;
    c.text.mlp_width = a.text_width * 4;
    if (a.siglip) make_siglip(c);
    return c;
  }
  std::string known;
  for (const auto& n : builtin_arch_names()) known += (known.empty() ? "" : ", ") + n;
  throw Error("unknown architecture '" + name + "' (built in: " + known + ")");
}

std::vector<std::string> builtin_arch_names() {
  std::vector<std::string> names;
  for (const Arch& a : kArchs) names.push_back(a.name);
  return names;
}

}  // namespace legrad
