#include "legradanalyzer.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <chrono>

#include "base/error.h"
#include "legradframe.h"
#include "meta/gstlegradmeta.h"
#include "model/clip_model.h"
#include "video/pixel_view.h"
#include "video/video_frame.h"

namespace legrad {
AnalysisResult::~AnalysisResult() {
  for (GBytes* b : heatmaps) g_bytes_unref(b);
}

LegradAnalyzer::LegradAnalyzer(std::shared_ptr<const LoadedModel> model,
                               const EngineOptions& options, std::shared_ptr<ComputeThread> compute)
    : engine_(model, options),
      compute_(compute),
      scheduler_(shared_batch_scheduler(*model, std::move(compute))) {}

PromptSet LegradAnalyzer::encode(const std::string& list) const {
  const std::vector<std::string> texts = parse_prompt_list(list);
  return compute_->call([&] { return engine_.encode_prompts(texts); });
}

LegradAnalyzer::~LegradAnalyzer() { worker_.reset(); }

void LegradAnalyzer::set_prompts(const std::string& list) {
  auto prompts = std::make_shared<const PromptSet>(encode(list));
  std::lock_guard<std::mutex> lock(mutex_);
  prompts_ = std::move(prompts);
}

std::string LegradAnalyzer::prompt_list() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return prompts_ ? join_prompt_list(prompts_->texts) : "";
}

std::shared_ptr<const PromptSet> LegradAnalyzer::prompts_for(GstBuffer* buffer) {
  GstLegradPromptsMeta* meta = gst_buffer_get_legrad_prompts_meta(buffer);
  if (!meta || !meta->prompts) {
    std::lock_guard<std::mutex> lock(mutex_);
    return prompts_;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (meta_prompts_.second && meta_prompts_.first == meta->prompts) return meta_prompts_.second;
  }
  auto prompts = std::make_shared<const PromptSet>(encode(meta->prompts));
  std::lock_guard<std::mutex> lock(mutex_);
  meta_prompts_ = {meta->prompts, prompts};
  return prompts;
}

std::shared_ptr<const AnalysisResult> LegradAnalyzer::analyse(const ImageView& image,
                                                              const Job& job, float roi_threshold) {
  auto result = std::make_shared<AnalysisResult>();
  result->prompts = job.prompts;
  result->source_pts = job.pts;
  result->frame_number = job.frame_number;
  const auto start = std::chrono::steady_clock::now();
  try {
    // LibTorch on the compute thread; the rest is plain loops (a tensor operation here would
    // start a thread pool of this thread's own).
    ComputedMaps computed = compute_maps(image, job);
    if (!job.roi_list) {  // one map per prompt over the whole frame: smoothed over frames
      std::lock_guard<std::mutex> lock(smoothing_mutex_);
      smoothing_.apply(job.prompts->texts, computed.size, job.smoothing, computed.maps);
    }
    fill_result(*result, computed, job.roi_list ? -1.0f : roi_threshold);
    result->roi_list = job.roi_list;
    result->regions = job.regions;
  } catch (const std::exception& e) {
    result->error = e.what();
  }
  result->inference_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return result;
}

LegradAnalyzer::ComputedMaps LegradAnalyzer::compute_maps(const ImageView& image,
                                                          const Job& job) const {
  if (job.roi_list) return compute_region_maps(image, job);
  ComputedMaps out;
  if (job.batch_size <= 1) {
    compute_->run([&] { append_host_maps(engine_.explain(image, *job.prompts, job.method), out); });
    return out;
  }
  const Explanation ex = scheduler_->explain({&engine_,
                                              {image},
                                              job.prompts.get(),
                                              job.method,
                                              job.batch_size,
                                              std::chrono::milliseconds(job.batch_timeout_ms)})[0];
  compute_->run([&] { append_host_maps(ex, out); });
  return out;
}

LegradAnalyzer::ComputedMaps LegradAnalyzer::compute_region_maps(const ImageView& image,
                                                                 const Job& job) const {
  ComputedMaps out;
  out.size = engine_.input_size();
  std::vector<ImageView> crops;
  for (const RegionOfInterest& r : job.regions)
    crops.push_back(crop_view(image, r.x, r.y, r.width, r.height));
  if (job.batch_size > 1) {  // with other streams' frames and crops
    const std::vector<Explanation> all =
        scheduler_->explain({&engine_, crops, job.prompts.get(), job.method, job.batch_size,
                             std::chrono::milliseconds(job.batch_timeout_ms)});
    compute_->run([&] {
      for (const Explanation& ex : all) append_host_maps(ex, out);
    });
    return out;
  }
  const std::vector<const PromptSet*> prompts(crops.size(), job.prompts.get());
  compute_->run([&] {
    for (const Explanation& ex : engine_.explain_batch(crops, prompts, job.method))
      append_host_maps(ex, out);
  });
  return out;
}

void LegradAnalyzer::append_host_maps(const Explanation& ex, ComputedMaps& out) const {
  const auto append = [](const at::Tensor& t, std::vector<float>& to) {
    const at::Tensor host = t.to(at::kCPU, at::kFloat).contiguous();
    to.insert(to.end(), host.data_ptr<float>(), host.data_ptr<float>() + host.numel());
  };
  out.size = static_cast<int>(ex.heatmaps.size(1));
  append(ex.heatmaps, out.maps);
  append(ex.scores, out.scores);
  const at::Tensor probability = engine_.model().presence_probability(ex.scores);
  if (probability.defined()) append(probability, out.probabilities);
}

void LegradAnalyzer::fill_result(AnalysisResult& result, const ComputedMaps& computed,
                                 float roi_threshold) {
  result.size = computed.size;
  result.scores = computed.scores;
  result.probabilities = computed.probabilities;
  const size_t area = static_cast<size_t>(computed.size) * computed.size;
  for (size_t p = 0; p < computed.scores.size(); ++p) {
    const float* map = computed.maps.data() + p * area;
    result.heatmaps.push_back(g_bytes_new(map, area * sizeof(float)));
    const HeatmapView view{map, computed.size, computed.size};
    result.boxes.push_back(roi_threshold >= 0 ? largest_region(view, roi_threshold) : std::nullopt);
  }
}

void LegradAnalyzer::record(const AnalysisResult& result) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!result.error.empty()) return;
  stats_.frames_analyzed++;
  stats_.last_inference_ms = result.inference_ms;
  total_ms_ += result.inference_ms;
  stats_.mean_inference_ms = total_ms_ / static_cast<double>(stats_.frames_analyzed);
  recent_ms_.push_back(result.inference_ms);
  if (recent_ms_.size() > kRecentAnalyses) recent_ms_.pop_front();
  stats_.recent_max_inference_ms = *std::max_element(recent_ms_.begin(), recent_ms_.end());
}

void LegradAnalyzer::process(GstBuffer* buffer, const GstVideoInfo& info,
                             const AnalyzerSettings& settings) {
  const uint64_t frame_number = next_frame_number();
  // Boxes are only computed while someone wants them (a negative threshold: none).
  const float roi_threshold = settings.attach_roi ? settings.roi_threshold : -1.0f;
  roi_threshold_ = roi_threshold;
  const bool due = frame_number % std::max(settings.inference_interval, 1u) == 0;
  const std::shared_ptr<const PromptSet> prompts = prompts_for(buffer);
  std::vector<RegionOfInterest> regions;  // only looked up for frames that are analysed
  if (settings.roi_list && due && prompts) regions = regions_of(buffer, info, settings.roi_type);
  const bool analysed = due && prompts && (!settings.roi_list || !regions.empty());
  if (analysed) {
    Job job{at::Tensor(),           prompts,
            GST_BUFFER_PTS(buffer), frame_number,
            settings.method,        settings.smoothing,
            settings.batch_size,    settings.batch_timeout_ms,
            settings.roi_list,      std::move(regions)};
    const MappedFrame mapped(buffer, info);
    if (settings.async)
      submit(std::move(job), mapped.planes());
    else
      analyse_now(job, mapped.planes(), roi_threshold);
  }
  const std::shared_ptr<const AnalysisResult> latest = newest_result(analysed, settings.async);
  if (!latest) return;
  if (!latest->error.empty()) throw Error("analysis failed: " + latest->error);
  if (latest->roi_list) {
    // The regions are this frame's objects: their maps go on this frame only.
    if (analysed && latest->frame_number == frame_number) attach_regions(buffer, *latest);
    return;
  }
  attach(buffer, info, *latest, frame_number, settings);
}

uint64_t LegradAnalyzer::next_frame_number() {
  std::lock_guard<std::mutex> lock(mutex_);
  return frame_number_++;
}

void LegradAnalyzer::submit(Job job, const FramePlanes& frame) {
  // The buffer moves on before the worker is done: the worker gets a copy.
  job.rgb = frame_to_rgb(frame);
  if (!worker_) {
    worker_ = std::make_unique<Worker>([this](const Job& j) {
      auto r = analyse(image_view(j.rgb), j, roi_threshold_);
      record(*r);
      return r;
    });
  }
  if (worker_->submit(std::move(job))) {
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.frames_skipped++;  // the job it replaced will never run
  }
}

void LegradAnalyzer::analyse_now(const Job& job, const FramePlanes& frame, float roi_threshold) {
  if (worker_) worker_->flush();  // mode switched to sync: forget async work
  // Packed RGB is read in place; YUV is converted first.
  at::Tensor rgb;
  if (!is_packed_rgb(frame.format)) rgb = frame_to_rgb(frame);
  auto result = analyse(rgb.defined() ? image_view(rgb) : packed_view(frame), job, roi_threshold);
  record(*result);
  std::lock_guard<std::mutex> lock(mutex_);
  latest_ = std::move(result);
}

std::shared_ptr<const AnalysisResult> LegradAnalyzer::newest_result(bool analysed, bool async) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!analysed) stats_.frames_skipped++;
  if (async && worker_)
    if (auto r = worker_->latest()) latest_ = *r;
  return latest_;
}

bool LegradAnalyzer::gives_probabilities() const {
  return engine_.model().gives_presence_probability();
}

namespace {

// The heatmap meta of result's map `i` (prompt `prompt`), with its score and probability.
GstLegradHeatmapMeta* add_heatmap_meta(GstBuffer* buffer, const AnalysisResult& result, size_t i,
                                       size_t prompt, uint64_t age) {
  GstLegradHeatmapMeta* meta = gst_buffer_add_legrad_heatmap_meta(
      buffer, result.prompts->texts[prompt].c_str(), static_cast<guint>(prompt), result.scores[i],
      result.size, result.size, result.heatmaps[i], result.source_pts, age);
  if (meta && !result.probabilities.empty()) meta->probability = result.probabilities[i];
  return meta;
}

// Whether prompt p is present enough for a box: its score reaches min-score and, where the
// model gives a probability, that reaches min-probability.
bool boxed(const AnalysisResult& result, size_t p, const AnalyzerSettings& settings) {
  return result.scores[p] >= settings.min_score &&
         (result.probabilities.empty() || result.probabilities[p] >= settings.min_probability);
}

}  // namespace

void LegradAnalyzer::attach(GstBuffer* buffer, const GstVideoInfo& info,
                            const AnalysisResult& result, uint64_t frame_number,
                            const AnalyzerSettings& settings) const {
  const uint64_t age = frame_number >= result.frame_number ? frame_number - result.frame_number : 0;
  // New ROI metas start with id 0; heatmaps find theirs by id, so every ROI on the buffer
  // (upstream detectors' included) needs its own.
  gint next_roi_id = 0;
  gpointer state = nullptr;
  while (GstMeta* m = gst_buffer_iterate_meta_filtered(buffer, &state,
                                                       GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))
    next_roi_id = std::max(next_roi_id, reinterpret_cast<GstVideoRegionOfInterestMeta*>(m)->id + 1);
  for (size_t p = 0; p < result.heatmaps.size(); ++p) {
    const std::string& text = result.prompts->texts[p];
    GstLegradHeatmapMeta* meta = add_heatmap_meta(buffer, result, p, p, age);
    if (!meta || !settings.attach_roi || !result.boxes[p] || !boxed(result, p, settings)) continue;
    const Box b = scale_box(*result.boxes[p], result.size, result.size, GST_VIDEO_INFO_WIDTH(&info),
                            GST_VIDEO_INFO_HEIGHT(&info));
    GstVideoRegionOfInterestMeta* roi = gst_buffer_add_video_region_of_interest_meta(
        buffer, text.c_str(), b.x, b.y, b.width, b.height);
    GstStructure* param =
        gst_structure_new("legrad", "prompt", G_TYPE_STRING, text.c_str(), "score", G_TYPE_DOUBLE,
                          static_cast<double>(result.scores[p]), "prompt-index", G_TYPE_UINT,
                          static_cast<guint>(p), nullptr);
    if (!result.probabilities.empty())
      gst_structure_set(param, "probability", G_TYPE_DOUBLE,
                        static_cast<double>(result.probabilities[p]), nullptr);
    gst_video_region_of_interest_meta_add_param(roi, param);
    roi->id = next_roi_id++;
    meta->roi_id = roi->id;
  }
}

void LegradAnalyzer::attach_regions(GstBuffer* buffer, const AnalysisResult& result) {
  const size_t prompts = result.prompts->texts.size();
  for (size_t r = 0; r < result.regions.size(); ++r)
    for (size_t p = 0; p < prompts; ++p) {
      GstLegradHeatmapMeta* meta = add_heatmap_meta(buffer, result, r * prompts + p, p, 0);
      if (!meta) continue;
      meta->roi_id = result.regions[r].id;
      meta->covers_roi = TRUE;
    }
}

std::vector<RegionOfInterest> regions_of(GstBuffer* buffer, const GstVideoInfo& info,
                                         const std::string& roi_type) {
  const int width = GST_VIDEO_INFO_WIDTH(&info), height = GST_VIDEO_INFO_HEIGHT(&info);
  const GQuark type = roi_type.empty() ? 0 : g_quark_from_string(roi_type.c_str());
  std::vector<RegionOfInterest> out;
  gpointer state = nullptr;
  while (GstMeta* m = gst_buffer_iterate_meta_filtered(
             buffer, &state, GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE)) {
    const auto* roi = reinterpret_cast<GstVideoRegionOfInterestMeta*>(m);
    if (type && roi->roi_type != type) continue;
    // Detectors' boxes may reach past the frame's edges (unsigned, so only on the far side).
    const int x = static_cast<int>(std::min<guint>(roi->x, width));
    const int y = static_cast<int>(std::min<guint>(roi->y, height));
    const int w = static_cast<int>(std::min<guint64>(roi->w, static_cast<guint64>(width - x)));
    const int h = static_cast<int>(std::min<guint64>(roi->h, static_cast<guint64>(height - y)));
    if (w > 0 && h > 0) out.push_back({roi->id, x, y, w, h});
  }
  return out;
}

void LegradAnalyzer::flush() {
  if (worker_) worker_->flush();
  {
    std::lock_guard<std::mutex> lock(smoothing_mutex_);
    smoothing_.reset();
  }
  std::lock_guard<std::mutex> lock(mutex_);
  latest_.reset();
  frame_number_ = 0;
}

at::ScalarType LegradAnalyzer::dtype() const { return engine_.model().dtype(); }

AnalyzerStats LegradAnalyzer::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

}  // namespace legrad
