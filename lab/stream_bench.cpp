#include "lab/stream_bench.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <thread>

namespace legrad {
namespace {

using Clock = std::chrono::steady_clock;

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

}  // namespace

StreamBenchResult run_stream_bench(const std::shared_ptr<ModelSession>& session,
                                   const EngineOptions& options, const FramePlanes& frame,
                                   const std::shared_ptr<const PromptSet>& prompts,
                                   const StreamBenchSettings& s) {
  std::vector<std::unique_ptr<StreamAnalyzer>> streams;
  for (int i = 0; i < s.streams; ++i) {
    streams.push_back(std::make_unique<StreamAnalyzer>(session, options));
    streams.back()->set_prompts(prompts);
  }
  StreamSettings settings;  // sync, every frame, as a file plays
  settings.batch_size = s.batch_size;
  settings.batch_timeout_ms = s.batch_timeout_ms;
  StreamFrame input;
  input.width = frame.width;
  input.height = frame.height;
  input.planes = [&]() -> const FramePlanes& { return frame; };
  // One frame through stream i, as the element sends it; the maps come back to the host.
  auto send = [&](int i) { streams[i]->process(input, settings); };
  std::vector<std::vector<double>> latencies(s.streams);
  std::vector<double> stream_ms(s.streams);
  // Every stream warms up, then all start timing together.
  std::atomic<int> warmed{0};
  std::promise<void> go;
  const std::shared_future<void> timed = go.get_future().share();
  std::vector<std::thread> threads;
  for (int i = 0; i < s.streams; ++i)
    threads.emplace_back([&, i] {
      for (int f = 0; f < s.warmup; ++f) send(i);
      ++warmed;
      timed.wait();
      const auto begin = Clock::now();
      for (int f = 0; f < s.frames; ++f) {
        const auto sent = Clock::now();
        send(i);
        latencies[i].push_back(ms_between(sent, Clock::now()));
      }
      stream_ms[i] = ms_between(begin, Clock::now());
    });
  while (warmed < s.streams) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const auto before = session->scheduler().stats();
  const auto begin = Clock::now();
  go.set_value();
  for (std::thread& t : threads) t.join();
  const double wall_ms = ms_between(begin, Clock::now());
  const auto after = session->scheduler().stats();

  StreamBenchResult r;
  r.aggregate_fps = 1000.0 * s.streams * s.frames / wall_ms;
  std::vector<double> all;
  for (int i = 0; i < s.streams; ++i) {
    r.per_stream_fps.push_back(1000.0 * s.frames / stream_ms[i]);
    all.insert(all.end(), latencies[i].begin(), latencies[i].end());
  }
  std::sort(all.begin(), all.end());
  r.median_ms = all.empty() ? 0 : all[all.size() / 2];
  const uint64_t batches = after.batches - before.batches;
  r.mean_batch = batches ? static_cast<double>(after.frames - before.frames) / batches : 1.0;
  return r;
}

}  // namespace legrad
