#include "legradanalyzer.h"

#include <ATen/ATen.h>

#include <chrono>

#include "base/error.h"
#include "meta/gstlegradmeta.h"
#include "video/video_frame.h"

namespace legrad {
namespace {

bool to_pixel_format(GstVideoFormat format, PixelFormat* out) {
  switch (format) {
    case GST_VIDEO_FORMAT_RGB: *out = PixelFormat::RGB; return true;
    case GST_VIDEO_FORMAT_BGR: *out = PixelFormat::BGR; return true;
    case GST_VIDEO_FORMAT_RGBx: *out = PixelFormat::RGBx; return true;
    case GST_VIDEO_FORMAT_BGRx: *out = PixelFormat::BGRx; return true;
    case GST_VIDEO_FORMAT_xRGB: *out = PixelFormat::xRGB; return true;
    case GST_VIDEO_FORMAT_xBGR: *out = PixelFormat::xBGR; return true;
    case GST_VIDEO_FORMAT_RGBA: *out = PixelFormat::RGBA; return true;
    case GST_VIDEO_FORMAT_BGRA: *out = PixelFormat::BGRA; return true;
    case GST_VIDEO_FORMAT_ARGB: *out = PixelFormat::ARGB; return true;
    case GST_VIDEO_FORMAT_ABGR: *out = PixelFormat::ABGR; return true;
    case GST_VIDEO_FORMAT_I420: *out = PixelFormat::I420; return true;
    case GST_VIDEO_FORMAT_NV12: *out = PixelFormat::NV12; return true;
    default: return false;
  }
}

// A frame mapped for reading, described for the core.
class MappedFrame {
 public:
  MappedFrame(GstBuffer* buffer, const GstVideoInfo& info) {
    if (!to_pixel_format(GST_VIDEO_INFO_FORMAT(&info), &planes_.format))
      throw Error(std::string("unsupported video format ") +
                  gst_video_format_to_string(GST_VIDEO_INFO_FORMAT(&info)));
    if (!gst_video_frame_map(&frame_, const_cast<GstVideoInfo*>(&info), buffer, GST_MAP_READ))
      throw Error("cannot map the video frame for reading");
    planes_.width = GST_VIDEO_FRAME_WIDTH(&frame_);
    planes_.height = GST_VIDEO_FRAME_HEIGHT(&frame_);
    for (guint i = 0; i < GST_VIDEO_FRAME_N_PLANES(&frame_) && i < 3; ++i) {
      planes_.data[i] = static_cast<const uint8_t*>(GST_VIDEO_FRAME_PLANE_DATA(&frame_, i));
      planes_.stride[i] = GST_VIDEO_FRAME_PLANE_STRIDE(&frame_, i);
    }
    planes_.matrix = info.colorimetry.matrix == GST_VIDEO_COLOR_MATRIX_BT709 ? YuvMatrix::BT709
                                                                              : YuvMatrix::BT601;
    planes_.full_range = info.colorimetry.range == GST_VIDEO_COLOR_RANGE_0_255;
  }
  ~MappedFrame() { gst_video_frame_unmap(&frame_); }
  MappedFrame(const MappedFrame&) = delete;
  MappedFrame& operator=(const MappedFrame&) = delete;
  const FramePlanes& planes() const { return planes_; }

 private:
  GstVideoFrame frame_;
  FramePlanes planes_;
};

}  // namespace

AnalysisResult::~AnalysisResult() {
  for (GBytes* b : heatmaps) g_bytes_unref(b);
}

LegradAnalyzer::LegradAnalyzer(const std::string& model, const std::string& device,
                               int input_size, int layer_index, const std::string& instance_id)
    : engine_(shared_model(instance_id, model, "", device), input_size, layer_index) {}

LegradAnalyzer::~LegradAnalyzer() { worker_.reset(); }

void LegradAnalyzer::set_prompts(const std::string& list) {
  auto prompts = std::make_shared<const PromptSet>(engine_.encode_prompts(parse_prompt_list(list)));
  std::lock_guard<std::mutex> lock(mutex_);
  prompts_ = std::move(prompts);
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
  auto prompts =
      std::make_shared<const PromptSet>(engine_.encode_prompts(parse_prompt_list(meta->prompts)));
  std::lock_guard<std::mutex> lock(mutex_);
  meta_prompts_ = {meta->prompts, prompts};
  return prompts;
}

std::shared_ptr<const AnalysisResult> LegradAnalyzer::analyse(const ImageView& image,
                                                              const Job& job,
                                                              float roi_threshold) const {
  auto result = std::make_shared<AnalysisResult>();
  result->prompts = job.prompts;
  result->source_pts = job.pts;
  result->frame_number = job.frame_number;
  const auto start = std::chrono::steady_clock::now();
  try {
    const Explanation ex = engine_.explain(image, *job.prompts, job.method);
    const at::Tensor heat = ex.heatmaps.to(at::kCPU, at::kFloat).contiguous();
    const at::Tensor scores = ex.scores.to(at::kCPU, at::kFloat);
    result->size = static_cast<int>(heat.size(1));
    for (int64_t p = 0; p < heat.size(0); ++p) {
      const at::Tensor map = heat[p];
      result->heatmaps.push_back(g_bytes_new(map.data_ptr<float>(), map.numel() * sizeof(float)));
      result->scores.push_back(scores[p].item<float>());
      result->boxes.push_back(roi_threshold >= 0 ? largest_region(map, roi_threshold)
                                                 : std::nullopt);
    }
  } catch (const std::exception& e) {
    result->error = e.what();
  }
  result->inference_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return result;
}

void LegradAnalyzer::record(const AnalysisResult& result) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!result.error.empty()) return;
  stats_.frames_analyzed++;
  stats_.last_inference_ms = result.inference_ms;
  total_ms_ += result.inference_ms;
  stats_.mean_inference_ms = total_ms_ / static_cast<double>(stats_.frames_analyzed);
}

void LegradAnalyzer::process(GstBuffer* buffer, const GstVideoInfo& info,
                             const AnalyzerSettings& settings) {
  uint64_t frame_number;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    frame_number = frame_number_++;
  }
  // Boxes are only computed while someone wants them (a negative threshold: none).
  const float box_threshold = settings.attach_roi ? settings.roi_threshold : -1.0f;
  roi_threshold_ = box_threshold;
  const bool due = frame_number % std::max(settings.inference_interval, 1u) == 0;
  std::shared_ptr<const PromptSet> prompts = prompts_for(buffer);
  bool analysed = false;
  if (due && prompts) {
    Job job{at::Tensor(), prompts, GST_BUFFER_PTS(buffer), frame_number, settings.method};
    const MappedFrame mapped(buffer, info);
    if (settings.async) {
      // The buffer moves on before the worker is done: the worker gets a copy.
      job.rgb = frame_to_rgb(mapped.planes());
      if (!worker_) {
        worker_ = std::make_unique<AsyncAnalyzer<Job, std::shared_ptr<const AnalysisResult>>>(
            [this](const Job& j) {
              auto r = analyse(image_view(j.rgb), j, roi_threshold_);
              record(*r);
              return r;
            });
      }
      analysed = true;
      if (worker_->submit(std::move(job))) {
        std::lock_guard<std::mutex> lock(mutex_);
        stats_.frames_skipped++;  // the job it replaced will never run
      }
    } else {
      if (worker_) worker_->flush();  // mode switched to sync: forget async work
      // Packed RGB is read in place; YUV is converted first.
      at::Tensor rgb;
      if (!is_packed_rgb(mapped.planes().format)) rgb = frame_to_rgb(mapped.planes());
      const ImageView image = rgb.defined() ? image_view(rgb) : packed_view(mapped.planes());
      auto result = analyse(image, job, box_threshold);
      record(*result);
      std::lock_guard<std::mutex> lock(mutex_);
      latest_ = std::move(result);
      analysed = true;
    }
  }
  std::shared_ptr<const AnalysisResult> latest;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!analysed) stats_.frames_skipped++;
    if (settings.async && worker_)
      if (auto r = worker_->latest()) latest_ = *r;
    latest = latest_;
  }
  if (!latest) return;
  if (!latest->error.empty()) throw Error("analysis failed: " + latest->error);
  attach(buffer, info, *latest, frame_number, settings);
}

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
    GstLegradHeatmapMeta* meta = gst_buffer_add_legrad_heatmap_meta(
        buffer, text.c_str(), static_cast<guint>(p), result.scores[p], result.size, result.size,
        result.heatmaps[p], result.source_pts, age);
    if (!meta || !settings.attach_roi || result.scores[p] < settings.min_score || !result.boxes[p])
      continue;
    const Box b = scale_box(*result.boxes[p], result.size, result.size, GST_VIDEO_INFO_WIDTH(&info),
                            GST_VIDEO_INFO_HEIGHT(&info));
    GstVideoRegionOfInterestMeta* roi = gst_buffer_add_video_region_of_interest_meta(
        buffer, text.c_str(), b.x, b.y, b.width, b.height);
    gst_video_region_of_interest_meta_add_param(
        roi, gst_structure_new("legrad", "prompt", G_TYPE_STRING, text.c_str(), "score",
                               G_TYPE_DOUBLE, static_cast<double>(result.scores[p]), "prompt-index",
                               G_TYPE_UINT, static_cast<guint>(p), nullptr));
    roi->id = next_roi_id++;
    meta->roi_id = roi->id;
  }
}

void LegradAnalyzer::flush() {
  if (worker_) worker_->flush();
  std::lock_guard<std::mutex> lock(mutex_);
  latest_.reset();
  frame_number_ = 0;
}

AnalyzerStats LegradAnalyzer::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

}  // namespace legrad
