// The MLP nonlinearity of a model's blocks, one for both towers.
#pragma once

#include <optional>
#include <string>

namespace legrad {

enum class Activation {
  Gelu,       // exact (erf): open_clip's nn.GELU, timm's SigLIP towers
  GeluTanh,   // tanh-approximated: transformers' gelu_pytorch_tanh (SigLIP, SigLIP 2 configs)
  QuickGelu,  // x * sigmoid(1.702 x): OpenAI's CLIP
};

// transformers' hidden_act names: "gelu", "gelu_pytorch_tanh", "quick_gelu".
const char* activation_name(Activation act);
// Also accepts "gelu_new" and "gelu_tanh" (timm) for the tanh form; nullopt for unknown names.
std::optional<Activation> parse_activation(const std::string& name);

}  // namespace legrad
