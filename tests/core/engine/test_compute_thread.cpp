// The compute thread: every task of every caller on one thread (LibTorch's OpenMP pool is per
// calling thread), results and exceptions back to the caller, and one thread per device while
// anyone holds it.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include "engine/compute_thread.h"

namespace legrad {
namespace {

TEST(ComputeThread, RunsEveryCallersTasksOnItsOwnThread) {
  ComputeThread compute;
  const std::thread::id own = compute.call([] { return std::this_thread::get_id(); });
  EXPECT_NE(own, std::this_thread::get_id());
  std::vector<std::thread> callers;
  std::vector<std::thread::id> seen(4);
  for (size_t i = 0; i < seen.size(); ++i)
    callers.emplace_back(
        [&, i] { seen[i] = compute.call([] { return std::this_thread::get_id(); }); });
  for (std::thread& t : callers) t.join();
  for (const std::thread::id& id : seen) EXPECT_EQ(id, own);
}

TEST(ComputeThread, ReturnsResultsAndRethrows) {
  ComputeThread compute;
  const at::Tensor sum = compute.call([] { return at::ones({64, 64}).matmul(at::ones({64, 64})); });
  EXPECT_EQ(sum[3][5].item<float>(), 64.0f);
  EXPECT_THROW(compute.run([] { throw std::runtime_error("bad frame"); }), std::runtime_error);
  EXPECT_EQ(compute.call([] { return 7; }), 7);  // still serving after a task threw
}

TEST(ComputeThread, ATaskMayRunAnother) {
  ComputeThread compute;
  EXPECT_EQ(compute.call([&] { return compute.call([] { return 3; }) + 1; }), 4);
}

}  // namespace
}  // namespace legrad
