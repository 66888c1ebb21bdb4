// One model session per instance id, one compute thread per device (typed: cuda is cuda:0).
#include "engine/model_session.h"

#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <thread>

#include "base/device.h"
#include "base/error.h"
#include "model/clip_model.h"
#include "support.h"

namespace legrad {
namespace {

TEST(ModelSession, SharedByInstanceIdWhileHeld) {
  test::TempDir dir;
  test::write_tiny_model(dir.path(), test::tiny_config());
  const ModelRequest request{dir.path()};
  auto a = ModelSession::acquire(request, "cam");
  const auto b = ModelSession::acquire(request, "cam");
  EXPECT_EQ(a.get(), b.get());
  EXPECT_EQ(&a->scheduler(), &b->scheduler()) << "one batch scheduler per model";
  EXPECT_NE(ModelSession::acquire(request).get(), a.get()) << "no id: a session of its own";
  test::TempDir other;
  test::write_tiny_model(other.path(), test::tiny_config());
  EXPECT_THROW(ModelSession::acquire(ModelRequest{other.path()}, "cam"), Error);
  ModelRequest bf16 = request;
  bf16.dtype = at::kBFloat16;
  EXPECT_THROW(ModelSession::acquire(bf16, "cam"), Error) << "another dtype";
}

TEST(ModelSession, ReleasedWithItsLastHolder) {
  test::TempDir dir;
  test::write_tiny_model(dir.path(), test::tiny_config());
  auto a = ModelSession::acquire(ModelRequest{dir.path()}, "released");
  const std::weak_ptr<ModelSession> held = a;
  a.reset();
  EXPECT_TRUE(held.expired());
  // A later acquire loads afresh, and may ask for something else under the same id.
  ModelRequest bf16{dir.path()};
  bf16.dtype = at::kBFloat16;
  EXPECT_EQ(ModelSession::acquire(bf16, "released")->model()->model->dtype(), at::kBFloat16);
}

TEST(ModelSession, TheModelIsLoadedOnTheDevicesComputeThread) {
  test::TempDir dir;
  test::write_tiny_model(dir.path(), test::tiny_config());
  const auto session = ModelSession::acquire(ModelRequest{dir.path()});
  EXPECT_EQ(&session->compute(), device_compute_thread(c10::kCPU).get());
  EXPECT_EQ(session->model()->device, c10::Device(c10::kCPU));
}

// The compute settings reach the compute thread: its operator thread count, and a niceness it
// and the operator threads it starts run at (the rest of a live pipeline first), only ever
// raised (a suite run under `nice` keeps its own where it is higher).
TEST(ModelSession, ComputeSettingsApplyOnTheComputeThread) {
  test::TempDir dir;
  test::write_tiny_model(dir.path(), test::tiny_config());
  const auto own_nice = [] {
    return getpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)));
  };
  const int caller = own_nice();
  const auto session = ModelSession::acquire(ModelRequest{dir.path()}, "", ComputeSettings{1, 7});
  int threads = 0, nice = -1;
  session->compute().run([&] {
    threads = at::get_num_threads();
    nice = own_nice();
  });
  EXPECT_EQ(threads, 1);
  EXPECT_EQ(nice, std::max(7, caller));
  EXPECT_EQ(own_nice(), caller) << "the caller's own thread keeps its priority";
  // A lower nice later leaves it where it is.
  const auto again = ModelSession::acquire(ModelRequest{dir.path()}, "", ComputeSettings{1, 3});
  again->compute().run([&] { nice = own_nice(); });
  EXPECT_EQ(nice, std::max(7, caller));
  EXPECT_THROW(ModelSession::acquire(ModelRequest{dir.path()}, "", ComputeSettings{1, 20}), Error);
  EXPECT_EQ(threads_leaving_a_core(), std::max(1, available_cores() - 1));
  EXPECT_LE(available_cores(), static_cast<int>(std::thread::hardware_concurrency()));
}

TEST(ModelSession, OneComputeThreadPerDevice) {
  auto cpu = device_compute_thread(c10::kCPU);
  EXPECT_EQ(device_compute_thread(c10::Device(c10::kCPU)), cpu);
  EXPECT_EQ(device_compute_thread(c10::Device(c10::kCUDA)),
            device_compute_thread(c10::Device(c10::kCUDA, 0)))
      << "cuda and cuda:0 are one GPU";
  EXPECT_NE(device_compute_thread(c10::Device(c10::kCUDA, 0)), cpu);
  const std::weak_ptr<ComputeThread> held = cpu;
  cpu.reset();  // the last holder: the thread ends, a later holder gets a new one
  EXPECT_TRUE(held.expired());
  EXPECT_EQ(device_compute_thread(c10::kCPU)->call([] { return 5; }), 5);
}

}  // namespace
}  // namespace legrad
