#include "model/activation.h"

namespace legrad {

const char* activation_name(Activation act) {
  switch (act) {
    case Activation::Gelu: return "gelu";
    case Activation::GeluTanh: return "gelu_pytorch_tanh";
    case Activation::QuickGelu: break;
  }
  return "quick_gelu";
}

std::optional<Activation> parse_activation(const std::string& name) {
  if (name == "gelu") return Activation::Gelu;
  if (name == "gelu_pytorch_tanh" || name == "gelu_new" || name == "gelu_tanh")
    return Activation::GeluTanh;
  if (name == "quick_gelu") return Activation::QuickGelu;
  return std::nullopt;
}

}  // namespace legrad
