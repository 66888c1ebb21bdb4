// Frame -> model input, as the reference's LePreprocess does it: squash to S x S with
// Pillow's bicubic resampling (reproduced bit for bit: 8-bit fixed point, horizontal pass
// then vertical, a = -0.5, support scaled when shrinking), then (u8/255 - mean) / std.
#pragma once

#include <ATen/Tensor.h>

#include <array>
#include <cstdint>

namespace legrad {

// A view of 8-bit interleaved pixels; channels 0, 1, 2 at `channel_offset` are R, G, B.
struct ImageView {
  const uint8_t* data = nullptr;
  int width = 0;
  int height = 0;
  int64_t row_stride = 0;    // bytes between rows
  int pixel_stride = 3;      // bytes between pixels (3 for RGB, 4 for RGBx/RGBA)
  int red = 0, green = 1, blue = 2;  // byte offsets of each channel within a pixel
};

// HxWx3 (or HxWx4: the first three channels used) uint8 CPU tensor -> view. The tensor must
// outlive the view.
ImageView image_view(const at::Tensor& rgb);

// Pillow-exact bicubic resize to out_width x out_height -> [out_height, out_width, 3] uint8.
// Throws legrad::Error for empty images or sizes.
at::Tensor resize_bicubic(const ImageView& image, int out_width, int out_height);

// The normalisation constants as [3, 1, 1] float32 tensors, built once per model.
struct PixelNormalization {
  PixelNormalization(const std::array<float, 3>& mean, const std::array<float, 3>& std);
  at::Tensor mean, std;
};

// [S, S, 3] uint8 -> [1, 3, S, S] float32: (u8 / 255 - mean) / std.
at::Tensor normalize_pixels(const at::Tensor& rgb, const PixelNormalization& norm);

// Both steps: any frame size -> [1, 3, size, size].
at::Tensor preprocess_frame(const ImageView& image, int size, const PixelNormalization& norm);

}  // namespace legrad
