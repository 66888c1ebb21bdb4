#include "engine/compute_thread.h"

#include <pthread.h>

namespace legrad {

ComputeThread::ComputeThread() : thread_([this] { loop(); }) {
  // Named for top and perf; the operator pool's threads inherit it.
  pthread_setname_np(thread_.native_handle(), "legrad-compute");
}

ComputeThread::~ComputeThread() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void ComputeThread::run(const std::function<void()>& task) {
  if (std::this_thread::get_id() == thread_.get_id()) return task();
  // Shared with the thread, which may still be leaving the task when the caller wakes.
  auto job = std::make_shared<std::packaged_task<void()>>(task);
  std::future<void> done = job->get_future();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(job);
  }
  wake_.notify_all();
  done.get();
}

void ComputeThread::loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, nothing left
    std::shared_ptr<std::packaged_task<void()>> job = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    (*job)();
    job.reset();
    lock.lock();
  }
}

}  // namespace legrad
