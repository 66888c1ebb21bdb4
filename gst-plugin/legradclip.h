// Event clips: a ring of the last seconds of encoded video, from a key frame on, and the
// writer that turns it, plus what follows, into an MP4 around an event. The element
// `legradclipsink` is their GObject shell.
#pragma once

#include <gst/gst.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace legrad {

// The encoded frames of the last `seconds` (at least: it starts at the key frame before
// them), at most `max_bytes` of them in whole GOPs (a single GOP larger than that is kept
// whole). Holds a reference to each buffer.
class ClipRing {
 public:
  ClipRing() = default;
  ~ClipRing() { clear(); }
  ClipRing(const ClipRing&) = delete;
  ClipRing& operator=(const ClipRing&) = delete;

  void set_bounds(GstClockTime seconds, uint64_t max_bytes);
  void push(GstBuffer* buffer);  // takes a reference of its own; drops frames before a key frame
  void clear();
  const std::deque<GstBuffer*>& frames() const { return frames_; }
  uint64_t bytes() const { return bytes_; }

 private:
  void trim();
  size_t second_key_frame() const;  // index of the second key frame, or frames_.size()

  GstClockTime seconds_ = 5 * GST_SECOND;
  uint64_t max_bytes_ = 32 << 20;
  std::deque<GstBuffer*> frames_;
  uint64_t bytes_ = 0;
};

// One clip being written: appsrc -> h264parse -> mp4mux -> filesink in a pipeline of its own,
// timestamps counted from the clip's first frame. close() ends it and returns at once; the
// file is finished on a thread of the writer's, and `on_closed` (given to close()) is called
// there with the clip's duration, or an error text. push() and close() come from one thread
// at a time.
class ClipWriter {
 public:
  using ClosedHandler = std::function<void(const std::string& location, GstClockTime duration,
                                           const std::string& error)>;
  ClipWriter(const std::string& location, GstCaps* caps);
  ~ClipWriter();  // closes if open, and waits for the file to be finished
  ClipWriter(const ClipWriter&) = delete;
  ClipWriter& operator=(const ClipWriter&) = delete;

  const std::string& location() const { return location_; }
  bool ok() const { return pipeline_ != nullptr; }
  void push(GstBuffer* buffer);  // borrowed
  void close(ClosedHandler on_closed = nullptr);
  bool finished() const;

 private:
  void finish();

  const std::string location_;
  ClosedHandler on_closed_;
  GstElement* pipeline_ = nullptr;
  GstElement* appsrc_ = nullptr;
  GstClockTime base_ = GST_CLOCK_TIME_NONE;  // the first frame's decode (or presentation) time
  GstClockTime last_end_ = 0;
  std::thread finisher_;
  mutable std::mutex mutex_;
  bool closed_ = false, done_ = false;
};

// Which events are open, and when the clip around them ends: `post_roll` after the last of
// them ended. Times are the frames' timestamps.
class ClipSchedule {
 public:
  void set_post_roll(GstClockTime post_roll) { post_roll_ = post_roll; }
  // An event starts (true if a clip must be opened for it) or ends.
  bool start(const std::string& id);
  void end(const std::string& id, GstClockTime now);
  // After a frame at `now`: true once the clip must be closed.
  bool should_close(GstClockTime now);
  bool open() const { return open_; }
  const std::string& events() const { return events_; }  // the clip's events, "a,b"

 private:
  GstClockTime post_roll_ = 5 * GST_SECOND;
  bool open_ = false;
  std::deque<std::string> active_;
  std::string events_;
  GstClockTime ended_at_ = GST_CLOCK_TIME_NONE;  // all events over since then
};

}  // namespace legrad
