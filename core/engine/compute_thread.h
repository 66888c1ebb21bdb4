// One thread that runs all of LibTorch's work for a device, one task at a time.
//
// LibTorch's CPU thread pool (OpenMP) belongs to the thread that calls an operator: each new
// calling thread starts a team of its own. With more team threads than cores OpenMP stops
// spinning between parallel regions, so every operator then wakes its workers through the
// kernel: a GStreamer streaming thread (beside the thread that loaded the model, or beside
// another stream's) ran the same frame about twice as slowly as one thread does. Elements
// therefore hand their work to the device's compute thread and wait for it (or not: async).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>

namespace legrad {

class ComputeThread {
 public:
  ComputeThread();
  ~ComputeThread();  // finishes the queued tasks first
  ComputeThread(const ComputeThread&) = delete;
  ComputeThread& operator=(const ComputeThread&) = delete;

  // Runs `task` on the thread (at once when called from it) and waits; rethrows what it threw.
  void run(const std::function<void()>& task);

  // run() for a task with a result.
  template <typename F>
  auto call(F&& task) -> std::invoke_result_t<F> {
    std::optional<std::invoke_result_t<F>> result;
    run([&] { result.emplace(task()); });
    return std::move(*result);
  }

 private:
  void loop();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<std::packaged_task<void()>>> queue_;
  bool stopping_ = false;
  std::thread thread_;  // last: started after everything it reads is initialised
};

}  // namespace legrad
