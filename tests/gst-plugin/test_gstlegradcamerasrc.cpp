// legradcamerasrc against real cameras on 127.0.0.1 (tests/tools/rtsp-test-server) that are
// stopped and started again, and against a file that ends.
#include <gst/gst.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "json_schema.h"
#include "media_support.h"
#include "support.h"

namespace legrad {
namespace {

using namespace std::string_literals;

const char* kVideo =
    "videotestsrc is-live=true pattern=ball ! video/x-raw,width=160,height=120,framerate=15/1 ! "
    "x264enc tune=zerolatency key-int-max=15 ! rtph264pay name=pay0 pt=96";
const std::string kWithSound = std::string(kVideo) +
                               " audiotestsrc is-live=true ! audio/x-raw,rate=8000 ! alawenc ! "
                               "rtppcmapay name=pay1 pt=8";

// A pipeline around legradcamerasrc, playing, whose bus is read as it runs: the camera's
// messages in order, warnings and errors, and what reached its sinks (named "video" and, where
// the description has one, "audio").
class Watched {
 public:
  explicit Watched(const std::string& desc) {
    GError* error = nullptr;
    pipeline_ = gst_parse_launch(desc.c_str(), &error);
    if (error) {
      ADD_FAILURE() << error->message;
      g_error_free(error);
    }
    for (int i = 0; i < 2; ++i) {
      GstElement* sink = gst_bin_get_by_name(GST_BIN(pipeline_), i == 0 ? "video" : "audio");
      if (!sink) continue;
      g_object_set(sink, "signal-handoffs", TRUE, nullptr);
      g_signal_connect(sink, "handoff", G_CALLBACK(i == 0 ? on_video : on_audio), this);
      gst_object_unref(sink);
    }
    bus_ = gst_element_get_bus(pipeline_);
    state_change_ = gst_element_set_state(pipeline_, GST_STATE_PLAYING);
  }
  ~Watched() {
    gst_element_set_state(pipeline_, GST_STATE_NULL);
    gst_object_unref(bus_);
    gst_object_unref(pipeline_);
  }
  GstStateChangeReturn state_change() const { return state_change_; }

  // Reads the bus until `seconds` passed, or until `until` was seen (a message name,
  // "eos", "error" or "warning"); true if it was.
  bool run(double seconds, const std::string& until = "") {
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < end) {
      GstMessage* msg = gst_bus_timed_pop(bus_, 50 * GST_MSECOND);
      if (!msg) continue;
      const std::string seen = note(msg);
      gst_message_unref(msg);
      if (!until.empty() && seen == until) return true;
    }
    return false;
  }
  void send_eos() { gst_element_send_event(pipeline_, gst_event_new_eos()); }
  GstElement* element(const char* name) { return gst_bin_get_by_name(GST_BIN(pipeline_), name); }

  std::vector<std::string> changes;  // camera-* message names, in order
  std::vector<std::string> reasons;  // camera-lost reasons
  std::string errors, warnings;
  std::vector<GstClockTime> pts(int media) {
    std::lock_guard<std::mutex> lock(mutex_);
    return pts_[media];
  }

 private:
  std::string note(GstMessage* msg) {
    switch (GST_MESSAGE_TYPE(msg)) {
      case GST_MESSAGE_ELEMENT: {
        const GstStructure* s = gst_message_get_structure(msg);
        const std::string name = gst_structure_get_name(s);
        if (name.rfind("camera-", 0) != 0) return name;
        changes.push_back(name);
        if (const char* reason = gst_structure_get_string(s, "reason")) reasons.push_back(reason);
        return name;
      }
      case GST_MESSAGE_ERROR:
      case GST_MESSAGE_WARNING: {
        GError* e = nullptr;
        if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR)
          gst_message_parse_error(msg, &e, nullptr);
        else
          gst_message_parse_warning(msg, &e, nullptr);
        (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR ? errors : warnings) += e->message + "\n"s;
        g_error_free(e);
        return GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR ? "error" : "warning";
      }
      case GST_MESSAGE_EOS: return "eos";
      default: return "";
    }
  }
  static void on_video(GstElement*, GstBuffer* b, GstPad*, Watched* self) { self->add(0, b); }
  static void on_audio(GstElement*, GstBuffer* b, GstPad*, Watched* self) { self->add(1, b); }
  void add(int media, GstBuffer* b) {
    std::lock_guard<std::mutex> lock(mutex_);
    pts_[media].push_back(GST_BUFFER_PTS(b));
  }

  GstElement* pipeline_ = nullptr;
  GstBus* bus_ = nullptr;
  GstStateChangeReturn state_change_;
  std::mutex mutex_;
  std::vector<GstClockTime> pts_[2];
};

bool increasing(const std::vector<GstClockTime>& pts) {
  for (size_t i = 0; i < pts.size(); ++i)
    if (!GST_CLOCK_TIME_IS_VALID(pts[i]) || (i > 0 && pts[i] <= pts[i - 1])) return false;
  return !pts.empty();
}

// The longest step between consecutive timestamps: where a camera was away.
GstClockTime longest_gap(const std::vector<GstClockTime>& pts) {
  GstClockTime gap = 0;
  for (size_t i = 1; i < pts.size(); ++i) gap = std::max(gap, pts[i] - pts[i - 1]);
  return gap;
}

class CameraSrc : public ::testing::Test {
 protected:
  void SetUp() override {
    gst_init(nullptr, nullptr);
    if (!test::have_rtsp_server())
      GTEST_SKIP() << "no test camera: tests/tools/rtsp-test-server needs "
                      "libgstrtspserver-1.0-dev";
  }
};

// A camera stopped and started again three times: the pipeline keeps running, each loss and
// return is reported in order, picture and sound keep increasing timestamps with the gaps in
// them, the events reach the JSON lines in order with the frames, and nothing (descriptors,
// threads) is left behind per reconnection.
TEST_F(CameraSrc, ComesBackEachTimeTheCameraDoes) {
  test::TempDir dir;
  test::RtspCamera camera(kWithSound);
  ASSERT_FALSE(camera.url().empty()) << "the RTSP server did not start";
  Watched w("legradcamerasrc name=cam timeout=2 reconnect-interval=0.25 uri=" + camera.url() +
            " cam.video ! legradmetaconvert location=" + dir.file("m.jsonl") +
            " ! fakesink name=video sync=false  cam.audio ! fakesink name=audio sync=false");
  ASSERT_TRUE(w.run(20, "camera-connected")) << w.warnings << w.errors;
  int fds = 0, threads = 0;
  for (int drop = 0; drop < 3; ++drop) {
    w.run(2);
    camera.stop();
    ASSERT_TRUE(w.run(10, "camera-lost")) << "drop " << drop;
    std::this_thread::sleep_for(std::chrono::seconds(1));
    camera.start();
    ASSERT_TRUE(w.run(20, "camera-back")) << "drop " << drop << ": " << w.warnings;
    w.run(1.5);
    if (drop == 0) {
      fds = test::open_fds();
      threads = test::threads();
    }
  }
  EXPECT_LE(test::open_fds(), fds + 2) << "descriptors left per reconnection";
  EXPECT_LE(test::threads(), threads + 3) << "threads left per reconnection";
  EXPECT_EQ(w.errors, "");
  const std::vector<std::string> expected = {"camera-connected", "camera-lost", "camera-back",
                                             "camera-lost",      "camera-back", "camera-lost",
                                             "camera-back"};
  EXPECT_EQ(w.changes, expected);
  for (int media = 0; media < 2; ++media) {
    const auto pts = w.pts(media);
    EXPECT_TRUE(increasing(pts)) << "media " << media;
    // at least the second the camera was stopped
    EXPECT_GT(longest_gap(pts), GST_SECOND) << "media " << media;
  }
  EXPECT_GT(w.pts(0).size(), 4u * 15 * 4 / 2);  // of 15 fps for over 4 x 3.5 s
  // The JSON lines: lost, back, lost, ... each between the frames before and after it.
  std::ifstream lines(dir.file("m.jsonl"));
  std::vector<std::string> events;
  uint64_t last_pts = 0;
  for (std::string line; std::getline(lines, line);) {
    const auto j = nlohmann::json::parse(line);
    EXPECT_EQ(test::metadata_problem(j), "") << line;
    if (j.contains("event")) {
      events.push_back(j["event"]);
      EXPECT_GE(j["running_time"].get<uint64_t>(), last_pts) << line;
      EXPECT_EQ(j["uri"], camera.url());
    } else {
      last_pts = j["pts"];
    }
  }
  EXPECT_EQ(events, std::vector<std::string>(expected.begin() + 1, expected.end()));
}

// A camera that never comes back gives up after `reconnect-attempts`, with a warning, and ends
// its stream, so what records it can finish.
TEST_F(CameraSrc, GivesUpAfterItsAttemptsAndEnds) {
  test::RtspCamera camera(kVideo);
  Watched w("legradcamerasrc name=cam timeout=2 reconnect-interval=0.2 reconnect-attempts=2 uri=" +
            camera.url() + " cam.video ! fakesink name=video sync=false");
  ASSERT_TRUE(w.run(20, "camera-connected"));
  camera.stop();
  EXPECT_TRUE(w.run(30, "eos")) << "the stream did not end";
  EXPECT_NE(w.warnings.find("Gave up on the camera"), std::string::npos) << w.warnings;
  const std::vector<std::string> expected = {"camera-connected", "camera-lost", "camera-gave-up"};
  EXPECT_EQ(w.changes, expected);
}

// A camera that is down when the pipeline starts is a warning and retried, not an error.
TEST_F(CameraSrc, ACameraDownAtStartIsWaitedFor) {
  test::RtspCamera camera(kVideo);
  const std::string url = camera.url();
  camera.stop();
  Watched w("legradcamerasrc name=cam timeout=1 reconnect-interval=0.2 uri=" + url +
            " cam.video ! fakesink name=video sync=false");
  EXPECT_TRUE(w.run(10, "warning"));
  EXPECT_NE(w.warnings.find("Cannot connect to the camera '" + url + "'"), std::string::npos)
      << w.warnings;
  camera.start();
  EXPECT_TRUE(w.run(30, "camera-connected")) << w.warnings;
  w.run(1);
  EXPECT_TRUE(increasing(w.pts(0)));
  EXPECT_EQ(w.errors, "");
}

// Without a camera: a file that ends is a camera lost and connected to again, so the file
// plays over and over on one increasing timeline.
TEST(CameraSrcFile, AFileThatEndsIsReadAgain) {
  gst_init(nullptr, nullptr);
  test::TempDir dir;
  const std::string file = dir.file("one second.mp4");
  ASSERT_EQ(std::system(("gst-launch-1.0 -q videotestsrc num-buffers=15 ! video/x-raw,width=64,"
                         "height=48,framerate=15/1 ! x264enc ! mp4mux ! filesink location='" +
                         file + "'")
                            .c_str()),
            0);
  gchar* uri = gst_filename_to_uri(file.c_str(), nullptr);
  Watched w(std::string("legradcamerasrc name=cam reconnect-interval=0.3 uri=") + uri +
            " cam.video ! fakesink name=video sync=false");
  g_free(uri);
  EXPECT_TRUE(w.run(20, "camera-back")) << w.warnings << w.errors;
  EXPECT_TRUE(w.run(20, "camera-back")) << w.warnings << w.errors;
  ASSERT_GE(w.reasons.size(), 2u);
  EXPECT_EQ(w.reasons[0], "the stream ended");
  const auto pts = w.pts(0);
  EXPECT_TRUE(increasing(pts));
  EXPECT_GE(pts.size(), 2u * 15);
  EXPECT_GE(longest_gap(pts), 300 * GST_MSECOND);  // the wait before reading it again
}

// A URI nothing can read is an error naming it, at once.
TEST(CameraSrcFile, UnreadableUrisAreErrors) {
  gst_init(nullptr, nullptr);
  for (const char* uri : {"", "camera one", "nosuchproto://x"}) {
    Watched w(std::string("legradcamerasrc name=cam uri=\"") + uri +
              "\" cam.video ! fakesink name=video");
    EXPECT_EQ(w.state_change(), GST_STATE_CHANGE_FAILURE) << uri;
    w.run(1, "error");
    EXPECT_NE(w.errors.find("Invalid uri"), std::string::npos) << uri << ": " << w.errors;
  }
}

}  // namespace
}  // namespace legrad
