// Many cameras on one model, as the element runs them: N streams, each a thread sending
// frames one after another through its own StreamAnalyzer on the shared model session (the
// element's path), either each frame alone or batched across streams.
#pragma once

#include <memory>
#include <vector>

#include "engine/model_session.h"
#include "engine/stream_analyzer.h"

namespace legrad {

struct StreamBenchSettings {
  int streams = 4;
  unsigned batch_size = kDefaultBatchSize;  // 1: unbatched
  unsigned batch_timeout_ms = kDefaultBatchTimeoutMs;
  int frames = 10;  // per stream, after `warmup` more
  int warmup = 2;
};

struct StreamBenchResult {
  double aggregate_fps = 0;            // every stream's timed frames over the wall time
  std::vector<double> per_stream_fps;  // each stream's timed frames over its own time
  double median_ms = 0;                // a frame's time from its stream sending it to its heatmaps
  double mean_batch = 0;               // frames per forward pass (batched runs)
};

// `frame` and `prompts` are every stream's; `options` each stream's engine settings.
StreamBenchResult run_stream_bench(const std::shared_ptr<ModelSession>& session,
                                   const EngineOptions& options, const FramePlanes& frame,
                                   const std::shared_ptr<const PromptSet>& prompts,
                                   const StreamBenchSettings& settings);

}  // namespace legrad
