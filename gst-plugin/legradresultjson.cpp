#include "legradresultjson.h"

#include <string>
#include <vector>

#include "legradpresenceevent.h"
#include "meta/gstlegradmeta.h"

namespace legrad {

namespace {

nlohmann::json time_or_null(GstClockTime t) {
  return GST_CLOCK_TIME_IS_VALID(t) ? nlohmann::json(t) : nlohmann::json(nullptr);
}

std::string string_field(const GstStructure* s, const char* name) {
  const gchar* value = gst_structure_get_string(s, name);
  return value ? value : "";
}

guint64 time_field(const GstStructure* s, const char* name) {
  guint64 t = GST_CLOCK_TIME_NONE;
  gst_structure_get_uint64(s, name, &t);
  return t;
}

nlohmann::json prompt_json(GstLegradHeatmapMeta* m, GstBuffer* buffer, bool include_heatmap) {
  nlohmann::json p = {
      {"prompt", m->prompt},
      {"index", m->prompt_index},
      {"score", m->score},
      {"probability", m->probability >= 0 ? nlohmann::json(m->probability) : nullptr},
      {"age", m->age},
      {"source_pts", time_or_null(m->source_pts)},
      {"box", nullptr},
  };
  GstVideoRegionOfInterestMeta* roi = gst_legrad_heatmap_meta_get_region(m, buffer);
  if (roi) p["box"] = {{"x", roi->x}, {"y", roi->y}, {"width", roi->w}, {"height", roi->h}};
  // region=roi-list: the heatmap is of this object, which the box is.
  if (m->covers_roi) {
    p["object"] = {{"roi_id", m->roi_id}, {"type", nullptr}};
    if (roi && roi->roi_type) p["object"]["type"] = g_quark_to_string(roi->roi_type);
  }
  if (include_heatmap) {
    const gfloat* values = gst_legrad_heatmap_meta_get_values(m);
    p["heatmap"] = {{"width", m->width},
                    {"height", m->height},
                    {"values", std::vector<float>(values, values + gsize(m->width) * m->height)}};
  }
  return p;
}

nlohmann::json camera_json(const GstStructure* s) {
  nlohmann::json line = {{"event", gst_structure_get_name(s)},
                         {"running_time", time_or_null(time_field(s, "running-time"))},
                         {"uri", string_field(s, "uri")}};
  if (gst_structure_has_field(s, "reason")) line["reason"] = string_field(s, "reason");
  gint64 lost_ms;
  if (gst_structure_get_int64(s, "lost-ms", &lost_ms)) line["lost_ms"] = lost_ms;
  return line;
}

// A presence event's evidence picture as a data URI, which a browser shows as it is.
std::string evidence_data_uri(const GstStructure* s) {
  const GValue* value = gst_structure_get_value(s, "evidence");
  GstBuffer* jpeg =
      value && G_VALUE_HOLDS(value, GST_TYPE_BUFFER) ? gst_value_get_buffer(value) : nullptr;
  GstMapInfo map;
  if (!jpeg || !gst_buffer_map(jpeg, &map, GST_MAP_READ)) return "";
  gchar* base64 = g_base64_encode(map.data, map.size);
  gst_buffer_unmap(jpeg, &map);
  std::string out = std::string("data:image/jpeg;base64,") + base64;
  g_free(base64);
  return out;
}

nlohmann::json presence_json(const GstStructure* s) {
  gint object = -1;
  guint64 frames = 0;
  gdouble score = 0, probability = -1;
  gst_structure_get_int(s, "object-id", &object);
  gst_structure_get_uint64(s, "frames", &frames);
  gst_structure_get_double(s, "peak-score", &score);
  const bool has_probability = gst_structure_get_double(s, "peak-probability", &probability);
  nlohmann::json line = {
      {"event", "presence"},
      {"id", string_field(s, "id")},
      {"state", string_field(s, "state")},
      {"prompt", string_field(s, "prompt")},
      {"object_id", object >= 0 ? nlohmann::json(object) : nlohmann::json(nullptr)},
      {"start_pts", time_or_null(time_field(s, "start-pts"))},
      {"start_utc", string_field(s, "start-utc")},
      {"last_pts", time_or_null(time_field(s, "last-pts"))},
      {"frames", frames},
      {"peak_score", score},
      {"peak_probability", has_probability ? nlohmann::json(probability) : nullptr},
      {"box", nullptr},
  };
  gint x, y, w, h;
  if (gst_structure_get_int(s, "box-x", &x) && gst_structure_get_int(s, "box-y", &y) &&
      gst_structure_get_int(s, "box-width", &w) && gst_structure_get_int(s, "box-height", &h))
    line["box"] = {{"x", x}, {"y", y}, {"width", w}, {"height", h}};
  if (const std::string jpeg = evidence_data_uri(s); !jpeg.empty()) line["evidence"] = jpeg;
  return line;
}

nlohmann::json clip_json(const GstStructure* s) {
  return {{"event", "clip"},
          {"location", string_field(s, "location")},
          {"events", string_field(s, "events")},
          {"running_time", time_or_null(time_field(s, "running-time"))}};
}

}  // namespace

nlohmann::json frame_json(GstBuffer* buffer, const GstVideoInfo& info, bool include_heatmap) {
  nlohmann::json prompts = nlohmann::json::array();
  gpointer state = nullptr;
  while (GstLegradHeatmapMeta* m = gst_buffer_iterate_legrad_heatmap_meta(buffer, &state))
    prompts.push_back(prompt_json(m, buffer, include_heatmap));
  return {{"pts", time_or_null(GST_BUFFER_PTS(buffer))},
          {"width", GST_VIDEO_INFO_WIDTH(&info)},
          {"height", GST_VIDEO_INFO_HEIGHT(&info)},
          {"prompts", prompts}};
}

std::optional<nlohmann::json> event_json(const GstStructure* s) {
  if (!s) return std::nullopt;
  if (gst_structure_has_name(s, "camera-lost") || gst_structure_has_name(s, "camera-back"))
    return camera_json(s);
  if (gst_structure_has_name(s, kPresenceEventName)) return presence_json(s);
  if (gst_structure_has_name(s, "legrad-clip")) return clip_json(s);
  return std::nullopt;
}

}  // namespace legrad
