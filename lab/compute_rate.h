// How close a forward pass comes to the machine's matrix-product rate: the FLOPs a CLIP
// vision tower's forward pass does, and the rate this device reaches on one of its matrix
// products, measured.
#pragma once

#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include "model/clip_config.h"

namespace legrad {

// Multiply-adds count two. The vision tower at `input_size`: patch embedding, every block's
// projections, attention products and MLP, the final projection (elementwise work and
// normalisations are not counted).
double vision_forward_flops(const VisionConfig& vision, int64_t embed_dim, int input_size);

// FLOP/s of [tokens x width] x [width x mlp_width] products (the model's largest) on `device`
// in `dtype`, repeated for about `seconds`; the best of three such runs.
double matmul_rate(const VisionConfig& vision, int input_size, c10::Device device,
                   at::ScalarType dtype, double seconds = 0.3);

}  // namespace legrad
