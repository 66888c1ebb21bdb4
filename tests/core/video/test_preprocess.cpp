// Preprocessing: the Pillow-exact resize on the CPU and as matrix products, and normalisation.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "base/error.h"
#include "support.h"
#include "video/preprocess.h"

namespace legrad {
namespace {

TEST(Preprocess, SameSizeIsACopyAndConstantsStayConstant) {
  const at::Tensor frame = test::test_picture(24, 24);
  EXPECT_TRUE(resize_bicubic(image_view(frame), 24, 24).equal(frame));
  const at::Tensor grey = at::full({17, 33, 3}, 77, at::kByte);
  EXPECT_TRUE(resize_bicubic(image_view(grey), 32, 32).eq(77).all().item<bool>());
  EXPECT_THROW(resize_bicubic(ImageView{}, 32, 32), Error);
}

TEST(Preprocess, FourChannelFramesAndChannelOrder) {
  const at::Tensor rgb = test::test_picture(20, 30);
  const at::Tensor rgba = at::cat({rgb, at::full({20, 30, 1}, 255, at::kByte)}, 2).contiguous();
  EXPECT_TRUE(
      resize_bicubic(image_view(rgba), 16, 16).equal(resize_bicubic(image_view(rgb), 16, 16)));
  const at::Tensor bgr = rgb.flip({2}).contiguous();
  ImageView v = image_view(bgr);
  v.red = 2;
  v.blue = 0;
  EXPECT_TRUE(resize_bicubic(v, 16, 16).equal(resize_bicubic(image_view(rgb), 16, 16)));
}

// The device path's resize (matrix products) against the Pillow-exact loops, on noise, which
// exercises the rounding and clipping of both passes: shrinking, enlarging, same size, odd.
TEST(Preprocess, MatrixResizeGivesTheSameIntegers) {
  const std::vector<std::array<int, 4>> cases = {
      {640, 480, 224, 224}, {30, 20, 64, 64}, {24, 24, 24, 24}, {7, 300, 17, 33}};
  for (const auto& [w, h, ow, oh] : cases) {
    const at::Tensor frame =
        at::randint(0, 256, {h, w, 3}, at::detail::createCPUGenerator(w * h)).to(at::kByte);
    const at::Tensor planes = frame.permute({2, 0, 1}).to(at::kDouble);
    const at::Tensor by_matrix =
        resize_bicubic_planes(planes, bicubic_weight_matrix(w, ow), bicubic_weight_matrix(h, oh));
    const at::Tensor by_loops = resize_bicubic(image_view(frame), ow, oh);
    EXPECT_TRUE(by_matrix.permute({1, 2, 0}).to(at::kByte).equal(by_loops))
        << w << "x" << h << " -> " << ow << "x" << oh;
  }
}

TEST(Preprocess, FramePreprocessorOnTheCpuIsThePillowPath) {
  const at::Tensor frame = test::test_picture(40, 50);
  const std::array<float, 3> mean{0.4f, 0.5f, 0.6f}, std{0.2f, 0.3f, 0.25f};
  const FramePreprocessor preprocess(mean, std, 32, c10::Device(c10::kCPU));
  EXPECT_TRUE(preprocess(image_view(frame))
                  .equal(preprocess_frame(image_view(frame), 32, PixelNormalization(mean, std))));
}

TEST(Preprocess, NormalisesWithMeanAndStd) {
  const at::Tensor white = at::full({2, 2, 3}, 255, at::kByte);
  const at::Tensor x =
      normalize_pixels(white, PixelNormalization({0.5f, 0.25f, 0.0f}, {0.5f, 0.25f, 1.0f}));
  EXPECT_EQ(x.sizes(), (std::vector<int64_t>{1, 3, 2, 2}));
  EXPECT_FLOAT_EQ(x[0][0][0][0].item<float>(), 1.0f);
  EXPECT_FLOAT_EQ(x[0][1][1][1].item<float>(), 3.0f);
  EXPECT_FLOAT_EQ(x[0][2][0][1].item<float>(), 1.0f);
}

}  // namespace
}  // namespace legrad
