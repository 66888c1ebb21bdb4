#include "legradbufferadapter.h"

#include <algorithm>
#include <memory>

#include "meta/gstlegradmeta.h"

namespace legrad {

std::vector<Region> regions_of(GstBuffer* buffer, const GstVideoInfo& info,
                               const std::string& roi_type) {
  const GQuark type = roi_type.empty() ? 0 : g_quark_from_string(roi_type.c_str());
  std::vector<Region> out;
  gpointer state = nullptr;
  while (GstMeta* m = gst_buffer_iterate_meta_filtered(
             buffer, &state, GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE)) {
    const auto* roi = reinterpret_cast<GstVideoRegionOfInterestMeta*>(m);
    if (type && roi->roi_type != type) continue;
    guint x, y, w, h;
    if (gst_legrad_clip_region(roi, GST_VIDEO_INFO_WIDTH(&info), GST_VIDEO_INFO_HEIGHT(&info), &x,
                               &y, &w, &h))
      out.push_back({roi->id, int(x), int(y), int(w), int(h)});
  }
  return out;
}

std::optional<std::string> prompt_list_of(GstBuffer* buffer) {
  const GstLegradPromptsMeta* meta = gst_buffer_get_legrad_prompts_meta(buffer);
  if (!meta || !meta->prompts) return std::nullopt;
  return std::string(meta->prompts);
}

namespace {

// Map `i` of the analysis as bytes that keep the analysis alive: no copy per frame.
GBytes* map_bytes(const std::shared_ptr<const Analysis>& analysis, size_t i) {
  auto* owner = new std::shared_ptr<const Analysis>(analysis);
  const size_t area = size_t(analysis->size) * size_t(analysis->size);
  return g_bytes_new_with_free_func(
      analysis->map(i), area * sizeof(float),
      [](gpointer p) { delete static_cast<std::shared_ptr<const Analysis>*>(p); }, owner);
}

// The heatmap meta of map `i` (prompt `prompt`), with its score and probability.
GstLegradHeatmapMeta* add_heatmap_meta(GstBuffer* buffer, const FrameResult& result, size_t i,
                                       size_t prompt) {
  const Analysis& a = *result.analysis;
  GBytes* values = map_bytes(result.analysis, i);
  GstLegradHeatmapMeta* meta = gst_buffer_add_legrad_heatmap_meta(
      buffer, a.prompts[prompt].c_str(), guint(prompt), a.scores[i], a.size, a.size, values,
      a.source_pts < 0 ? GST_CLOCK_TIME_NONE : GstClockTime(a.source_pts), result.age);
  g_bytes_unref(values);
  if (meta && a.probability(i)) meta->probability = *a.probability(i);
  return meta;
}

gint next_region_id(GstBuffer* buffer) {
  // Heatmaps find their region by id, so every region on the buffer (upstream detectors'
  // included) needs its own.
  gint next = 0;
  gpointer state = nullptr;
  while (GstMeta* m = gst_buffer_iterate_meta_filtered(buffer, &state,
                                                       GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))
    next = std::max(next, reinterpret_cast<GstVideoRegionOfInterestMeta*>(m)->id + 1);
  return next;
}

// The box of prompt p as a region of interest whose `legrad` structure says why.
GstVideoRegionOfInterestMeta* add_box(GstBuffer* buffer, const Analysis& a, size_t p,
                                      const Box& b) {
  const std::string& text = a.prompts[p];
  GstVideoRegionOfInterestMeta* roi = gst_buffer_add_video_region_of_interest_meta(
      buffer, text.c_str(), b.x, b.y, b.width, b.height);
  GstStructure* param =
      gst_structure_new("legrad", "prompt", G_TYPE_STRING, text.c_str(), "score", G_TYPE_DOUBLE,
                        double(a.scores[p]), "prompt-index", G_TYPE_UINT, guint(p), nullptr);
  if (a.probability(p))
    gst_structure_set(param, "probability", G_TYPE_DOUBLE, double(*a.probability(p)), nullptr);
  gst_video_region_of_interest_meta_add_param(roi, param);
  return roi;
}

}  // namespace

void attach_result(GstBuffer* buffer, const FrameResult& result) {
  if (!result.analysis) return;
  const Analysis& a = *result.analysis;
  const size_t prompts = a.prompt_count();
  if (a.covers_regions()) {
    for (size_t r = 0; r < a.regions.size(); ++r)
      for (size_t p = 0; p < prompts; ++p)
        if (GstLegradHeatmapMeta* meta = add_heatmap_meta(buffer, result, r * prompts + p, p)) {
          meta->roi_id = a.regions[r].id;
          meta->covers_roi = TRUE;
        }
    return;
  }
  gint next_id = next_region_id(buffer);
  for (size_t p = 0; p < prompts; ++p) {
    GstLegradHeatmapMeta* meta = add_heatmap_meta(buffer, result, p, p);
    if (!meta || p >= result.boxes.size() || !result.boxes[p]) continue;
    GstVideoRegionOfInterestMeta* roi = add_box(buffer, a, p, *result.boxes[p]);
    roi->id = next_id++;
    meta->roi_id = roi->id;
  }
}

}  // namespace legrad
