// What the tests that record media share: a camera on 127.0.0.1 (tests/tools/rtsp-test-server
// in a child process) and readers of what was recorded, through GStreamer's own demuxer and
// decoder.
#pragma once

#include <gst/gst.h>
#include <sys/types.h>

#include <string>
#include <vector>

namespace legrad {
namespace test {

// What qtdemux + avdec_h264 make of an MP4: the frames decoded to its end (-1 where it does
// not play to its end), the first and last frames' timestamps and whether the first was a key
// frame.
struct Decoded {
  int frames = -1;
  GstClockTime first_pts = GST_CLOCK_TIME_NONE;
  GstClockTime last_pts = GST_CLOCK_TIME_NONE;
  bool starts_with_key_frame = false;
};
Decoded decode_mp4(const std::string& path);
inline int decodable_frames(const std::string& path) { return decode_mp4(path).frames; }

// What GstDiscoverer says of a file's streams: one "video CODEC" / "audio CODEC" line each.
std::string streams_of(const std::string& path);
// The duration GstDiscoverer (as players) finds in a file's headers; NONE where it cannot.
GstClockTime duration_of(const std::string& path);

// True where the test camera was built (it needs libgstrtspserver-1.0-dev).
bool have_rtsp_server();

// A camera on 127.0.0.1 serving `launch` (a payloader named pay0, pay1 for sound) at `url()`,
// on `port` (0: a free one). stop() and start() it again on the same port to drop it.
class RtspCamera {
 public:
  explicit RtspCamera(std::string launch, int port = 0);
  ~RtspCamera() { stop(); }
  RtspCamera(const RtspCamera&) = delete;
  RtspCamera& operator=(const RtspCamera&) = delete;
  void start();
  void stop();
  const std::string& url() const { return url_; }

 private:
  std::string launch_;
  int port_;
  pid_t pid_ = -1;
  std::string url_;
};

// The files in `dir` whose names start with `prefix` and end with `suffix`, as paths, sorted.
std::vector<std::string> files_in(const std::string& dir, const std::string& prefix,
                                  const std::string& suffix);

// Open file descriptors and threads of this process.
int open_fds();
int threads();

}  // namespace test
}  // namespace legrad
