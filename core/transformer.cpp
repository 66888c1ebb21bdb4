#include "transformer.h"

#include <ATen/ATen.h>

namespace legrad {

at::Tensor layer_norm(const at::Tensor& x, const LayerNormWeights& ln) {
  return at::layer_norm(x, {x.size(-1)}, ln.weight, ln.bias, 1e-5);
}

at::Tensor l2_normalize(const at::Tensor& x) {
  return x / x.norm(2, {-1}, true).clamp_min(1e-12);
}

AttentionParts attention(const ResidualBlock& block, const at::Tensor& x,
                         const at::Tensor& mask) {
  const int64_t n = x.size(-2);
  const int64_t d = x.size(-1);
  const int64_t heads = block.heads;
  const int64_t hd = d / heads;
  auto qkv = at::linear(layer_norm(x, block.ln_1), block.in_proj_weight, block.in_proj_bias)
                 .chunk(3, -1);
  auto split_heads = [&](const at::Tensor& t) {
    auto shape = t.sizes().vec();
    shape.back() = heads;
    shape.push_back(hd);
    return t.reshape(shape).transpose(-2, -3);  // [..., H, N, hd]
  };
  at::Tensor q = split_heads(qkv[0]) * (1.0 / std::sqrt(static_cast<double>(hd)));
  at::Tensor k = split_heads(qkv[1]);
  at::Tensor v = split_heads(qkv[2]);
  at::Tensor scores = at::matmul(q, k.transpose(-1, -2));
  if (mask.defined()) scores = scores + mask;
  AttentionParts parts;
  parts.probs = at::softmax(scores, -1);
  parts.values = v;
  auto shape = x.sizes().vec();
  shape.back() = d;
  shape[shape.size() - 2] = n;
  parts.mixed = at::matmul(parts.probs, v).transpose(-2, -3).reshape(shape);
  return parts;
}

at::Tensor finish_block(const ResidualBlock& block, const at::Tensor& x, const at::Tensor& mixed,
                        Activation act) {
  at::Tensor y = x + at::linear(mixed, block.out_proj_weight, block.out_proj_bias);
  at::Tensor h = at::linear(layer_norm(y, block.ln_2), block.fc_weight, block.fc_bias);
  h = act == Activation::Gelu ? at::gelu(h) : h * at::sigmoid(1.702 * h);
  return y + at::linear(h, block.proj_weight, block.proj_bias);
}

at::Tensor block_forward(const ResidualBlock& block, const at::Tensor& x, Activation act,
                         const at::Tensor& mask) {
  return finish_block(block, x, attention(block, x, mask).mixed, act);
}

}  // namespace legrad
