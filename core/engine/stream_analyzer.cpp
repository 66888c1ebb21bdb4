#include "engine/stream_analyzer.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "base/error.h"
#include "heatmap/drawing.h"
#include "model/clip_model.h"
#include "video/preprocess.h"

namespace legrad {

const std::vector<ChoiceInfo>& region_modes() {
  static const std::vector<ChoiceInfo> modes = {
      {"frame", "The whole frame"},
      {"roi-list", "Each GstVideoRegionOfInterestMeta (of roi-type) on the frame"},
  };
  return modes;
}

const std::vector<ChoiceInfo>& analysis_modes() {
  static const std::vector<ChoiceInfo> modes = {
      {"sync", "Every analysed frame waits for its own heatmap"},
      {"async", "Never wait: a worker analyses the newest frame"},
      {"auto", "async on live sources (they keep real time), sync otherwise"},
  };
  return modes;
}

struct StreamAnalyzer::Job {
  at::Tensor rgb;  // a copy of the frame, for the worker
  std::shared_ptr<const PromptSet> prompts;
  int64_t pts;
  uint64_t frame_number;
  StreamSettings settings;
  std::vector<Region> regions;
};

struct StreamAnalyzer::Outcome {
  std::shared_ptr<const Analysis> analysis;
  std::string error;  // instead of an analysis
};

namespace {

constexpr size_t kRecentAnalyses = 8;

// An explanation's maps, scores and presence probabilities (where the model gives them),
// appended on the host.
void append_host(const Explanation& ex, const ClipModel& model, Analysis& out) {
  const auto append = [](const at::Tensor& t, std::vector<float>& to) {
    const at::Tensor host = t.to(at::kCPU, at::kFloat).contiguous();
    to.insert(to.end(), host.data_ptr<float>(), host.data_ptr<float>() + host.numel());
  };
  out.size = static_cast<int>(ex.heatmaps.size(1));
  append(ex.heatmaps, out.maps);
  append(ex.scores, out.scores);
  const at::Tensor probability = model.presence_probability(ex.scores);
  if (probability.defined()) append(probability, out.probabilities);
}

}  // namespace

StreamAnalyzer::StreamAnalyzer(std::shared_ptr<ModelSession> session, const EngineOptions& options)
    : session_(session),
      // On the compute thread: the engine encodes the correction text of SigLIP models.
      engine_(session->compute().call(
          [&] { return std::make_unique<const LegradEngine>(session->model(), options); })) {}

StreamAnalyzer::~StreamAnalyzer() { worker_.reset(); }

PromptSet StreamAnalyzer::encode(const std::string& list) const {
  const std::vector<std::string> texts = parse_prompt_list(list);
  return session_->compute().call([&] { return engine_->encode_prompts(texts); });
}

void StreamAnalyzer::set_prompts(const std::string& list) {
  const auto start = std::chrono::steady_clock::now();
  auto prompts = std::make_shared<const PromptSet>(encode(list));
  install_prompts(
      std::move(prompts),
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
}

void StreamAnalyzer::set_prompts(std::shared_ptr<const PromptSet> prompts) {
  install_prompts(std::move(prompts), 0.0);
}

void StreamAnalyzer::install_prompts(std::shared_ptr<const PromptSet> prompts, double encode_ms) {
  std::lock_guard<std::mutex> lock(mutex_);
  stats_.prompts = prompts->texts.size();
  stats_.prompts_encode_ms = encode_ms;
  stats_.analyzed_with_prompts = 0;
  prompts_ = std::move(prompts);
}

std::string StreamAnalyzer::prompt_list() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return prompts_ ? join_prompt_list(prompts_->texts) : "";
}

bool StreamAnalyzer::gives_probabilities() const {
  return engine_->model().gives_presence_probability();
}

std::shared_ptr<const PromptSet> StreamAnalyzer::prompts_for(const StreamFrame& frame) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!frame.prompt_list) return prompts_;
    if (frame_prompts_.second && frame_prompts_.first == *frame.prompt_list)
      return frame_prompts_.second;
  }
  auto prompts = std::make_shared<const PromptSet>(encode(*frame.prompt_list));
  std::lock_guard<std::mutex> lock(mutex_);
  frame_prompts_ = {*frame.prompt_list, prompts};
  return prompts;
}

FrameResult StreamAnalyzer::process(const StreamFrame& frame, const StreamSettings& settings) {
  uint64_t frame_number;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    frame_number = frame_number_++;
  }
  // Boxes are only computed while someone wants them (a negative threshold: none).
  box_threshold_ = settings.attach_boxes ? settings.box_threshold : -1.0f;
  const bool roi_list = settings.region == RegionMode::RoiList;
  const bool due = frame_number % std::max(settings.inference_interval, 1u) == 0;
  std::shared_ptr<const PromptSet> prompts = prompts_for(frame);
  std::vector<Region> regions;
  if (roi_list && due && prompts && frame.regions) regions = frame.regions();
  const bool analysed = due && prompts && (!roi_list || !regions.empty());
  const bool async = settings.async && !roi_list;
  if (analysed) {
    Job job{at::Tensor(), std::move(prompts), frame.pts,
            frame_number, settings,           std::move(regions)};
    if (async)
      hand_to_worker(std::move(job), frame.planes());
    else
      analyse_now(job, frame.planes());
  }
  const std::shared_ptr<const Outcome> latest = newest(analysed, async);
  if (!latest) return {};
  if (!latest->error.empty()) throw Error("analysis failed: " + latest->error);
  // An object's maps go on the frame that carried the objects only.
  if (latest->analysis->covers_regions() && latest->analysis->frame_number != frame_number)
    return {};
  return frame_result(latest->analysis, frame_number, frame, settings);
}

void StreamAnalyzer::analyse_now(const Job& job, const FramePlanes& planes) {
  if (worker_) worker_->flush();  // switched to sync: forget async work
  // Packed RGB is read in place; YUV is converted first.
  at::Tensor rgb;
  if (!is_packed_rgb(planes.format)) rgb = frame_to_rgb(planes);
  auto outcome = analyse(rgb.defined() ? image_view(rgb) : packed_view(planes), job);
  record(*outcome);
  std::lock_guard<std::mutex> lock(mutex_);
  latest_ = std::move(outcome);
}

void StreamAnalyzer::hand_to_worker(Job job, const FramePlanes& planes) {
  // The frame moves on before the worker is done: the worker gets a copy.
  job.rgb = frame_to_rgb(planes);
  if (!worker_)
    worker_ = std::make_unique<Worker>([this](const Job& j) { return analyse_on_worker(j); });
  if (worker_->submit(std::move(job))) {
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.frames_skipped++;  // the job it replaced will never run
  }
}

std::shared_ptr<const StreamAnalyzer::Outcome> StreamAnalyzer::analyse_on_worker(const Job& job) {
  Job job_now = job;
  const float threshold = box_threshold_;  // read once: a negative one is "no boxes"
  job_now.settings.attach_boxes = threshold >= 0;
  job_now.settings.box_threshold = threshold;
  auto outcome = analyse(image_view(job.rgb), job_now);
  record(*outcome);
  return outcome;
}

std::shared_ptr<const StreamAnalyzer::Outcome> StreamAnalyzer::analyse(const ImageView& image,
                                                                       const Job& job) {
  auto outcome = std::make_shared<Outcome>();
  const auto start = std::chrono::steady_clock::now();
  try {
    auto analysis = std::make_shared<Analysis>(explain(image, job));
    const StreamSettings& s = job.settings;
    if (!analysis->covers_regions()) {
      // LibTorch stays on the compute thread; the rest is plain loops (a tensor operation here
      // would start a thread pool of this thread's own).
      std::lock_guard<std::mutex> lock(smoothing_mutex_);
      smoothing_.apply(job.prompts->texts, analysis->size, s.smoothing, analysis->maps);
      for (size_t p = 0; s.attach_boxes && p < analysis->map_count(); ++p)
        analysis->boxes.push_back(largest_region(
            HeatmapView{analysis->map(p), analysis->size, analysis->size}, s.box_threshold));
    }
    analysis->inference_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    outcome->analysis = std::move(analysis);
  } catch (const std::exception& e) {
    outcome->error = *e.what() ? e.what() : "unknown error";
  }
  return outcome;
}

Analysis StreamAnalyzer::explain(const ImageView& image, const Job& job) const {
  Analysis out;
  out.prompts = job.prompts->texts;
  out.source_pts = job.pts;
  out.frame_number = job.frame_number;
  out.regions = job.regions;
  out.size = engine_->input_size();
  std::vector<ImageView> targets;
  for (const Region& r : job.regions)
    targets.push_back(crop_view(image, r.x, r.y, r.width, r.height));
  if (targets.empty()) targets.push_back(image);
  const StreamSettings& s = job.settings;
  ComputeThread& compute = session_->compute();
  if (s.batch_size > 1) {  // with other streams' frames and objects
    const std::vector<Explanation> all = session_->scheduler().explain(
        {engine_.get(), targets, job.prompts.get(), s.method, s.batch_size,
         std::chrono::milliseconds(s.batch_timeout_ms)});
    compute.run([&] {
      for (const Explanation& ex : all) append_host(ex, engine_->model(), out);
    });
    return out;
  }
  compute.run([&] {
    if (targets.size() == 1)
      return append_host(engine_->explain(targets[0], *job.prompts, s.method), engine_->model(),
                         out);
    const std::vector<const PromptSet*> prompts(targets.size(), job.prompts.get());
    for (const Explanation& ex : engine_->explain_batch(targets, prompts, s.method))
      append_host(ex, engine_->model(), out);
  });
  return out;
}

void StreamAnalyzer::record(const Outcome& outcome) {
  if (!outcome.analysis) return;
  const double ms = outcome.analysis->inference_ms;
  std::lock_guard<std::mutex> lock(mutex_);
  stats_.frames_analyzed++;
  stats_.analyzed_with_prompts++;
  stats_.last_inference_ms = ms;
  total_ms_ += ms;
  stats_.mean_inference_ms = total_ms_ / static_cast<double>(stats_.frames_analyzed);
  recent_ms_.push_back(ms);
  if (recent_ms_.size() > kRecentAnalyses) recent_ms_.pop_front();
  stats_.recent_max_inference_ms = *std::max_element(recent_ms_.begin(), recent_ms_.end());
}

std::shared_ptr<const StreamAnalyzer::Outcome> StreamAnalyzer::newest(bool analysed, bool async) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!analysed) stats_.frames_skipped++;
  if (async && worker_)
    if (auto r = worker_->latest()) latest_ = *r;
  return latest_;
}

FrameResult StreamAnalyzer::frame_result(std::shared_ptr<const Analysis> analysis,
                                         uint64_t frame_number, const StreamFrame& frame,
                                         const StreamSettings& settings) const {
  FrameResult out;
  out.age = frame_number >= analysis->frame_number ? frame_number - analysis->frame_number : 0;
  for (size_t i = 0; i < analysis->map_count(); ++i) {
    out.present.push_back(settings.presence.present(analysis->scores[i], analysis->probability(i)));
    if (analysis->covers_regions()) continue;
    std::optional<Box> box;
    if (settings.attach_boxes && out.present[i] && i < analysis->boxes.size() && analysis->boxes[i])
      box =
          scale_box(*analysis->boxes[i], analysis->size, analysis->size, frame.width, frame.height);
    out.boxes.push_back(box);
  }
  out.analysis = std::move(analysis);
  return out;
}

void StreamAnalyzer::flush() {
  if (worker_) worker_->flush();
  {
    std::lock_guard<std::mutex> lock(smoothing_mutex_);
    smoothing_.reset();
  }
  std::lock_guard<std::mutex> lock(mutex_);
  latest_.reset();
  frame_number_ = 0;
}

StreamStats StreamAnalyzer::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

std::string pace_warning(const StreamStats& stats, double frames_per_second,
                         unsigned inference_interval, bool async) {
  if (stats.analyzed_with_prompts < 2 || frames_per_second <= 0) return "";
  const double frame_ms = 1000.0 / frames_per_second;
  const unsigned interval = std::max(1u, inference_interval);
  const unsigned allowed = async ? std::max(interval, kStaleAfterFrames) : interval;
  if (stats.last_inference_ms <= frame_ms * allowed) return "";
  char cost[200], effect[200];
  std::snprintf(cost, sizeof cost,
                "%zu prompt%s take %.0f ms an analysis, and frames come every %.0f ms at %.3g fps",
                stats.prompts, stats.prompts == 1 ? "" : "s", stats.last_inference_ms, frame_ms,
                frames_per_second);
  if (async)
    std::snprintf(effect, sizeof effect,
                  "the heatmaps lag the video by about %.0f frames (stale past %u)",
                  stats.last_inference_ms / frame_ms, kStaleAfterFrames);
  else
    std::snprintf(effect, sizeof effect,
                  "each analysed frame (one in %u) waits for its analysis, and the stream "
                  "falls behind",
                  interval);
  return std::string(cost) + ": " + effect;
}

}  // namespace legrad
