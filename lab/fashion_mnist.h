// Fashion-MNIST (Zalando): 70,000 28x28 grey photographs of clothing in ten classes, read from
// the IDX files of Debian's dataset-fashion-mnist package (gzip or plain).
#pragma once

#include <ATen/Tensor.h>

#include <array>
#include <string>

namespace legrad {

constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

// How many classes the dataset has (labels 0..kFashionClassCount - 1).
constexpr int kFashionClassCount = 10;

// Class names as prompts use them, by label.
extern const std::array<const char*, kFashionClassCount> kFashionClasses;

struct FashionMnist {
  at::Tensor images;  // [N, 28, 28] uint8, white item on black
  at::Tensor labels;  // [N] int64 in 0..kFashionClassCount - 1

  // The train (60,000) or test (10,000) split from `dir`. Throws legrad::Error naming the file
  // and, where the folder is missing, the package that provides it.
  static FashionMnist load(const std::string& dir, bool train);
};

}  // namespace legrad
