// Runs analysis jobs on a worker thread with a one-slot mailbox: a new job replaces the one
// still waiting (the newest frame wins), the caller never waits, and the newest finished
// result is always available. Used by the element's `mode=async`.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

namespace legrad {

template <typename Job, typename Result>
class NewestJobWorker {
 public:
  using Work = std::function<Result(const Job&)>;

  explicit NewestJobWorker(Work work) : work_(std::move(work)), thread_([this] { run(); }) {}

  ~NewestJobWorker() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
      pending_.reset();
    }
    wake_.notify_all();
    thread_.join();
  }

  NewestJobWorker(const NewestJobWorker&) = delete;
  NewestJobWorker& operator=(const NewestJobWorker&) = delete;

  // Queues `job`, replacing a job that has not started. Returns true if one was replaced.
  bool submit(Job job) {
    bool replaced;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      replaced = static_cast<bool>(pending_);
      pending_ = std::make_unique<Job>(std::move(job));
    }
    wake_.notify_all();
    return replaced;
  }

  // The newest finished result (null before the first one).
  std::shared_ptr<const Result> latest() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return latest_;
  }

  // Drops the waiting job and the stored result; a job in flight finishes but its result is
  // discarded (it belongs to before the flush).
  void flush() {
    std::lock_guard<std::mutex> lock(mutex_);
    pending_.reset();
    latest_.reset();
    ++generation_;
  }

  // Waits until the waiting job (if any) and the one in flight have finished.
  void drain() {
    std::unique_lock<std::mutex> lock(mutex_);
    idle_.wait(lock, [this] { return !pending_ && !busy_; });
  }

 private:
  void run() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (true) {
      wake_.wait(lock, [this] { return stopping_ || pending_; });
      if (stopping_) return;
      std::unique_ptr<Job> job = std::move(pending_);
      busy_ = true;
      const uint64_t generation = generation_;
      lock.unlock();
      auto result = std::make_shared<const Result>(work_(*job));
      lock.lock();
      busy_ = false;
      if (generation == generation_) latest_ = std::move(result);
      idle_.notify_all();
    }
  }

  Work work_;
  mutable std::mutex mutex_;
  std::condition_variable wake_, idle_;
  std::unique_ptr<Job> pending_;
  std::shared_ptr<const Result> latest_;
  uint64_t generation_ = 0;
  bool busy_ = false;
  bool stopping_ = false;
  std::thread thread_;  // last: started after everything it reads is initialised
};

}  // namespace legrad
