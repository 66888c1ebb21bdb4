#include "lab/compute_rate.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <chrono>

#include "base/device.h"

namespace legrad {
namespace {

int64_t token_count(const VisionConfig& v, int input_size) {
  const int64_t grid = input_size / v.patch_size;
  return grid * grid + (v.pool == ImagePool::ClassToken ? 1 : 0);  // and the class token
}

// What turns the last block's tokens into the embedding: CLIP's projection of the class
// token, or SigLIP's attention pool (k and v of every token, one query, proj, MLP).
double head_flops(const VisionConfig& v, int64_t embed_dim, double n) {
  const double d = v.width;
  if (v.pool == ImagePool::ClassToken) return 2 * d * embed_dim;
  return 2 * n * d * (2 * d) + 2 * 2 * n * d + 2 * 2 * d * d + 2 * 2 * d * v.mlp_width;
}

}  // namespace

double vision_forward_flops(const VisionConfig& v, int64_t embed_dim, int input_size) {
  const double n = static_cast<double>(token_count(v, input_size));
  const double d = v.width;
  const double patch_in = 3.0 * v.patch_size * v.patch_size;
  const double per_block = 2 * n * d * (3 * d)             // q, k, v
                           + 2 * 2 * n * n * d             // q k^T and A v, all heads
                           + 2 * n * d * d                 // out_proj
                           + 2 * 2 * n * d * v.mlp_width;  // c_fc and c_proj
  const double patches =
      static_cast<double>(input_size / v.patch_size) * (input_size / v.patch_size);
  return 2 * patches * patch_in * d + v.layers * per_block + head_flops(v, embed_dim, n);
}

double matmul_rate(const VisionConfig& v, int input_size, c10::Device device, at::ScalarType dtype,
                   double seconds) {
  using Clock = std::chrono::steady_clock;
  const auto options = at::TensorOptions().device(device).dtype(dtype);
  const int64_t n = token_count(v, input_size);
  const at::Tensor a = at::randn({n, v.width}, options);
  const at::Tensor b = at::randn({v.width, v.mlp_width}, options);
  const double flops = 2.0 * n * v.width * v.mlp_width;
  at::matmul(a, b);  // warm-up: libraries pick and compile their kernels on first use
  synchronize_device(device);
  double best = 0;
  // Doubles the count until a run lasts a third of `seconds`, then keeps three such runs.
  for (int64_t count = 1, runs = 0; runs < 3;) {
    const auto start = Clock::now();
    for (int64_t i = 0; i < count; ++i) at::matmul(a, b);
    synchronize_device(device);
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    if (elapsed < seconds / 3) {
      count *= 2;
      continue;
    }
    best = std::max(best, flops * static_cast<double>(count) / elapsed);
    ++runs;
  }
  return best;
}

}  // namespace legrad
