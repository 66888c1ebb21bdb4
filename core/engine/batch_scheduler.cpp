#include "engine/batch_scheduler.h"

#include <algorithm>
#include <map>

namespace legrad {

struct BatchScheduler::Pending {
  Request request;
  std::chrono::steady_clock::time_point deadline;
  bool done = false;
  std::optional<Explanation> result;
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

Explanation BatchScheduler::explain(const Request& request) {
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
  return std::move(*me.result);
}

size_t BatchScheduler::joinable(const Pending& leader) const {
  return static_cast<size_t>(std::count_if(queue_.begin(), queue_.end(), [&](const Pending* p) {
    return share_a_pass(p->request, leader.request);
  }));
}

// Called with the lock held by the caller at the queue's front.
void BatchScheduler::lead(Pending& leader, std::unique_lock<std::mutex>& lock) {
  leading_ = true;
  const size_t size = std::max(leader.request.batch_size, 1u);
  changed_.wait_until(lock, leader.deadline, [&] { return joinable(leader) >= size; });
  std::vector<Pending*> batch;
  for (auto it = queue_.begin(); it != queue_.end() && batch.size() < size;) {
    if (share_a_pass((*it)->request, leader.request)) {
      batch.push_back(*it);
      it = queue_.erase(it);
    } else {
      ++it;
    }
  }
  stats_.batches++;
  stats_.frames += batch.size();
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
  for (const Pending* p : batch) {
    frames.push_back(p->request.frame);
    prompts.push_back(p->request.prompts);
  }
  try {
    std::vector<Explanation> results = compute_->call([&] {
      return batch.front()->request.engine->explain_batch(frames, prompts,
                                                          batch.front()->request.method);
    });
    for (size_t i = 0; i < batch.size(); ++i) batch[i]->result = std::move(results[i]);
  } catch (...) {
    for (Pending* p : batch) p->error = std::current_exception();
  }
}

BatchScheduler::Stats BatchScheduler::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

std::shared_ptr<BatchScheduler> shared_batch_scheduler(const LoadedModel& model,
                                                       std::shared_ptr<ComputeThread> compute) {
  static std::mutex mutex;
  static std::map<const LoadedModel*, std::weak_ptr<BatchScheduler>> live;
  std::lock_guard<std::mutex> lock(mutex);
  std::shared_ptr<BatchScheduler> scheduler = live[&model].lock();
  if (!scheduler) {
    scheduler = std::make_shared<BatchScheduler>(std::move(compute));
    live[&model] = scheduler;
  }
  return scheduler;
}

}  // namespace legrad
