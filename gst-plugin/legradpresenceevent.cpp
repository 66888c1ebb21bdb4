#include "legradpresenceevent.h"

#include <string>

namespace legrad {

namespace {

std::string iso8601_utc(int64_t utc_ms) {
  GDateTime* t = g_date_time_new_from_unix_utc(utc_ms / 1000);
  if (!t) return "";
  gchar* text = g_date_time_format(t, "%Y-%m-%dT%H:%M:%S");
  g_date_time_unref(t);
  char ms[8];
  g_snprintf(ms, sizeof ms, ".%03dZ", int(utc_ms % 1000));
  std::string out = std::string(text) + ms;
  g_free(text);
  return out;
}

guint64 time_or_none(int64_t t) { return t >= 0 ? guint64(t) : GST_CLOCK_TIME_NONE; }

}  // namespace

GstStructure* presence_event_structure(const PresenceEvent& e) {
  GstStructure* s = gst_structure_new(
      kPresenceEventName, "id", G_TYPE_STRING, std::to_string(e.id).c_str(), "state", G_TYPE_STRING,
      e.state(), "prompt", G_TYPE_STRING, e.prompt.c_str(), "object-id", G_TYPE_INT, e.object_id,
      "start-pts", G_TYPE_UINT64, time_or_none(e.start_pts), "start-utc", G_TYPE_STRING,
      iso8601_utc(e.start_utc_ms).c_str(), "last-pts", G_TYPE_UINT64, time_or_none(e.last_pts),
      "frames", G_TYPE_UINT64, guint64(e.frames), "peak-score", G_TYPE_DOUBLE, double(e.peak_score),
      nullptr);
  if (e.peak_probability)
    gst_structure_set(s, "peak-probability", G_TYPE_DOUBLE, double(*e.peak_probability), nullptr);
  if (e.peak_box)
    gst_structure_set(s, "box-x", G_TYPE_INT, e.peak_box->x, "box-y", G_TYPE_INT, e.peak_box->y,
                      "box-width", G_TYPE_INT, e.peak_box->width, "box-height", G_TYPE_INT,
                      e.peak_box->height, nullptr);
  if (!e.evidence.empty()) {
    GstBuffer* jpeg = gst_buffer_new_memdup(e.evidence.data(), e.evidence.size());
    gst_structure_set(s, "evidence", GST_TYPE_BUFFER, jpeg, nullptr);
    gst_buffer_unref(jpeg);
  }
  return s;
}

}  // namespace legrad
