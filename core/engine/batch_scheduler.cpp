#include "engine/batch_scheduler.h"

#include <algorithm>
#include <iterator>
#include <map>

namespace legrad {

struct BatchScheduler::Pending {
  Request request;
  std::chrono::steady_clock::time_point deadline;
  bool done = false;
  std::vector<Explanation> results;
  std::exception_ptr error;
};

namespace {

bool share_a_pass(const BatchScheduler::Request& a, const BatchScheduler::Request& b) {
  return a.method == b.method && a.engine->input_size() == b.engine->input_size() &&
         a.engine->layer_index() == b.engine->layer_index() &&
         &a.engine->model() == &b.engine->model();
}

}  // namespace

BatchScheduler::BatchScheduler(std::shared_ptr<ComputeThread> compute)
    : compute_(std::move(compute)) {}

std::vector<Explanation> BatchScheduler::explain(const Request& request) {
  if (request.frames.empty()) return {};
  Pending me;
  me.request = request;
  me.deadline = std::chrono::steady_clock::now() + request.timeout;
  std::unique_lock<std::mutex> lock(mutex_);
  queue_.push_back(&me);
  changed_.notify_all();
  while (!me.done) {
    if (!leading_ && queue_.front() == &me)
      lead(me, lock);
    else
      changed_.wait(lock);
  }
  if (me.error) std::rethrow_exception(me.error);
  return std::move(me.results);
}

size_t BatchScheduler::joinable(const Pending& leader) const {
  size_t frames = 0;
  for (const Pending* p : queue_)
    if (share_a_pass(p->request, leader.request)) frames += p->request.frames.size();
  return frames;
}

// Called with the lock held by the caller at the queue's front.
void BatchScheduler::lead(Pending& leader, std::unique_lock<std::mutex>& lock) {
  leading_ = true;
  const size_t size = std::max(leader.request.batch_size, 1u);
  changed_.wait_until(lock, leader.deadline, [&] { return joinable(leader) >= size; });
  // The leader first (queue order), then whoever fits: a request's frames stay together.
  std::vector<Pending*> batch;
  size_t frames = 0;
  for (auto it = queue_.begin(); it != queue_.end() && frames < size;) {
    const size_t n = (*it)->request.frames.size();
    if (share_a_pass((*it)->request, leader.request) && (batch.empty() || frames + n <= size)) {
      batch.push_back(*it);
      frames += n;
      it = queue_.erase(it);
    } else {
      ++it;
    }
  }
  stats_.batches++;
  stats_.frames += frames;
  lock.unlock();
  run(batch);
  lock.lock();
  for (Pending* p : batch) p->done = true;
  leading_ = false;
  changed_.notify_all();
}

void BatchScheduler::run(const std::vector<Pending*>& batch) {
  std::vector<ImageView> frames;
  std::vector<const PromptSet*> prompts;
  for (const Pending* p : batch)
    for (const ImageView& frame : p->request.frames) {
      frames.push_back(frame);
      prompts.push_back(p->request.prompts);
    }
  try {
    std::vector<Explanation> results = compute_->call([&] {
      return batch.front()->request.engine->explain_batch(frames, prompts,
                                                          batch.front()->request.method);
    });
    auto next = std::make_move_iterator(results.begin());
    for (Pending* p : batch) {
      const auto n = static_cast<std::ptrdiff_t>(p->request.frames.size());
      p->results.assign(next, next + n);
      next += n;
    }
  } catch (...) {
    for (Pending* p : batch) p->error = std::current_exception();
  }
}

BatchScheduler::Stats BatchScheduler::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

}  // namespace legrad
