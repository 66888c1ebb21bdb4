#include "model/transformer.h"

#include <ATen/ATen.h>

namespace legrad {

at::Tensor layer_norm(const at::Tensor& x, const LayerNormWeights& ln) {
  // LibTorch 1.13's CPU layer norm has no vectorised bf16 path (ten times its fp32 time,
  // 9% of a bf16 frame): normalised in fp32 there, rounded once.
  if (x.is_cpu() && x.scalar_type() == at::kBFloat16)
    return at::layer_norm(x.to(at::kFloat), {x.size(-1)}, ln.weight.to(at::kFloat),
                          ln.bias.to(at::kFloat), ln.eps)
        .to(at::kBFloat16);
  return at::layer_norm(x, {x.size(-1)}, ln.weight, ln.bias, ln.eps);
}

at::Tensor l2_normalize(const at::Tensor& x) { return x / x.norm(2, {-1}, true).clamp_min(1e-12); }

namespace {

// [..., N, D] -> [..., H, N, D / H]
at::Tensor split_heads(const at::Tensor& t, int64_t heads) {
  auto shape = t.sizes().vec();
  const int64_t d = shape.back();
  shape.back() = heads;
  shape.push_back(d / heads);
  return t.reshape(shape).transpose(-2, -3);
}

// softmax(q k^T / sqrt(hd) + mask) v, with the heads concatenated again.
AttentionParts attend(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                      const at::Tensor& mask) {
  at::Tensor scores =
      at::matmul(q * (1.0 / std::sqrt(static_cast<double>(q.size(-1)))), k.transpose(-1, -2));
  if (mask.defined()) scores = scores + mask;
  AttentionParts parts;
  parts.probs = at::softmax(scores, -1);
  parts.values = v;
  const at::Tensor mixed = at::matmul(parts.probs, v).transpose(-2, -3);  // [..., N, H, hd]
  parts.mixed = mixed.flatten(-2);
  return parts;
}

}  // namespace

AttentionParts attention(const ResidualBlock& block, const at::Tensor& x, const at::Tensor& mask) {
  auto qkv =
      at::linear(layer_norm(x, block.ln_1), block.in_proj_weight, block.in_proj_bias).chunk(3, -1);
  return attend(split_heads(qkv[0], block.heads), split_heads(qkv[1], block.heads),
                split_heads(qkv[2], block.heads), mask);
}

namespace {

at::Tensor activate(const at::Tensor& h, Activation act) {
  switch (act) {
    case Activation::Gelu: return at::gelu(h);
    case Activation::GeluTanh: return at::gelu(h, "tanh");
    case Activation::QuickGelu: break;
  }
  return h * at::sigmoid(1.702 * h);
}

// d act(h) / d h, elementwise.
at::Tensor activation_derivative(const at::Tensor& h, Activation act) {
  if (act == Activation::Gelu) {
    constexpr double kInvSqrt2 = 0.70710678118654752440;
    constexpr double kInvSqrt2Pi = 0.39894228040143267794;
    return (at::erf(h * kInvSqrt2) + 1) * 0.5 + h * at::exp(h * h * -0.5) * kInvSqrt2Pi;
  }
  if (act == Activation::GeluTanh) return at::gelu_backward(at::ones_like(h), h, "tanh");
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
  const at::Tensor rstd = at::rsqrt(centred.pow(2).mean(-1, true) + ln.eps);
  const at::Tensor normalised = centred * rstd;
  const at::Tensor g = grad_y.to(acc) * ln.weight.to(acc);
  return (rstd * (g - g.mean(-1, true) - normalised * (g * normalised).mean(-1, true)))
      .to(grad_y.scalar_type());
}

at::Tensor block_forward(const ResidualBlock& block, const at::Tensor& x, Activation act,
                         const at::Tensor& mask) {
  return finish_block(block, x, attention(block, x, mask).mixed, act);
}

PoolParts attention_pool(const AttentionPool& pool, const at::Tensor& tokens, Activation act) {
  const int64_t heads = pool.tail.heads;
  const at::Tensor q = split_heads(at::linear(pool.latent, pool.q_weight, pool.q_bias), heads);
  auto kv = at::linear(tokens, pool.kv_weight, pool.kv_bias).chunk(2, -1);
  const AttentionParts parts =
      attend(q, split_heads(kv[0], heads), split_heads(kv[1], heads), at::Tensor());
  // The latent row has no input residual: r = proj(mixed) alone.
  const at::Tensor zero = at::zeros({}, parts.mixed.options());
  return {parts.probs, parts.values, finish_block_parts(pool.tail, zero, parts.mixed, act)};
}

}  // namespace legrad
