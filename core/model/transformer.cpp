#include "model/transformer.h"

#include <ATen/ATen.h>

namespace legrad {

at::Tensor layer_norm(const at::Tensor& x, const LayerNormWeights& ln) {
  // LibTorch 1.13's CPU layer norm has no vectorised bf16 path (ten times its fp32 time,
  // 9% of a bf16 frame): normalised in fp32 there, rounded once.
  if (x.is_cpu() && x.scalar_type() == at::kBFloat16)
    return at::layer_norm(x.to(at::kFloat), {x.size(-1)}, ln.weight.to(at::kFloat),
                          ln.bias.to(at::kFloat), 1e-5)
        .to(at::kBFloat16);
  return at::layer_norm(x, {x.size(-1)}, ln.weight, ln.bias, 1e-5);
}

at::Tensor l2_normalize(const at::Tensor& x) { return x / x.norm(2, {-1}, true).clamp_min(1e-12); }

AttentionParts attention(const ResidualBlock& block, const at::Tensor& x, const at::Tensor& mask) {
  const int64_t n = x.size(-2);
  const int64_t d = x.size(-1);
  const int64_t heads = block.heads;
  const int64_t hd = d / heads;
  auto qkv =
      at::linear(layer_norm(x, block.ln_1), block.in_proj_weight, block.in_proj_bias).chunk(3, -1);
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

namespace {

at::Tensor activate(const at::Tensor& h, Activation act) {
  return act == Activation::Gelu ? at::gelu(h) : h * at::sigmoid(1.702 * h);
}

// d act(h) / d h, elementwise.
at::Tensor activation_derivative(const at::Tensor& h, Activation act) {
  if (act == Activation::Gelu) {
    constexpr double kInvSqrt2 = 0.70710678118654752440;
    constexpr double kInvSqrt2Pi = 0.39894228040143267794;
    return (at::erf(h * kInvSqrt2) + 1) * 0.5 + h * at::exp(h * h * -0.5) * kInvSqrt2Pi;
  }
  const at::Tensor s = at::sigmoid(1.702 * h);
  return s + h * s * (1 - s) * 1.702;
}

// float32 for the statistics of reduced-precision activations.
at::ScalarType accumulate_type(const at::Tensor& t) {
  return t.scalar_type() == at::kDouble ? at::kDouble : at::kFloat;
}

}  // namespace

BlockTail finish_block_parts(const ResidualBlock& block, const at::Tensor& x,
                             const at::Tensor& mixed, Activation act) {
  BlockTail t;
  t.residual = x + at::linear(mixed, block.out_proj_weight, block.out_proj_bias);
  t.hidden = at::linear(layer_norm(t.residual, block.ln_2), block.fc_weight, block.fc_bias);
  t.out = t.residual + at::linear(activate(t.hidden, act), block.proj_weight, block.proj_bias);
  return t;
}

at::Tensor finish_block(const ResidualBlock& block, const at::Tensor& x, const at::Tensor& mixed,
                        Activation act) {
  return finish_block_parts(block, x, mixed, act).out;
}

at::Tensor finish_block_backward(const ResidualBlock& block, const BlockTail& tail,
                                 const at::Tensor& grad_out, Activation act) {
  const at::ScalarType acc = accumulate_type(tail.hidden);
  const at::Tensor grad_activated = at::matmul(grad_out, block.proj_weight);  // [P, 1|N, F]
  const at::Tensor grad_hidden =
      (grad_activated.to(acc) * activation_derivative(tail.hidden.to(acc), act))
          .to(tail.hidden.scalar_type());  // [P, N, F]
  const at::Tensor grad_residual =
      grad_out +
      layer_norm_backward(at::matmul(grad_hidden, block.fc_weight), tail.residual, block.ln_2);
  return at::matmul(grad_residual, block.out_proj_weight);
}

at::Tensor layer_norm_backward(const at::Tensor& grad_y, const at::Tensor& x,
                               const LayerNormWeights& ln) {
  const at::ScalarType acc = accumulate_type(x);
  const at::Tensor xf = x.to(acc);
  const at::Tensor centred = xf - xf.mean(-1, true);
  const at::Tensor rstd = at::rsqrt(centred.pow(2).mean(-1, true) + 1e-5);
  const at::Tensor normalised = centred * rstd;
  const at::Tensor g = grad_y.to(acc) * ln.weight.to(acc);
  return (rstd * (g - g.mean(-1, true) - normalised * (g * normalised).mean(-1, true)))
      .to(grad_y.scalar_type());
}

at::Tensor block_forward(const ResidualBlock& block, const at::Tensor& x, Activation act,
                         const at::Tensor& mask) {
  return finish_block(block, x, attention(block, x, mask).mixed, act);
}

}  // namespace legrad
