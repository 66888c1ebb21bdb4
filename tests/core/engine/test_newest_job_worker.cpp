// The async worker's one-slot mailbox: the newest job wins, flushes drop what belongs to before
// them, and the caller never waits. Jobs wait on gates the test opens, so nothing here depends
// on timing.
#include <gtest/gtest.h>

#include <future>
#include <mutex>
#include <set>

#include "engine/newest_job_worker.h"

namespace legrad {
namespace {

// A job's number, and a gate it waits at before finishing (null: none).
struct Job {
  int number = 0;
  std::shared_future<void> gate;
};

class Worker : public ::testing::Test {
 protected:
  // Runs jobs, remembering which ran; the result is the job's number times ten.
  NewestJobWorker<Job, int> worker_{[this](const Job& job) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ran_.insert(job.number);
      started_.notify_all();
    }
    if (job.gate.valid()) job.gate.wait();
    return job.number * 10;
  }};

  // Waits until job `number` has started.
  void wait_started(int number) {
    std::unique_lock<std::mutex> lock(mutex_);
    started_.wait(lock, [&] { return ran_.count(number) > 0; });
  }

  std::set<int> ran() {
    std::lock_guard<std::mutex> lock(mutex_);
    return ran_;
  }

  std::mutex mutex_;
  std::condition_variable started_;
  std::set<int> ran_;
};

TEST_F(Worker, RunsAJobAndKeepsItsResult) {
  EXPECT_EQ(worker_.latest(), nullptr);
  EXPECT_FALSE(worker_.submit({1, {}}));
  worker_.drain();
  ASSERT_NE(worker_.latest(), nullptr);
  EXPECT_EQ(*worker_.latest(), 10);
}

TEST_F(Worker, TheNewestWaitingJobReplacesTheOlderOne) {
  std::promise<void> gate;
  worker_.submit({1, gate.get_future().share()});
  wait_started(1);
  EXPECT_FALSE(worker_.submit({2, {}}));  // waits: the worker is busy
  EXPECT_TRUE(worker_.submit({3, {}}));   // replaces job 2, which never runs
  gate.set_value();
  worker_.drain();
  EXPECT_EQ(*worker_.latest(), 30);
  EXPECT_EQ(ran(), (std::set<int>{1, 3}));
}

TEST_F(Worker, FlushDropsTheWaitingJobAndTheResultInFlight) {
  worker_.submit({1, {}});
  worker_.drain();
  std::promise<void> gate;
  worker_.submit({2, gate.get_future().share()});
  wait_started(2);
  worker_.submit({3, {}});
  worker_.flush();
  EXPECT_EQ(worker_.latest(), nullptr);
  gate.set_value();
  worker_.drain();
  EXPECT_EQ(worker_.latest(), nullptr) << "job 2 belongs to before the flush";
  EXPECT_EQ(ran(), (std::set<int>{1, 2}));
  worker_.submit({4, {}});
  worker_.drain();
  EXPECT_EQ(*worker_.latest(), 40);
}

TEST(WorkerLifetime, DestroyingWithAJobWaitingFinishesTheOneInFlight) {
  std::promise<void> gate;
  std::promise<void> started;
  std::set<int> ran;
  std::mutex mutex;
  {
    NewestJobWorker<Job, int> worker([&](const Job& job) {
      {
        std::lock_guard<std::mutex> lock(mutex);
        ran.insert(job.number);
      }
      if (job.number == 1) started.set_value();
      if (job.gate.valid()) job.gate.wait();
      return job.number;
    });
    worker.submit({1, gate.get_future().share()});
    started.get_future().wait();
    worker.submit({2, {}});
    gate.set_value();
  }  // joins; job 2 may or may not have started before the stop
  EXPECT_EQ(ran.count(1), 1u);
}

}  // namespace
}  // namespace legrad
