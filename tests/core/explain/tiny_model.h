// The explain tests' fixture: the tiny random CLIP, a random picture and three prompts' unit
// embeddings.
#pragma once

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <memory>

#include "engine/model_files.h"
#include "explain/legrad.h"
#include "model/clip_model.h"
#include "support.h"

namespace legrad::test {

class TinyModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    write_tiny_model(dir_.path(), tiny_config());
    model_ = load_clip_model(locate_model_files(dir_.path()), c10::Device(c10::kCPU));
    pixels_ = at::randn({1, 3, 32, 32}, at::detail::createCPUGenerator(3));
    text_ = l2_normalize(at::randn({3, 16}, at::detail::createCPUGenerator(4)));
  }

  TempDir dir_;
  std::shared_ptr<ClipModel> model_;
  at::Tensor pixels_, text_;
};

}  // namespace legrad::test
