// A model shared by the streams that use it: the loaded model, the compute thread of its device
// (one per device, shared by every session on it) and the scheduler that batches the streams'
// frames. One acquire, and the last holder's release ends it.
#pragma once

#include <memory>
#include <string>

#include "engine/batch_scheduler.h"
#include "engine/compute_thread.h"
#include "engine/engine.h"

namespace legrad {

// The `legrad` element's niceness for its compute threads: the rest of a live pipeline comes
// first (docs/performance.md has the measurements behind it).
constexpr int kPipelineNice = 10;

// How a device's compute thread runs LibTorch's operators.
struct ComputeSettings {
  int threads = 0;  // operator threads (set_compute_threads: 0 = every core)
  // the least niceness of the compute thread and the operator threads it starts later
  // (raise_thread_nice, 0-19; -1: left as it is)
  int nice = -1;
};

class ModelSession {
 public:
  // The session of `request`: with a non-empty `instance_id`, every caller asking under that id
  // while anyone holds it gets the same one (asking for another model, device or dtype under a
  // live id throws); "" is a session of its own. The model is loaded on the device's compute
  // thread; every acquire applies `compute` there (threads process wide: the last caller's
  // count holds; nice only rises, and operator threads started before keep theirs: the compute
  // thread is the device's, shared by every session on it). Throws legrad::Error.
  static std::shared_ptr<ModelSession> acquire(const ModelRequest& request,
                                               const std::string& instance_id = "",
                                               const ComputeSettings& compute = {});

  ModelSession(std::shared_ptr<ComputeThread> compute, std::shared_ptr<const LoadedModel> model);
  ModelSession(const ModelSession&) = delete;
  ModelSession& operator=(const ModelSession&) = delete;

  const std::shared_ptr<const LoadedModel>& model() const { return model_; }
  ComputeThread& compute() const { return *compute_; }
  BatchScheduler& scheduler() const { return *scheduler_; }

 private:
  std::shared_ptr<ComputeThread> compute_;
  std::shared_ptr<const LoadedModel> model_;
  std::unique_ptr<BatchScheduler> scheduler_;
};

// The compute thread of `device`, shared by everyone holding it and ended when the last holder
// lets go (cuda and cuda:0 are one device, one thread).
std::shared_ptr<ComputeThread> device_compute_thread(c10::Device device);

}  // namespace legrad
