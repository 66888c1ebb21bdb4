// The forward pass's FLOP count against published figures, and the matrix-product rate.
#include <gtest/gtest.h>

#include "lab/clip_archs.h"
#include "lab/compute_rate.h"

namespace legrad {
namespace {

// timm lists ViT-B/16 at 17.6 GMACs (224) and ViT-L/14 at 81.1 GMACs (224); the count here
// takes a multiply-add as two FLOPs.
TEST(ComputeRate, ForwardFlopsMatchPublishedCounts) {
  const ClipConfig b16 = builtin_arch("ViT-B-16");
  EXPECT_NEAR(vision_forward_flops(b16.vision, b16.embed_dim, 224) / 2e9, 17.6, 0.2);
  const ClipConfig l14 = builtin_arch("ViT-L-14");
  EXPECT_NEAR(vision_forward_flops(l14.vision, l14.embed_dim, 224) / 2e9, 81.1, 0.8);
  // Tokens grow with the square of the size, attention with its fourth power: over 4x at 448.
  EXPECT_GT(vision_forward_flops(b16.vision, b16.embed_dim, 448),
            4.3 * vision_forward_flops(b16.vision, b16.embed_dim, 224));
}

TEST(ComputeRate, MatmulRateIsMeasured) {
  const ClipConfig b32 = builtin_arch("ViT-B-32");
  EXPECT_GT(matmul_rate(b32.vision, 64, c10::kCPU, at::kFloat, 0.03), 1e8);  // 0.1 GFLOP/s
}

}  // namespace
}  // namespace legrad
