// open_clip's residual attention block, as plain functions over weight tensors so the
// explainers can stop inside a block (attention probabilities, values, the pre-projection
// attention output) without hooks.
#pragma once

#include <ATen/Tensor.h>

#include <string>

#include "model/activation.h"

namespace legrad {

struct LayerNormWeights {
  at::Tensor weight, bias;
  double eps = 1e-5;  // open_clip's; timm's SigLIP towers use 1e-6
};

struct ResidualBlock {
  LayerNormWeights ln_1, ln_2;
  at::Tensor in_proj_weight, in_proj_bias;  // [3D, D], [3D]: q, k, v fused
  at::Tensor out_proj_weight, out_proj_bias;
  at::Tensor fc_weight, fc_bias, proj_weight, proj_bias;  // MLP c_fc, c_proj
  int heads = 1;
};

// What one block's attention computes, kept apart for the explainers.
struct AttentionParts {
  at::Tensor probs;   // [..., H, N, N] post-softmax, rows = queries
  at::Tensor values;  // [..., H, N, hd]
  at::Tensor mixed;   // [..., N, D] heads concatenated, before out_proj
};

at::Tensor layer_norm(const at::Tensor& x, const LayerNormWeights& ln);

// x / max(||x||, 1e-12) along the last dimension, as torch's F.normalize.
at::Tensor l2_normalize(const at::Tensor& x);

// Attention of `block` over x [..., N, D] (not yet normalised); `mask` is added to the
// scores (e.g. the text tower's causal mask) when defined.
AttentionParts attention(const ResidualBlock& block, const at::Tensor& x,
                         const at::Tensor& mask = at::Tensor());

// The rest of the block after attention: x + out_proj(mixed), then the MLP residual.
at::Tensor finish_block(const ResidualBlock& block, const at::Tensor& x, const at::Tensor& mixed,
                        Activation act);

// finish_block with the activations its vector-Jacobian product needs.
struct BlockTail {
  at::Tensor residual;  // x + out_proj(mixed)
  at::Tensor hidden;    // c_fc(ln_2(residual)), before the activation
  at::Tensor out;       // the block's output
};
BlockTail finish_block_parts(const ResidualBlock& block, const at::Tensor& x,
                             const at::Tensor& mixed, Activation act);

// Gradients with respect to `mixed` of P scalar functions of the block's output, given their
// gradients with respect to the output, [P, 1, D] (the same for every token, as when the
// output is mean-pooled) or [P, N, D]: [P, N, D]. Computed by hand, without autograd.
at::Tensor finish_block_backward(const ResidualBlock& block, const BlockTail& tail,
                                 const at::Tensor& grad_out, Activation act);

// Gradient of layer_norm's input for the gradient `grad_y` of its output (broadcast against x).
// Statistics in float32 at least, as LibTorch's own backward.
at::Tensor layer_norm_backward(const at::Tensor& grad_y, const at::Tensor& x,
                               const LayerNormWeights& ln);

at::Tensor block_forward(const ResidualBlock& block, const at::Tensor& x, Activation act,
                         const at::Tensor& mask = at::Tensor());

// timm's attention-pool head (SigLIP's "MAP"): one learned latent query attends to the tokens
// (q from the latent, k and v from the tokens), then proj, then out = r + mlp(norm(r)). Held as
// a ResidualBlock whose ln_2 / out_proj / fc / proj are norm / proj / mlp.fc1 / mlp.fc2, so
// finish_block_backward serves it too.
struct AttentionPool {
  at::Tensor latent;              // [1, D]
  at::Tensor q_weight, q_bias;    // [D, D], [D]
  at::Tensor kv_weight, kv_bias;  // [2D, D], [2D]: k, v fused
  ResidualBlock tail;             // ln_1 and in_proj unused
};

struct PoolParts {
  at::Tensor probs;   // [..., H, 1, N] the latent's attention over the tokens
  at::Tensor values;  // [..., H, N, hd]
  BlockTail tail;     // residual = proj(mixed) (no input residual), out [..., 1, D]
};

// tokens [..., N, D] -> the pool's parts; tail.out.select(-2, 0) is the pooled vector.
PoolParts attention_pool(const AttentionPool& pool, const at::Tensor& tokens, Activation act);

}  // namespace legrad
