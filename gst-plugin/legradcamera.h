// A camera URL kept connected: its own small pipeline (uridecodebin to raw video, and raw
// audio when asked), torn down on an error, an end of stream or `timeout` without data, and
// built again after a doubling wait, on a supervisor thread of its own. The camera's pipeline
// has its own bus, so nothing that goes wrong in it reaches the pipeline it feeds. The element
// `legradcamerasrc` is its GObject shell.
#pragma once

#include <gst/gst.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace legrad {

struct CameraSettings {
  std::string uri;
  double timeout_s = 5;             // no data this long: the camera is lost
  double reconnect_interval_s = 1;  // the first wait before connecting again, doubled each time
  double max_reconnect_interval_s = 30;
  int reconnect_attempts = -1;  // connections tried after a loss before giving up; -1: forever
  int latency_ms = 200;         // an RTSP source's jitter buffer
  bool audio = false;
};

enum class CameraMedia { Video, Audio };

// What happened to the camera, as the element reports it.
struct CameraChange {
  // Unreachable: the first connection failed (retried like a loss); GaveUp: the last of
  // `reconnect-attempts` failed.
  enum Kind { Connected, Unreachable, Lost, Back, GaveUp } kind;
  std::string reason;       // Unreachable, Lost, GaveUp: why
  int attempt = 0;          // Back, GaveUp: connections tried since the loss
  int64_t lost_ms = 0;      // Back: how long the camera was away
  unsigned connection = 0;  // which connection (1 for the first)
};

// "rtsp://user:secret@host/x" as "rtsp://host/x": what messages and logs may show.
std::string uri_without_credentials(const std::string& uri);
// `text` (an error a GStreamer element gave) with `uri`'s "user:secret@" taken out of it.
std::string text_without_credentials(std::string text, const std::string& uri);

// Empty, or why `uri` can never be connected to (not a URI, or no installed plugin reads its
// protocol): such a camera is an error, not something to retry.
std::string uri_problem(const std::string& uri);

// Maps each connection's running times onto one continuous, increasing timeline: a
// connection's first buffer (of either medium) is placed at `now`, the others keep their
// spacing from it, so sound and picture stay together and a gap shows as a gap.
class CameraTimeline {
 public:
  GstClockTime place(unsigned connection, CameraMedia media, GstClockTime running_time,
                     GstClockTime now);

 private:
  unsigned connection_ = 0;
  GstClockTimeDiff offset_ = 0;
  GstClockTime last_[2] = {GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE};
};

class Camera {
 public:
  // Called on the camera's streaming threads; the sample is borrowed.
  using SampleHandler = std::function<void(CameraMedia, GstSample*, unsigned connection)>;
  // Called on the supervisor thread, or (Connected, Back) on a streaming thread just before
  // that connection's first sample.
  using ChangeHandler = std::function<void(const CameraChange&)>;

  Camera(CameraSettings settings, SampleHandler on_sample, ChangeHandler on_change);
  ~Camera();  // stops
  Camera(const Camera&) = delete;
  Camera& operator=(const Camera&) = delete;

  void start();
  void stop();  // tears the camera down and joins the supervisor; no handler runs after it
  unsigned connections() const { return connections_; }
  bool connected() const { return connected_; }

 private:
  using Clock = std::chrono::steady_clock;
  void supervise();
  bool connect();       // builds the camera's pipeline and starts it
  std::string watch();  // until it is lost (returns why) or stop() (returns "")
  void disconnect();
  bool wait(double seconds);  // false when stop() came first
  void on_pad_added(GstPad* pad);
  void link_branch(GstPad* pad, CameraMedia media);
  void on_new_sample(CameraMedia media, GstElement* sink);

  const CameraSettings settings_;
  const SampleHandler on_sample_;
  const ChangeHandler on_change_;
  std::thread supervisor_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  GstElement* pipeline_ = nullptr;  // the current connection's, on the supervisor thread
  // the first connection's picture size and channels, kept by the connections after it
  int width_ = 0, height_ = 0, channels_ = 0;
  std::atomic<unsigned> connections_{0};
  std::atomic<bool> connected_{false};      // this connection has delivered a sample
  std::atomic<int64_t> last_sample_ns_{0};  // steady clock
  bool was_connected_ = false;              // some connection delivered: a loss is a loss
  int attempts_since_loss_ = 0;
  Clock::time_point lost_at_;
};

}  // namespace legrad
