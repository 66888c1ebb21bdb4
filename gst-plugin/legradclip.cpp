#include "legradclip.h"

#include <gst/app/gstappsrc.h>

#include <algorithm>

namespace legrad {
namespace {

bool is_key_frame(GstBuffer* buffer) {
  return !GST_BUFFER_FLAG_IS_SET(buffer, GST_BUFFER_FLAG_DELTA_UNIT);
}

// A frame's place in decode order: its DTS, else its PTS.
GstClockTime decode_time(GstBuffer* buffer) {
  return GST_BUFFER_DTS_IS_VALID(buffer) ? GST_BUFFER_DTS(buffer) : GST_BUFFER_PTS(buffer);
}

}  // namespace

void ClipRing::set_bounds(GstClockTime seconds, uint64_t max_bytes) {
  seconds_ = seconds;
  max_bytes_ = max_bytes;
  trim();
}

void ClipRing::push(GstBuffer* buffer) {
  if (frames_.empty() && !is_key_frame(buffer)) return;  // nothing decodes before a key frame
  frames_.push_back(gst_buffer_ref(buffer));
  bytes_ += gst_buffer_get_size(buffer);
  trim();
}

void ClipRing::clear() {
  for (GstBuffer* b : frames_) gst_buffer_unref(b);
  frames_.clear();
  bytes_ = 0;
}

size_t ClipRing::second_key_frame() const {
  for (size_t i = 1; i < frames_.size(); ++i)
    if (is_key_frame(frames_[i])) return i;
  return frames_.size();
}

// Whole GOPs go from the front while the next GOP still covers `seconds_`, or while the
// ring holds more than `max_bytes_`.
void ClipRing::trim() {
  while (!frames_.empty()) {
    const size_t next = second_key_frame();
    if (next == frames_.size()) return;
    const GstClockTime newest = decode_time(frames_.back());
    const GstClockTime next_start = decode_time(frames_[next]);
    const bool covered = GST_CLOCK_TIME_IS_VALID(newest) && GST_CLOCK_TIME_IS_VALID(next_start) &&
                         newest >= next_start + seconds_;
    if (!covered && bytes_ <= max_bytes_) return;
    for (size_t i = 0; i < next; ++i) {
      bytes_ -= gst_buffer_get_size(frames_.front());
      gst_buffer_unref(frames_.front());
      frames_.pop_front();
    }
  }
}

ClipWriter::ClipWriter(const std::string& location, GstCaps* caps) : location_(location) {
  GError* error = nullptr;
  GstElement* pipeline = gst_parse_launch(
      "appsrc name=src format=time ! h264parse ! mp4mux ! filesink name=sink", &error);
  if (!pipeline) {
    g_clear_error(&error);
    return;
  }
  g_clear_error(&error);  // a missing element is reported with a pipeline anyway
  GstElement* src = gst_bin_get_by_name(GST_BIN(pipeline), "src");
  GstElement* sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  if (src && sink) {
    g_object_set(src, "caps", caps, nullptr);
    g_object_set(sink, "location", location.c_str(), nullptr);
  }
  if (sink) gst_object_unref(sink);
  if (!src || gst_element_set_state(pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    if (src) gst_object_unref(src);
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_object_unref(pipeline);
    return;
  }
  pipeline_ = pipeline;
  appsrc_ = src;
}

ClipWriter::~ClipWriter() {
  close();
  if (finisher_.joinable()) finisher_.join();
  if (appsrc_) gst_object_unref(appsrc_);
  if (pipeline_) gst_object_unref(pipeline_);
}

void ClipWriter::push(GstBuffer* buffer) {
  if (!appsrc_ || closed_) return;
  if (!GST_CLOCK_TIME_IS_VALID(base_)) base_ = decode_time(buffer);
  GstBuffer* out = gst_buffer_copy(buffer);  // metadata copy: the memory is shared
  auto rebase = [this](GstClockTime t) {
    return GST_CLOCK_TIME_IS_VALID(t) && GST_CLOCK_TIME_IS_VALID(base_) ? t - std::min(t, base_)
                                                                        : t;
  };
  GST_BUFFER_PTS(out) = rebase(GST_BUFFER_PTS(buffer));
  GST_BUFFER_DTS(out) = rebase(GST_BUFFER_DTS(buffer));
  if (GST_BUFFER_PTS_IS_VALID(out))
    last_end_ =
        std::max(last_end_, GST_BUFFER_PTS(out) +
                                (GST_BUFFER_DURATION_IS_VALID(out) ? GST_BUFFER_DURATION(out) : 0));
  gst_app_src_push_buffer(GST_APP_SRC(appsrc_), out);
}

void ClipWriter::close(ClosedHandler on_closed) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) return;
    closed_ = true;
  }
  on_closed_ = std::move(on_closed);
  if (!pipeline_) {
    if (on_closed_)
      on_closed_(location_, 0, "the clip writer did not start (h264parse, mp4mux, filesink)");
    std::lock_guard<std::mutex> lock(mutex_);
    done_ = true;
    return;
  }
  gst_app_src_end_of_stream(GST_APP_SRC(appsrc_));
  finisher_ = std::thread([this] { finish(); });
}

bool ClipWriter::finished() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return done_;
}

void ClipWriter::finish() {
  GstBus* bus = gst_element_get_bus(pipeline_);
  GstMessage* msg = gst_bus_timed_pop_filtered(
      bus, 30 * GST_SECOND, (GstMessageType)(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  std::string error;
  if (!msg) {
    error = "the clip was not finished within 30 s";
  } else if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
    GError* e = nullptr;
    gst_message_parse_error(msg, &e, nullptr);
    error = e->message;
    g_error_free(e);
  }
  if (msg) gst_message_unref(msg);
  gst_object_unref(bus);
  gst_element_set_state(pipeline_, GST_STATE_NULL);
  if (on_closed_) on_closed_(location_, last_end_, error);
  std::lock_guard<std::mutex> lock(mutex_);
  done_ = true;
}

bool ClipSchedule::start(const std::string& id) {
  if (std::find(active_.begin(), active_.end(), id) == active_.end()) active_.push_back(id);
  ended_at_ = GST_CLOCK_TIME_NONE;
  const bool opening = !open_;
  if (opening) events_.clear();
  if (("," + events_ + ",").find("," + id + ",") == std::string::npos)
    events_ += (events_.empty() ? "" : ",") + id;
  open_ = true;
  return opening;
}

void ClipSchedule::end(const std::string& id, GstClockTime now) {
  active_.erase(std::remove(active_.begin(), active_.end(), id), active_.end());
  if (active_.empty() && open_) ended_at_ = now;
}

bool ClipSchedule::should_close(GstClockTime now) {
  if (!open_ || !active_.empty() || !GST_CLOCK_TIME_IS_VALID(ended_at_) ||
      !GST_CLOCK_TIME_IS_VALID(now) || now < ended_at_ + post_roll_)
    return false;
  open_ = false;
  ended_at_ = GST_CLOCK_TIME_NONE;
  return true;
}

}  // namespace legrad
