// What the `legrad` element does with each frame, without the GObject shell: which frames
// are analysed (inference-interval), where (streaming thread or worker), with which prompts,
// and the metadata attached to every outgoing frame.
#pragma once

#include <gst/gst.h>
#include <gst/video/video.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/async_analyzer.h"
#include "engine/batch_scheduler.h"
#include "engine/compute_thread.h"
#include "engine/engine.h"
#include "heatmap/boxes.h"
#include "heatmap/temporal_smoothing.h"
#include "video/video_frame.h"

namespace legrad {

constexpr unsigned kDefaultInferenceInterval = 1;

// A region of interest in frame pixels, from an upstream detector (region=roi-list).
struct RegionOfInterest {
  int id = -1;
  int x = 0, y = 0, width = 0, height = 0;
};

// The GstVideoRegionOfInterestMetas of `buffer` whose type is `roi_type` (empty: any),
// clipped to the frame; regions left empty by the clipping are skipped.
std::vector<RegionOfInterest> regions_of(GstBuffer* buffer, const GstVideoInfo& info,
                                         const std::string& roi_type);

// The element's per-frame properties, with their defaults.
struct AnalyzerSettings {
  ExplainMethod method = kDefaultMethod;
  unsigned inference_interval = kDefaultInferenceInterval;
  bool async = false;  // the element's mode, resolved for the stream (sync, async, auto)
  bool attach_roi = false;
  float roi_threshold = kDefaultRoiThreshold;
  float min_score = kDefaultMinScore;
  float min_probability = kDefaultMinProbability;  // where the model gives probabilities
  float smoothing = kDefaultSmoothing;
  unsigned batch_size = kDefaultBatchSize;  // > 1: frames of elements sharing the model batched
  unsigned batch_timeout_ms = kDefaultBatchTimeoutMs;
  // Explain each upstream region of interest (of type roi_type, "" = any) instead of the
  // frame: always in sync, no smoothing, heatmaps only on the frame they come from.
  bool roi_list = false;
  std::string roi_type;
};

struct AnalyzerStats {
  uint64_t frames_analyzed = 0;
  uint64_t frames_skipped = 0;
  double mean_inference_ms = 0.0;
  double last_inference_ms = 0.0;
  double recent_max_inference_ms = 0.0;  // the longest of the last kRecentAnalyses
};

// One finished analysis, shared by every frame that carries it.
struct AnalysisResult {
  std::shared_ptr<const PromptSet> prompts;
  std::vector<GBytes*> heatmaps;  // per prompt, size x size floats; owned (unref on destroy)
  std::vector<float> scores;
  std::vector<float> probabilities;       // beside scores; empty where the model gives none
  std::vector<std::optional<Box>> boxes;  // in heatmap pixels
  // region=roi-list: the regions explained; heatmaps and scores are [region][prompt].
  bool roi_list = false;
  std::vector<RegionOfInterest> regions;
  int size = 0;
  GstClockTime source_pts = GST_CLOCK_TIME_NONE;
  uint64_t frame_number = 0;
  double inference_ms = 0.0;
  std::string error;  // set instead of the rest when the analysis failed
  AnalysisResult() = default;
  AnalysisResult(const AnalysisResult&) = delete;
  AnalysisResult& operator=(const AnalysisResult&) = delete;
  ~AnalysisResult();
};

class LegradAnalyzer {
 public:
  // Validates options.input_size and layer_index against the model; throws legrad::Error.
  // Every LibTorch call runs on `compute` (the thread the model was loaded on).
  LegradAnalyzer(std::shared_ptr<const LoadedModel> model, const EngineOptions& options,
                 std::shared_ptr<ComputeThread> compute);
  ~LegradAnalyzer();

  // Parses and encodes a `;`-separated list now; throws legrad::Error. Frames after this
  // call use the new prompts.
  void set_prompts(const std::string& list);
  // The prompts in use, ';'-separated ("" before any).
  std::string prompt_list() const;

  // Analyses (or schedules) the frame and attaches the newest heatmaps to `buffer` (writable;
  // its pixels are only read). Throws legrad::Error when an analysis failed.
  void process(GstBuffer* buffer, const GstVideoInfo& info, const AnalyzerSettings& settings);

  // Drops pending work and the heatmap carried forward (flushing seek, caps change).
  void flush();
  AnalyzerStats stats() const;
  int input_size() const { return engine_.input_size(); }
  at::ScalarType dtype() const;      // what the model computes in
  bool gives_probabilities() const;  // presence probabilities beside the scores

 private:
  struct Job {
    at::Tensor rgb;  // a copy of the frame, for the async worker
    std::shared_ptr<const PromptSet> prompts;
    GstClockTime pts;
    uint64_t frame_number;
    ExplainMethod method;
    float smoothing;
    unsigned batch_size;
    unsigned batch_timeout_ms;
    bool roi_list;
    std::vector<RegionOfInterest> regions;
  };
  // An explanation's maps ([P][size x size]), scores and presence probabilities (where the
  // model gives them), on the host.
  struct ComputedMaps {
    std::vector<float> maps, scores, probabilities;
    int size = 0;
  };
  // roi_threshold < 0: no boxes.
  std::shared_ptr<const AnalysisResult> analyse(const ImageView& image, const Job& job,
                                                float roi_threshold);
  // analyse()'s LibTorch part, on the compute thread (batched with other elements' frames
  // when job.batch_size > 1); throws.
  ComputedMaps compute_maps(const ImageView& image, const Job& job) const;
  // The regions' crops in one batch (region=roi-list), with other streams' frames and crops
  // when job.batch_size > 1.
  ComputedMaps compute_region_maps(const ImageView& image, const Job& job) const;
  void append_host_maps(const Explanation& ex, ComputedMaps& out) const;
  static void fill_result(AnalysisResult& result, const ComputedMaps& computed,
                          float roi_threshold);
  PromptSet encode(const std::string& list) const;  // a `;`-separated list; throws
  using Worker = AsyncAnalyzer<Job, std::shared_ptr<const AnalysisResult>>;
  uint64_t next_frame_number();
  // The frame's analysis on the worker (async) or now (sync), its result kept as the newest.
  void submit(Job job, const FramePlanes& frame);
  void analyse_now(const Job& job, const FramePlanes& frame, float roi_threshold);
  // The newest finished analysis, counting the frame as skipped when it was not analysed.
  std::shared_ptr<const AnalysisResult> newest_result(bool analysed, bool async);
  std::shared_ptr<const PromptSet> prompts_for(GstBuffer* buffer);
  void attach(GstBuffer* buffer, const GstVideoInfo& info, const AnalysisResult& result,
              uint64_t frame_number, const AnalyzerSettings& settings) const;
  static void attach_regions(GstBuffer* buffer, const AnalysisResult& result);
  void record(const AnalysisResult& result);

  LegradEngine engine_;
  std::shared_ptr<ComputeThread> compute_;
  std::shared_ptr<BatchScheduler> scheduler_;
  mutable std::mutex mutex_;  // guards prompts_, meta_prompts_, latest_, stats_
  std::shared_ptr<const PromptSet> prompts_;
  std::pair<std::string, std::shared_ptr<const PromptSet>> meta_prompts_;  // cache for prompt metas
  std::shared_ptr<const AnalysisResult> latest_;
  AnalyzerStats stats_;
  double total_ms_ = 0.0;
  static constexpr size_t kRecentAnalyses = 8;
  std::deque<double> recent_ms_;  // the last analyses' times, for recent_max_inference_ms
  uint64_t frame_number_ = 0;
  std::atomic<float> roi_threshold_{-1.0f};  // the worker's: < 0 while boxes are off
  std::unique_ptr<Worker> worker_;
  std::mutex smoothing_mutex_;  // analyses finish on the streaming thread or the worker
  TemporalSmoothing smoothing_;
};

}  // namespace legrad
