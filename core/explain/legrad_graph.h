// LeGrad recorded once as a CUDA graph and replayed per frame. On a fast GPU a ViT-B frame is
// hundreds of small kernels and the host's launching them, not the GPU, sets the frame rate;
// one graph launch per frame removes that. One graph per input size and prompt count; the
// frame and the prompt embeddings are copied into its fixed input buffers before each replay.
#pragma once

#include <ATen/Tensor.h>

#include <memory>

#include "explain/legrad.h"

namespace legrad {

class ClipModel;

class GraphedLegrad {
 public:
  // True in builds against a CUDA LibTorch (LEGRAD_WITH_CUDA).
  static bool supported();

  // Warms up and captures explain_legrad for [1, 3, size, size] pixels and `prompts` prompts.
  // Throws legrad::Error on the CPU, in builds without CUDA, or when the capture fails.
  GraphedLegrad(const ClipModel& model, int64_t size, int64_t prompts,
                const LegradOptions& options);
  ~GraphedLegrad();

  // As explain_legrad (timings left at zero); the results are copies, safe to keep.
  // Thread-safe: replays are serialised.
  Explanation explain(const at::Tensor& pixels, const at::Tensor& text_embeddings) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace legrad
