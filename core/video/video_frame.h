// Raw video frames as the elements receive them (packed RGB variants, I420, NV12; any size,
// any strides) and their conversion to the packed RGB the preprocessing reads.
#pragma once

#include <ATen/Tensor.h>

#include <cstdint>

#include "video/pixel_view.h"
#include "video/yuv.h"

namespace legrad {

// A frame in any of the formats, as planes (one for packed RGB, packed YUV and grey, three for
// I420, two for NV12).
struct FramePlanes {
  PixelFormat format = PixelFormat::RGB;
  int width = 0;
  int height = 0;
  const uint8_t* data[3] = {nullptr, nullptr, nullptr};
  int64_t stride[3] = {0, 0, 0};
  YuvMatrix matrix = YuvMatrix::BT601;
  bool full_range = false;  // YUV only
};

// A [height, width, 3] uint8 RGB tensor (contiguous, on the CPU) described as a frame; the
// tensor must outlive the planes.
FramePlanes rgb_planes(const at::Tensor& rgb);

// Packed RGB formats as a view of the frame's own memory (no copy). Throws for YUV.
ImageView packed_view(const FramePlanes& frame);

// Any format -> an owned [height, width, 3] RGB uint8 tensor. Odd sizes are fine (chroma is
// subsampled with the last column/row rounded up); grey is copied to the three channels.
// Throws legrad::Error on empty frames.
at::Tensor frame_to_rgb(const FramePlanes& frame);

}  // namespace legrad
