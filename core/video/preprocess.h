// Frame -> model input, as the reference's LePreprocess does it: squash to S x S with
// Pillow's bicubic resampling (reproduced bit for bit: 8-bit fixed point, horizontal pass
// then vertical, a = -0.5, support scaled when shrinking), then (u8/255 - mean) / std.
// FramePreprocessor runs it on the compute device: on the CPU straight from the frame, on
// CUDA after one upload, as matrix products that give the same integers.
#pragma once

#include <ATen/Tensor.h>

#include <array>
#include <cstdint>
#include <map>
#include <mutex>

#include "video/pixel_view.h"

namespace legrad {

// HxWx3 (or HxWx4: the first three channels used) uint8 CPU tensor -> view. The tensor must
// outlive the view.
ImageView image_view(const at::Tensor& rgb);

// Pillow-exact bicubic resize to out_width x out_height -> [out_height, out_width, 3] uint8.
// Throws legrad::Error for empty images or sizes.
at::Tensor resize_bicubic(const ImageView& image, int out_width, int out_height);

// The resize along one axis as a matrix [out_size, in_size] of Pillow's fixed-point weights
// (integers, as float64).
at::Tensor bicubic_weight_matrix(int in_size, int out_size);

// resize_bicubic for planes [3, H, W] (float64 holding 0..255, any device) with the matrices of
// both axes: [3, out_height, out_width], the same integers. Exact, because every product and
// partial sum is an integer far below 2^53, in whatever order the matrix product adds them.
at::Tensor resize_bicubic_planes(const at::Tensor& planes, const at::Tensor& horizontal,
                                 const at::Tensor& vertical);

// The normalisation constants as [3, 1, 1] float32 tensors on `device`, built once per model.
struct PixelNormalization {
  PixelNormalization(const std::array<float, 3>& mean, const std::array<float, 3>& std,
                     c10::Device device = c10::Device(c10::kCPU));
  at::Tensor mean, std;
};

// [S, S, 3] uint8 -> [1, 3, S, S] float32: (u8 / 255 - mean) / std.
at::Tensor normalize_pixels(const at::Tensor& rgb, const PixelNormalization& norm);
// The same for planes [3, S, S] of any type holding 0..255.
at::Tensor normalize_planes(const at::Tensor& planes, const PixelNormalization& norm);

// Both steps: any frame size -> [1, 3, size, size].
at::Tensor preprocess_frame(const ImageView& image, int size, const PixelNormalization& norm);

// Frames -> [1, 3, S, S] float32 on the compute device. On the CPU the resize reads the frame
// in place; on CUDA the frame's bytes go up once (staged in pinned memory, copied without
// blocking) and the resize and normalisation run there. Thread-safe; the resize matrices are
// cached per frame width and height.
class FramePreprocessor {
 public:
  FramePreprocessor(const std::array<float, 3>& mean, const std::array<float, 3>& std, int size,
                    c10::Device device);
  at::Tensor operator()(const ImageView& frame) const;

 private:
  at::Tensor upload(const ImageView& frame) const;
  at::Tensor weight_matrix(int in_size) const;

  int size_;
  c10::Device device_;
  PixelNormalization norm_;
  mutable std::mutex mutex_;
  mutable std::map<int, at::Tensor> matrices_;  // input length -> [size, input length]
};

}  // namespace legrad
