#include "video/preprocess.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "base/error.h"

namespace legrad {
namespace {

constexpr int kPrecisionBits = 32 - 8 - 2;

double bicubic(double x) {
  constexpr double a = -0.5;
  x = std::fabs(x);
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

// Per output pixel: the first input index, the tap count and fixed-point weights.
struct Taps {
  int ksize = 0;
  std::vector<int> first, count;
  std::vector<int32_t> weights;  // out_size x ksize
};

Taps precompute(int in_size, int out_size) {
  const double scale = static_cast<double>(in_size) / out_size;
  const double filterscale = std::max(scale, 1.0);
  const double support = 2.0 * filterscale;
  Taps t;
  t.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  t.first.resize(out_size);
  t.count.resize(out_size);
  t.weights.assign(static_cast<size_t>(out_size) * t.ksize, 0);
  std::vector<double> w(t.ksize);
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = (xx + 0.5) * scale;
    const int xmin = std::max(static_cast<int>(center - support + 0.5), 0);
    const int xmax = std::min(static_cast<int>(center + support + 0.5), in_size) - xmin;
    double sum = 0.0;
    for (int x = 0; x < xmax; ++x) {
      w[x] = bicubic((x + xmin - center + 0.5) / filterscale);
      sum += w[x];
    }
    for (int x = 0; x < xmax; ++x) {
      const double v = sum != 0.0 ? w[x] / sum : w[x];
      t.weights[static_cast<size_t>(xx) * t.ksize + x] = static_cast<int32_t>(
          v < 0 ? -0.5 + v * (1 << kPrecisionBits) : 0.5 + v * (1 << kPrecisionBits));
    }
    t.first[xx] = xmin;
    t.count[xx] = xmax;
  }
  return t;
}

uint8_t clip8(int32_t v) { return static_cast<uint8_t>(std::clamp(v >> kPrecisionBits, 0, 255)); }

}  // namespace

ImageView image_view(const at::Tensor& rgb) {
  if (rgb.dim() != 3 || (rgb.size(2) != 3 && rgb.size(2) != 4) || rgb.scalar_type() != at::kByte ||
      !rgb.device().is_cpu() || rgb.stride(2) != 1 || rgb.stride(1) != rgb.size(2))
    throw Error("frames must be HxWx3 or HxWx4 uint8 on the CPU with packed pixels");
  return packed_pixels<const uint8_t>(rgb.data_ptr<uint8_t>(), static_cast<int>(rgb.size(1)),
                                      static_cast<int>(rgb.size(0)), rgb.stride(0),
                                      rgb.size(2) == 3 ? PixelFormat::RGB : PixelFormat::RGBx);
}

constexpr int64_t kRowsPerTask = 16;

at::Tensor resize_bicubic(const ImageView& image, int out_width, int out_height) {
  if (!image.data || image.width <= 0 || image.height <= 0)
    throw Error("cannot resize an empty frame (" + std::to_string(image.width) + "x" +
                std::to_string(image.height) + ")");
  if (out_width <= 0 || out_height <= 0) throw Error("resize target must be positive");
  const Taps h = precompute(image.width, out_width);
  const Taps v = precompute(image.height, out_height);
  const int offsets[3] = {image.red, image.green, image.blue};

  // Horizontal pass over only the rows the vertical pass reads (as Pillow does).
  const int row_first = v.first[0];
  const int row_last = v.first[out_height - 1] + v.count[out_height - 1];
  const int rows = row_last - row_first;
  std::vector<uint8_t> temp(static_cast<size_t>(rows) * out_width * 3);
  const bool need_h = out_width != image.width;
  // Rows are independent in each pass: split over the operator threads (this runs on the
  // compute thread, whose other threads wait otherwise).
  at::parallel_for(0, rows, kRowsPerTask, [&](int64_t begin, int64_t end) {
    for (int64_t y = begin; y < end; ++y) {
      const uint8_t* src = image.data + (y + row_first) * image.row_stride;
      uint8_t* dst = temp.data() + static_cast<size_t>(y) * out_width * 3;
      for (int xx = 0; xx < out_width; ++xx) {
        for (int c = 0; c < 3; ++c) {
          if (!need_h) {
            dst[xx * 3 + c] = src[static_cast<int64_t>(xx) * image.pixel_stride + offsets[c]];
            continue;
          }
          int32_t ss = 1 << (kPrecisionBits - 1);
          const int32_t* k = &h.weights[static_cast<size_t>(xx) * h.ksize];
          for (int x = 0; x < h.count[xx]; ++x)
            ss +=
                src[static_cast<int64_t>(x + h.first[xx]) * image.pixel_stride + offsets[c]] * k[x];
          dst[xx * 3 + c] = clip8(ss);
        }
      }
    }
  });

  at::Tensor out = at::empty({out_height, out_width, 3}, at::kByte);
  uint8_t* o = out.data_ptr<uint8_t>();
  const bool need_v = out_height != image.height;
  at::parallel_for(0, out_height, kRowsPerTask, [&](int64_t begin, int64_t end) {
    for (int64_t yy = begin; yy < end; ++yy) {
      const int32_t* k = &v.weights[static_cast<size_t>(yy) * v.ksize];
      const int first = v.first[yy] - row_first;
      for (int i = 0; i < out_width * 3; ++i) {
        if (!need_v) {
          o[static_cast<size_t>(yy) * out_width * 3 + i] =
              temp[static_cast<size_t>(yy) * out_width * 3 + i];
          continue;
        }
        int32_t ss = 1 << (kPrecisionBits - 1);
        for (int y = 0; y < v.count[yy]; ++y)
          ss += temp[static_cast<size_t>(first + y) * out_width * 3 + i] * k[y];
        o[static_cast<size_t>(yy) * out_width * 3 + i] = clip8(ss);
      }
    }
  });
  return out;
}

at::Tensor bicubic_weight_matrix(int in_size, int out_size) {
  if (in_size <= 0 || out_size <= 0) throw Error("resize sizes must be positive");
  const Taps t = precompute(in_size, out_size);
  at::Tensor m = at::zeros({out_size, in_size}, at::kDouble);
  auto acc = m.accessor<double, 2>();
  for (int o = 0; o < out_size; ++o)
    for (int k = 0; k < t.count[o]; ++k)
      acc[o][t.first[o] + k] = t.weights[static_cast<size_t>(o) * t.ksize + k];
  return m;
}

at::Tensor resize_bicubic_planes(const at::Tensor& planes, const at::Tensor& horizontal,
                                 const at::Tensor& vertical) {
  // Each pass: add half, shift right by the precision bits (floor), clip to 0..255.
  const double one = static_cast<double>(1 << kPrecisionBits);
  auto fixed_point = [one](const at::Tensor& sums) {
    return sums.add(one / 2).div_(one).floor_().clamp_(0, 255);
  };
  const at::Tensor rows = fixed_point(at::matmul(planes, horizontal.t()));  // [3, H, S]
  return fixed_point(at::matmul(vertical, rows));                           // [3, S, S]
}

PixelNormalization::PixelNormalization(const std::array<float, 3>& m, const std::array<float, 3>& s,
                                       c10::Device device)
    : mean(at::tensor(std::vector<float>(m.begin(), m.end())).view({3, 1, 1}).to(device)),
      std(at::tensor(std::vector<float>(s.begin(), s.end())).view({3, 1, 1}).to(device)) {}

at::Tensor normalize_planes(const at::Tensor& planes, const PixelNormalization& norm) {
  at::Tensor x = planes.to(at::kFloat).div(255);
  return ((x - norm.mean) / norm.std).unsqueeze(0).contiguous();
}

at::Tensor normalize_pixels(const at::Tensor& rgb, const PixelNormalization& norm) {
  return normalize_planes(rgb.permute({2, 0, 1}), norm);
}

at::Tensor preprocess_frame(const ImageView& image, int size, const PixelNormalization& norm) {
  return normalize_pixels(resize_bicubic(image, size, size), norm);
}

FramePreprocessor::FramePreprocessor(const std::array<float, 3>& mean,
                                     const std::array<float, 3>& std, int size, c10::Device device)
    : size_(size), device_(device), norm_(mean, std, device) {}

at::Tensor FramePreprocessor::operator()(const ImageView& frame) const {
  if (device_.is_cpu()) return preprocess_frame(frame, size_, norm_);
  if (!frame.data || frame.width <= 0 || frame.height <= 0)
    throw Error("cannot resize an empty frame (" + std::to_string(frame.width) + "x" +
                std::to_string(frame.height) + ")");
  const at::Tensor pixels = upload(frame);  // [H, W, pixel_stride] uint8
  const at::Tensor planes = at::stack({pixels.select(2, frame.red), pixels.select(2, frame.green),
                                       pixels.select(2, frame.blue)})
                                .to(at::kDouble);
  return normalize_planes(
      resize_bicubic_planes(planes, weight_matrix(frame.width), weight_matrix(frame.height)),
      norm_);
}

at::Tensor FramePreprocessor::upload(const ImageView& frame) const {
  const int64_t row_bytes = static_cast<int64_t>(frame.width) * frame.pixel_stride;
  // LibTorch caches pinned blocks and keeps one alive until the copy that reads it is done.
  at::Tensor staging = at::empty({frame.height, frame.width, frame.pixel_stride},
                                 at::TensorOptions(at::kByte).pinned_memory(true));
  uint8_t* dst = staging.data_ptr<uint8_t>();
  if (frame.row_stride == row_bytes) {
    std::memcpy(dst, frame.data, static_cast<size_t>(row_bytes) * frame.height);
  } else {
    for (int y = 0; y < frame.height; ++y)
      std::memcpy(dst + y * row_bytes, frame.data + y * frame.row_stride, row_bytes);
  }
  return staging.to(device_, /*non_blocking=*/true);
}

at::Tensor FramePreprocessor::weight_matrix(int in_size) const {
  std::lock_guard<std::mutex> lock(mutex_);
  at::Tensor& m = matrices_[in_size];
  if (!m.defined()) m = bicubic_weight_matrix(in_size, size_).to(device_);
  return m;
}

}  // namespace legrad
