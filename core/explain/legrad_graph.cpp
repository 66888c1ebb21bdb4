#include "explain/legrad_graph.h"

#include <ATen/ATen.h>

#include <mutex>

#include "base/error.h"
#include "model/clip_model.h"
#include "model/transformer.h"

#ifdef LEGRAD_WITH_CUDA
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

namespace legrad {

#ifdef LEGRAD_WITH_CUDA

struct GraphedLegrad::Impl {
  at::cuda::CUDAGraph graph;  // declared first: outlives the tensors in its memory pool
  at::Tensor pixels, text;    // the graph's inputs
  Explanation out;            // and outputs, overwritten by every replay
  std::mutex mutex;
};

bool GraphedLegrad::supported() { return true; }

GraphedLegrad::GraphedLegrad(const ClipModel& model, int64_t size, int64_t prompts,
                             const LegradOptions& options)
    : impl_(std::make_unique<Impl>()) {
  if (!model.device().is_cuda()) throw Error("CUDA graphs need a model on a CUDA device");
  const c10::cuda::CUDAGuard device_guard(model.device());
  const auto on_device = at::TensorOptions().device(model.device());
  impl_->pixels = at::zeros({1, 3, size, size}, on_device.dtype(at::kFloat));
  impl_->text =
      l2_normalize(at::ones({prompts, model.config().embed_dim}, on_device.dtype(model.dtype())));
  // Capture on a side stream, after runs there have set up what is made once (cuBLAS
  // workspaces, the positional embedding for this size).
  c10::cuda::CUDAStream stream = c10::cuda::getStreamFromPool();
  try {
    const c10::cuda::CUDAStreamGuard stream_guard(stream);
    for (int i = 0; i < 2; ++i) explain_legrad(model, impl_->pixels, impl_->text, options);
    stream.synchronize();
    impl_->graph.capture_begin();
    impl_->out = explain_legrad(model, impl_->pixels, impl_->text, options);
    impl_->graph.capture_end();
    stream.synchronize();
  } catch (const std::exception& e) {
    throw Error(std::string("CUDA graph capture failed: ") + e.what());
  }
}

Explanation GraphedLegrad::explain(const at::Tensor& pixels, const at::Tensor& text) const {
  if (!pixels.sizes().equals(impl_->pixels.sizes()) || !text.sizes().equals(impl_->text.sizes()))
    throw Error("this CUDA graph was recorded for other input or prompt shapes");
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->pixels.copy_(pixels);
  impl_->text.copy_(text);
  impl_->graph.replay();
  const Explanation& o = impl_->out;
  Explanation ex;
  ex.heatmaps = o.heatmaps.clone();
  ex.scores = o.scores.clone();
  ex.image_embedding = o.image_embedding.clone();
  ex.layer_grids = o.layer_grids.clone();
  ex.layer_features = o.layer_features.clone();
  ex.layers = o.layers;
  return ex;
}

#else

struct GraphedLegrad::Impl {};

bool GraphedLegrad::supported() { return false; }

GraphedLegrad::GraphedLegrad(const ClipModel&, int64_t, int64_t, const LegradOptions&) {
  throw Error(
      "CUDA graphs need a build against a CUDA LibTorch (-Dtorch_prefix=... -Dcuda=enabled)");
}

Explanation GraphedLegrad::explain(const at::Tensor&, const at::Tensor&) const {
  throw Error("CUDA graphs need a build against a CUDA LibTorch");
}

#endif

GraphedLegrad::~GraphedLegrad() = default;

}  // namespace legrad
