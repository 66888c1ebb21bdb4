#include "legradcamera.h"

#include <gst/app/gstappsink.h>

#include <algorithm>
#include <cstdio>

namespace legrad {

std::string uri_without_credentials(const std::string& uri) {
  const size_t scheme = uri.find("://");
  if (scheme == std::string::npos) return uri;
  const size_t host = scheme + 3;
  const size_t path = uri.find('/', host);
  const size_t at = uri.rfind('@', path == std::string::npos ? std::string::npos : path);
  if (at == std::string::npos || at < host) return uri;
  return uri.substr(0, host) + uri.substr(at + 1);
}

std::string text_without_credentials(std::string text, const std::string& uri) {
  const std::string shown = uri_without_credentials(uri);
  if (shown == uri) return text;
  const std::string userinfo = uri.substr(uri.find("://") + 3, uri.size() - shown.size());
  for (size_t at; (at = text.find(userinfo)) != std::string::npos;) text.erase(at, userinfo.size());
  return text;
}

std::string uri_problem(const std::string& uri) {
  if (uri.empty()) return "no uri was given";
  if (!gst_uri_is_valid(uri.c_str()))
    return "'" + uri_without_credentials(uri) + "' is not a URI (scheme://...)";
  gchar* protocol = gst_uri_get_protocol(uri.c_str());
  const bool readable = gst_uri_protocol_is_supported(GST_URI_SRC, protocol);
  std::string problem;
  if (!readable)
    problem = std::string("no installed GStreamer plugin reads '") + protocol + "://' URIs";
  g_free(protocol);
  return problem;
}

GstClockTime CameraTimeline::place(unsigned connection, CameraMedia media,
                                   GstClockTime running_time, GstClockTime now) {
  if (connection != connection_) {
    connection_ = connection;
    offset_ = GST_CLOCK_DIFF(running_time, now);
  }
  GstClockTimeDiff at = (GstClockTimeDiff)running_time + offset_;
  GstClockTime& last = last_[media == CameraMedia::Video ? 0 : 1];
  if (GST_CLOCK_TIME_IS_VALID(last) && at <= (GstClockTimeDiff)last) at = last + 1;
  last = at < 0 ? 0 : (GstClockTime)at;
  return last;
}

Camera::Camera(CameraSettings settings, SampleHandler on_sample, ChangeHandler on_change)
    : settings_(std::move(settings)),
      on_sample_(std::move(on_sample)),
      on_change_(std::move(on_change)) {}

Camera::~Camera() { stop(); }

void Camera::start() {
  stopping_ = false;
  supervisor_ = std::thread([this] { supervise(); });
}

void Camera::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (supervisor_.joinable()) supervisor_.join();
}

bool Camera::wait(double seconds) {
  std::unique_lock<std::mutex> lock(mutex_);
  return !wake_.wait_for(lock, std::chrono::duration<double>(seconds),
                         [this] { return stopping_; });
}

void Camera::supervise() {
  double interval = settings_.reconnect_interval_s;
  std::string reason;
  while (true) {
    connected_ = false;
    ++connections_;
    if (connect()) reason = watch();
    const bool delivered = connected_;
    disconnect();
    if (reason.empty()) return;  // stopped
    const unsigned connection = connections_;
    if (delivered) {
      std::lock_guard<std::mutex> lock(mutex_);
      was_connected_ = true;
      lost_at_ = Clock::now();
      attempts_since_loss_ = 0;
      interval = settings_.reconnect_interval_s;
    }
    if (delivered) {
      on_change_({CameraChange::Lost, reason, 0, 0, connection});
    } else if (connection == 1) {
      on_change_({CameraChange::Unreachable, reason, 0, 0, connection});
    } else if (settings_.reconnect_attempts >= 0 &&
               attempts_since_loss_ >= settings_.reconnect_attempts) {
      on_change_({CameraChange::GaveUp, reason, attempts_since_loss_, 0, connection});
      return;
    }
    if (!wait(interval)) return;
    interval = std::min(interval * 2, settings_.max_reconnect_interval_s);
    std::lock_guard<std::mutex> lock(mutex_);
    ++attempts_since_loss_;
  }
}

bool Camera::connect() {
  GstElement* source = gst_element_factory_make("uridecodebin", nullptr);
  if (!source) return false;
  pipeline_ = gst_pipeline_new("camera");
  gst_bin_add(GST_BIN(pipeline_), source);
  g_object_set(source, "uri", settings_.uri.c_str(), nullptr);
  g_signal_connect(
      source, "source-setup", G_CALLBACK(+[](GstElement*, GstElement* src, gpointer self) {
        if (g_object_class_find_property(G_OBJECT_GET_CLASS(src), "latency"))
          g_object_set(src, "latency", (guint) static_cast<Camera*>(self)->settings_.latency_ms,
                       nullptr);
      }),
      this);
  g_signal_connect(source, "pad-added", G_CALLBACK(+[](GstElement*, GstPad* pad, gpointer self) {
                     static_cast<Camera*>(self)->on_pad_added(pad);
                   }),
                   this);
  gst_element_set_state(pipeline_, GST_STATE_PLAYING);
  return true;
}

std::string Camera::watch() {
  const auto started = Clock::now();
  const auto timeout = std::chrono::duration<double>(settings_.timeout_s);
  GstBus* bus = gst_element_get_bus(pipeline_);
  std::string reason;
  while (reason.empty()) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) break;
    }
    GstMessage* msg = gst_bus_timed_pop_filtered(
        bus, 100 * GST_MSECOND, (GstMessageType)(GST_MESSAGE_ERROR | GST_MESSAGE_EOS));
    if (msg && GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
      GError* error = nullptr;
      gst_message_parse_error(msg, &error, nullptr);
      reason = text_without_credentials(error->message, settings_.uri);
      g_error_free(error);
    } else if (msg) {
      reason = "the stream ended";
    }
    if (msg) gst_message_unref(msg);
    const auto quiet_since =
        connected_ ? Clock::time_point(Clock::duration(last_sample_ns_.load())) : started;
    if (reason.empty() && Clock::now() - quiet_since > timeout) {
      char text[64];
      std::snprintf(text, sizeof text, "no data for %g s", settings_.timeout_s);
      reason = text;
    }
  }
  gst_object_unref(bus);
  return reason;
}

void Camera::disconnect() {
  if (!pipeline_) return;
  gst_element_set_state(pipeline_, GST_STATE_NULL);
  gst_object_unref(pipeline_);
  pipeline_ = nullptr;
}

void Camera::on_pad_added(GstPad* pad) {
  GstCaps* caps = gst_pad_get_current_caps(pad);
  if (!caps) caps = gst_pad_query_caps(pad, nullptr);
  const char* name = gst_structure_get_name(gst_caps_get_structure(caps, 0));
  const bool video = g_str_has_prefix(name, "video/");
  const bool audio = g_str_has_prefix(name, "audio/") && settings_.audio;
  gst_caps_unref(caps);
  if (video || audio) {
    link_branch(pad, video ? CameraMedia::Video : CameraMedia::Audio);
    return;
  }
  // Streams nobody asked for still need a sink, or their source stops with not-linked.
  GstElement* sink = gst_element_factory_make("fakesink", nullptr);
  g_object_set(sink, "sync", FALSE, "async", FALSE, nullptr);
  gst_bin_add(GST_BIN(pipeline_), sink);
  gst_element_sync_state_with_parent(sink);
  GstPad* peer = gst_element_get_static_pad(sink, "sink");
  gst_pad_link(pad, peer);
  gst_object_unref(peer);
}

void Camera::link_branch(GstPad* pad, CameraMedia media) {
  const bool video = media == CameraMedia::Video;
  std::string caps;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // One size and channel count for the whole recording: a camera that comes back
    // otherwise is scaled or remixed to what it was.
    caps = video ? "video/x-raw,format=I420"
                 : "audio/x-raw,format=S16LE,layout=interleaved,"
                   "rate=48000";
    if (video && width_ > 0)
      caps += ",width=" + std::to_string(width_) + ",height=" + std::to_string(height_);
    if (!video && channels_ > 0) caps += ",channels=" + std::to_string(channels_);
  }
  const char* names[] = {video ? "videoconvert" : "audioconvert",
                         video ? "videoscale" : "audioresample", "capsfilter", "appsink"};
  GstElement* chain[4];
  for (int i = 0; i < 4; ++i) {
    chain[i] = gst_element_factory_make(names[i], nullptr);
    if (!chain[i]) {
      for (int j = 0; j < i; ++j) gst_object_unref(chain[j]);
      GST_ELEMENT_ERROR(pipeline_, CORE, MISSING_PLUGIN, ("No element '%s'", names[i]), (nullptr));
      return;
    }
  }
  GstCaps* filter = gst_caps_from_string(caps.c_str());
  g_object_set(chain[2], "caps", filter, nullptr);
  gst_caps_unref(filter);
  // Paced by the camera's clock (a file plays as a camera would), never holding it up.
  g_object_set(chain[3], "sync", TRUE, "max-buffers", 2u, "drop", TRUE, nullptr);
  GstAppSinkCallbacks callbacks = {};
  callbacks.new_sample = video ? +[](GstAppSink* sink, gpointer self) {
    static_cast<Camera*>(self)->on_new_sample(CameraMedia::Video, GST_ELEMENT(sink));
    return GST_FLOW_OK;
  }
                               : +[](GstAppSink* sink, gpointer self) {
                                   static_cast<Camera*>(self)->on_new_sample(CameraMedia::Audio,
                                                                             GST_ELEMENT(sink));
                                   return GST_FLOW_OK;
                                 };
  gst_app_sink_set_callbacks(GST_APP_SINK(chain[3]), &callbacks, this, nullptr);
  for (GstElement* e : chain) gst_bin_add(GST_BIN(pipeline_), e);
  gst_element_link_many(chain[0], chain[1], chain[2], chain[3], nullptr);
  for (GstElement* e : chain) gst_element_sync_state_with_parent(e);
  GstPad* peer = gst_element_get_static_pad(chain[0], "sink");
  gst_pad_link(pad, peer);
  gst_object_unref(peer);
}

void Camera::on_new_sample(CameraMedia media, GstElement* sink) {
  GstSample* sample = gst_app_sink_pull_sample(GST_APP_SINK(sink));
  if (!sample) return;
  last_sample_ns_ = Clock::now().time_since_epoch().count();
  if (!connected_.exchange(true)) {
    CameraChange change{CameraChange::Connected, "", 0, 0, connections_};
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (was_connected_) {
        change.kind = CameraChange::Back;
        change.attempt = attempts_since_loss_;
        change.lost_ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - lost_at_).count();
      }
    }
    on_change_(change);
  }
  if (GstCaps* caps = gst_sample_get_caps(sample)) {
    const GstStructure* s = gst_caps_get_structure(caps, 0);
    std::lock_guard<std::mutex> lock(mutex_);
    if (media == CameraMedia::Video && width_ == 0) {
      gst_structure_get_int(s, "width", &width_);
      gst_structure_get_int(s, "height", &height_);
    } else if (media == CameraMedia::Audio && channels_ == 0) {
      gst_structure_get_int(s, "channels", &channels_);
    }
  }
  on_sample_(media, sample, connections_);
  gst_sample_unref(sample);
}

}  // namespace legrad
