// Frames of several streams explained in one forward pass. Elements sharing a model hand
// their frames (or a frame's object crops, several at once) here and wait; the caller whose
// request waits longest gathers up to its batch size of frames that can share a pass (same
// input size, layer index and method), waiting at most its timeout for them, runs the batch on
// the compute thread and hands every frame its own explanation. One batch runs at a time; a stream
// that stops sending (EOS, flush, removal) only shortens batches: nobody waits longer than the
// timeout for it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "engine/compute_thread.h"
#include "engine/engine.h"

namespace legrad {

constexpr unsigned kDefaultBatchSize = 1;        // no batching
constexpr unsigned kDefaultBatchTimeoutMs = 33;  // one frame interval at 30 fps

class BatchScheduler {
 public:
  explicit BatchScheduler(std::shared_ptr<ComputeThread> compute);

  struct Request {
    const LegradEngine* engine;     // the caller's: its settings and model
    std::vector<ImageView> frames;  // read while the call lasts; all with `prompts`
    const PromptSet* prompts;
    ExplainMethod method = kDefaultMethod;
    unsigned batch_size = kDefaultBatchSize;
    std::chrono::milliseconds timeout{kDefaultBatchTimeoutMs};
  };
  // Blocks until the frames' explanations are done (one per frame, in order); throws what its
  // batch threw. A request of more frames than its batch size runs as one batch of its own.
  std::vector<Explanation> explain(const Request& request);

  struct Stats {
    uint64_t batches = 0, frames = 0;
  };
  Stats stats() const;

 private:
  struct Pending;
  void lead(Pending& leader, std::unique_lock<std::mutex>& lock);
  size_t joinable(const Pending& leader) const;
  void run(const std::vector<Pending*>& batch);

  std::shared_ptr<ComputeThread> compute_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Pending*> queue_;
  bool leading_ = false;
  Stats stats_;
};

}  // namespace legrad
