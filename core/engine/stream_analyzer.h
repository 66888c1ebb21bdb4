// The per-stream logic of LeGrad on video, without GStreamer: which frames are analysed
// (inference interval), where (now, or on a worker that always takes the newest frame), with
// which prompts, batched with other streams of the same model session, smoothed over frames,
// and what each frame carries out (maps, scores, probabilities, presence, boxes, age). The
// `legrad` element is a GObject shell and a buffer adapter around it; `legrad bench --streams`
// drives it too.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine/model_session.h"
#include "engine/newest_job_worker.h"
#include "explain/presence.h"
#include "heatmap/boxes.h"
#include "heatmap/temporal_smoothing.h"
#include "video/video_frame.h"

namespace legrad {

constexpr unsigned kDefaultInferenceInterval = 1;

// What is explained: the whole frame, or each object region an upstream detector found.
enum class RegionMode { Frame, RoiList };
// When analysed frames wait for their heatmaps: always, never, or never on live sources.
enum class AnalysisMode { Sync, Async, Auto };
constexpr RegionMode kDefaultRegionMode = RegionMode::Frame;
constexpr AnalysisMode kDefaultAnalysisMode = AnalysisMode::Auto;

// The choices by name, in enum order, for the element's enums and usage texts.
struct ChoiceInfo {
  const char* name;
  const char* description;
};
const std::vector<ChoiceInfo>& region_modes();
const std::vector<ChoiceInfo>& analysis_modes();

// An object in frame pixels, inside the frame, from an upstream detector (RegionMode::RoiList).
struct Region {
  int id = -1;
  int x = 0, y = 0, width = 0, height = 0;
};

// The settings a stream may change from frame to frame.
struct StreamSettings {
  ExplainMethod method = kDefaultMethod;
  unsigned inference_interval = kDefaultInferenceInterval;
  bool async = false;  // AnalysisMode resolved for the stream
  bool attach_boxes = false;
  float box_threshold = kDefaultRoiThreshold;  // heatmap level that bounds a box
  PresenceRule presence;
  float smoothing = kDefaultSmoothing;
  unsigned batch_size = kDefaultBatchSize;  // > 1: batched with the session's other streams
  unsigned batch_timeout_ms = kDefaultBatchTimeoutMs;
  // RoiList: always analysed now, no smoothing, the maps only on the frame they come from.
  RegionMode region = kDefaultRegionMode;
};

// One frame in: its size, its pixels and, for RegionMode::RoiList, its objects (both asked
// only for frames that are analysed: a mapping can cost a download), its time and its own
// prompts (a per-frame list, replacing the stream's for this frame).
struct StreamFrame {
  int width = 0, height = 0;
  std::function<const FramePlanes&()> planes;
  std::function<std::vector<Region>()> regions;
  int64_t pts = -1;  // nanoseconds; -1 unknown
  std::optional<std::string> prompt_list;
};

// One finished analysis, shared by every frame that carries it. Maps are [target][prompt],
// each size x size floats; the targets are the frame, or the regions explained.
struct Analysis {
  std::vector<std::string> prompts;  // texts only: what frames carry downstream holds no tensor
  int size = 0;
  std::vector<float> maps;
  std::vector<float> scores;
  std::vector<float> probabilities;       // beside scores; empty where the model gives none
  std::vector<std::optional<Box>> boxes;  // per frame map, in heatmap pixels, where asked
  std::vector<Region> regions;            // RoiList: the objects explained
  int64_t source_pts = -1;
  uint64_t frame_number = 0;
  double inference_ms = 0.0;

  bool covers_regions() const { return !regions.empty(); }
  size_t prompt_count() const { return prompts.size(); }
  size_t map_count() const { return scores.size(); }
  const float* map(size_t i) const { return maps.data() + i * size_t(size) * size_t(size); }
  std::optional<float> probability(size_t i) const {
    return probabilities.empty() ? std::nullopt : std::optional<float>(probabilities[i]);
  }
};

// What one frame carries out.
struct FrameResult {
  std::shared_ptr<const Analysis> analysis;  // null: no heatmaps on this frame
  uint64_t age = 0;                          // frames since the analysed one
  std::vector<bool> present;                 // per map: the presence decision
  std::vector<std::optional<Box>> boxes;     // per frame map, in frame pixels: present and boxed
};

struct StreamStats {
  uint64_t frames_analyzed = 0;
  uint64_t frames_skipped = 0;
  double mean_inference_ms = 0.0;
  double last_inference_ms = 0.0;
  double recent_max_inference_ms = 0.0;  // the longest of the last few analyses
  size_t prompts = 0;                    // the stream's prompt count
  double prompts_encode_ms = 0.0;        // what encoding them took
  uint64_t analyzed_with_prompts = 0;    // analyses since the prompts last changed
};

// Empty while a stream's analyses keep up with its frames (or before the second analysis with
// its prompts: the first warms up); else a sentence naming the prompt count, what an analysis
// costs against the frames' pace, and what follows in that mode. Synchronous analysis must
// keep up with the frames it analyses (every inference_interval-th); asynchronous analysis is
// made to fall behind, and only heatmaps older than kStaleAfterFrames mislead.
std::string pace_warning(const StreamStats& stats, double frames_per_second,
                         unsigned inference_interval, bool async);

class StreamAnalyzer {
 public:
  // Validates options.input_size and layer_index against the session's model; throws
  // legrad::Error. Every LibTorch call runs on the session's compute thread.
  StreamAnalyzer(std::shared_ptr<ModelSession> session, const EngineOptions& options);
  ~StreamAnalyzer();

  // Parses and encodes a `;`-separated list; throws legrad::Error. Later frames use it.
  void set_prompts(const std::string& list);
  // Prompts already encoded (benchmarks without a tokenizer).
  void set_prompts(std::shared_ptr<const PromptSet> prompts);
  std::string prompt_list() const;  // ';'-separated, "" before any

  // Analyses (or hands to the worker) the frame if it is due and returns what it carries: the
  // newest finished analysis. Throws legrad::Error when an analysis failed.
  FrameResult process(const StreamFrame& frame, const StreamSettings& settings);

  // Drops pending work, the analysis carried forward and the smoothing (seek, new frame size).
  void flush();
  StreamStats stats() const;
  int input_size() const { return engine_->input_size(); }
  const ClipModel& model() const { return engine_->model(); }
  bool gives_probabilities() const;

 private:
  struct Job;
  struct Outcome;  // an analysis or its error
  using Worker = NewestJobWorker<Job, std::shared_ptr<const Outcome>>;

  // The stream's prompts from now on, with their statistics (count, encoding time).
  void install_prompts(std::shared_ptr<const PromptSet> prompts, double encode_ms);
  std::shared_ptr<const PromptSet> prompts_for(const StreamFrame& frame);
  PromptSet encode(const std::string& list) const;
  void analyse_now(const Job& job, const FramePlanes& planes);
  void hand_to_worker(Job job, const FramePlanes& planes);
  // The worker's job: the frame's copy, with the boxes asked for now (they may change while it
  // waits).
  std::shared_ptr<const Outcome> analyse_on_worker(const Job& job);
  std::shared_ptr<const Outcome> analyse(const ImageView& image, const Job& job);
  Analysis explain(const ImageView& image, const Job& job) const;
  std::shared_ptr<const Outcome> newest(bool analysed, bool async);
  void record(const Outcome& outcome);
  FrameResult frame_result(std::shared_ptr<const Analysis> analysis, uint64_t frame_number,
                           const StreamFrame& frame, const StreamSettings& settings) const;

  std::shared_ptr<ModelSession> session_;
  std::unique_ptr<const LegradEngine> engine_;
  mutable std::mutex mutex_;  // guards prompts_, frame_prompts_, latest_, stats_ and the rest
  std::shared_ptr<const PromptSet> prompts_;
  std::pair<std::string, std::shared_ptr<const PromptSet>>
      frame_prompts_;  // the last per-frame list
  std::shared_ptr<const Outcome> latest_;
  StreamStats stats_;
  double total_ms_ = 0.0;
  std::deque<double> recent_ms_;
  uint64_t frame_number_ = 0;
  std::atomic<float> box_threshold_{-1.0f};  // the worker's: < 0 while boxes are off
  std::unique_ptr<Worker> worker_;
  std::mutex smoothing_mutex_;  // analyses finish on the streaming thread or the worker
  TemporalSmoothing smoothing_;
};

}  // namespace legrad
